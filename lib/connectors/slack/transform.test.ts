import { describe, expect, it } from "vitest";
import { channelCount, countBelow, makeMessage, sandboxPeople } from "@/lib/sandbox/slack/data";
import {
  compareTs,
  isTombstone,
  permalink,
  rawMessageKey,
  renderSlackText,
  transformMessage,
  tsJustBefore,
  tsToDate,
  type ChannelRef,
  type Lookups,
} from "./transform";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "Slack sent this message in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


const CH: ChannelRef = { id: "C0123ABCD", name: "general", isPrivate: false };
const lookups: Lookups = {
  users: new Map([
    ["U111", "Ada"],
    ["U222", "Grace Hopper"],
  ]),
  channels: new Map([["C0999XYZ", "random"]]),
};

describe("renderSlackText", () => {
  const cases: Array<[string, string, string]> = [
    ["a known user mention", "hi <@U111>!", "hi @Ada!"],
    ["an unknown user mention keeps the id", "cc <@U0EXTERN42>", "cc @U0EXTERN42"],
    ["a legacy labelled mention of an unknown user", "<@U999|bob> said", "@bob said"],
    ["a channel link with its name", "see <#C0123ABCD|general>", "see #general"],
    ["a channel link without a name uses the channel list", "in <#C0999XYZ> too", "in #random too"],
    ["an empty channel label", "in <#C0999XYZ|>", "in #random"],
    ["an unknown bare channel", "in <#C0NOPE>", "in #C0NOPE"],
    ["special mentions", "<!here> <!channel> <!everyone>", "@here @channel @everyone"],
    ["a user group", "<!subteam^S0SANDBOX|@oncall> look", "@oncall look"],
    ["a date with fallback", "at <!date^1767225600^{date_short}|Jan 1, 2026>", "at Jan 1, 2026"],
    ["a date without fallback", "at <!date^1767225600^{date}>", "at 2026-01-01T00:00:00.000Z"],
    ["a labelled link", "<https://ci.example.com/runs/9|build #9> passed", "build #9 (https://ci.example.com/runs/9) passed"],
    ["a bare link with an escaped query", "<https://docs.example.com/a?b=1&amp;c=2>", "https://docs.example.com/a?b=1&c=2"],
    ["a link labelled with itself", "<https://x.example|https://x.example>", "https://x.example"],
    ["a mailto link", "mail <mailto:help@example.com|help@example.com>", "mail help@example.com"],
    ["HTML entities", "1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"],
    ["an escaped entity stays literal once", "&amp;lt;", "&lt;"],
    ["mrkdwn and emoji stay as typed", "*bold* _it_ ~s~ `c` :tada: 🚀", "*bold* _it_ ~s~ `c` :tada: 🚀"],
  ];
  it.each(cases)("renders %s", (_name, input, expected) => {
    expect(renderSlackText(input, lookups)).toBe(expected);
  });
});

describe("timestamps and links", () => {
  it("converts ts to dates, compares numerically and steps one microsecond back", () => {
    expect(tsToDate("1767225600.123456")).toEqual(new Date(1_767_225_600_123));
    expect(tsToDate("nope")).toBeNull();
    expect(compareTs("1767225600.000100", "1767225600.000099")).toBe(1);
    expect(compareTs("999999999.999999", "1000000000.000000")).toBe(-1); // string order would say otherwise
    expect(compareTs("1767225600.5", "1767225600.500000")).toBe(0);
    expect(tsJustBefore("1767225600.000000")).toBe("1767225599.999999");
    expect(tsJustBefore("1767225600.000124")).toBe("1767225600.000123");
  });

  it("builds Slack permalinks, with thread_ts for replies", () => {
    expect(permalink("C1", "1767225600.000100")).toBe("https://slack.com/archives/C1/p1767225600000100");
    expect(permalink("C1", "1767225600.000100", "1767225600.000100")).toBe("https://slack.com/archives/C1/p1767225600000100");
    expect(permalink("C1", "1767225660.000200", "1767225600.000100")).toBe(
      "https://slack.com/archives/C1/p1767225660000200?thread_ts=1767225600.000100&cid=C1",
    );
  });
});

describe("transformMessage", () => {
  const base = {
    type: "message",
    user: "U111",
    text: "Deploy done :rocket: <@U222> see <https://ci.example.com|CI>\nsecond line",
    ts: "1767225600.000100",
  };

  const good: Array<[string, unknown, Record<string, unknown>]> = [
    [
      "a plain message",
      base,
      {
        externalId: "C0123ABCD:1767225600.000100",
        kind: "message",
        title: "#general — Deploy done :rocket: @Grace Hopper see CI (https://ci.example.com)",
        text: "Deploy done :rocket: @Grace Hopper see CI (https://ci.example.com)\nsecond line",
        url: "https://slack.com/archives/C0123ABCD/p1767225600000100",
        author: "Ada",
        metadata: { channel: "C0123ABCD", channelName: "general", ts: "1767225600.000100", threadTs: null, replyCount: 0, isPrivate: false, userId: "U111" },
        createdAt: new Date(1_767_225_600_000),
        updatedAt: new Date(1_767_225_600_000),
      },
    ],
    [
      "an edited thread parent",
      { ...base, thread_ts: base.ts, reply_count: 3, edited: { user: "U111", ts: "1767225630.000000" } },
      { metadata: expect.objectContaining({ threadTs: base.ts, replyCount: 3 }), updatedAt: new Date(1_767_225_630_000) },
    ],
    [
      "a reply (thread_ts in the link)",
      { ...base, ts: "1767225700.000001", thread_ts: base.ts, parent_user_id: "U222" },
      { url: "https://slack.com/archives/C0123ABCD/p1767225700000001?thread_ts=1767225600.000100&cid=C0123ABCD", metadata: expect.objectContaining({ threadTs: base.ts }) },
    ],
    [
      "a bot message with attachments only",
      { type: "message", subtype: "bot_message", text: "", ts: base.ts, username: "Deploy Bot", bot_id: "B1", attachments: [{ fallback: "Build failed: main #7", title: "Build #7 failed", text: "by <@U111>" }] },
      { title: "#general — Build #7 failed", text: "Build #7 failed\nby @Ada", author: "Deploy Bot", metadata: expect.objectContaining({ subtype: "bot_message" }) },
    ],
    [
      "an attachment with only a fallback, and a file",
      { ...base, text: "", attachments: [{ fallback: "Weekly report" }], files: [{ name: "q3.pdf", title: "Q3 numbers" }] },
      { text: "Weekly report\n\n[file: Q3 numbers]", title: "#general — Weekly report" },
    ],
    [
      "a bot known only by its profile",
      { type: "message", text: "hi", ts: base.ts, bot_id: "B1", bot_profile: { name: "deploy-bot" } },
      { author: "deploy-bot" },
    ],
    ["a message by an unknown user", { ...base, user: "U0GONE" }, { author: "U0GONE" }],
    ["an empty message", { type: "message", user: "U111", ts: base.ts }, { title: "#general — (no text)", text: "" }],
    [
      "a long first line is cut at 80 characters",
      { ...base, text: `${"ü".repeat(100)}\nmore` },
      { title: `#general — ${"ü".repeat(79)}…` },
    ],
  ];

  it.each(good)("maps %s", (_name, raw, expected) => {
    const result = transformMessage(raw, CH, lookups);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.document).toMatchObject(expected);
    expect(result.label).toBe(`Message: #general ${result.document.title.slice("#general — ".length)}`);
  });

  it("marks private channels and omits a missing author", () => {
    const result = transformMessage({ type: "message", text: "x", ts: base.ts }, { ...CH, isPrivate: true }, lookups);
    expect(result.ok && result.document.metadata?.isPrivate).toBe(true);
    expect(result.ok && "author" in result.document).toBe(false);
  });

  const broken: Array<[string, unknown, string, RegExp]> = [
    ["text: null and blocks as a string (the sandbox's item_errors)", { ...base, text: null, blocks: "<broken>" }, "C0123ABCD:1767225600.000100", /text should be a string, got null; blocks should be an array, got "<broken>"/],
    ["a ts that is not a ts", { ...base, ts: "yesterday" }, "C0123ABCD:unknown", /ts: not a Slack timestamp/],
    ["a reply_count that is a string", { ...base, reply_count: "3" }, "C0123ABCD:1767225600.000100", /reply_count should be a number, got "3"/],
    ["not an object", "oops", "C0123ABCD:unknown", /message should be an object, got "oops"/],
  ];

  it.each(broken)("fails readably on %s", (_name, raw, externalId, reason) => {
    const result = transformMessage(raw, CH, lookups);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.externalId).toBe(externalId);
    expect(result.failure.reason).toBe(UNREADABLE);
    expect(result.failure.detail).toMatch(/^Slack sent a malformed message: /);
    expect(result.failure.detail).toMatch(reason);
  });

  it("keeps a readable title on a broken message that has text", () => {
    const result = transformMessage({ ...base, reply_count: -1 }, CH, lookups);
    expect(result).toEqual({
      ok: false,
      failure: {
        externalId: "C0123ABCD:1767225600.000100",
        title: "#general — Deploy done :rocket: @Grace Hopper see CI (https://ci.example.com)",
        reason: UNREADABLE,
        detail: "Slack sent a malformed message: reply_count: Too small: expected number to be >=0",
      },
    });
  });

  it("accepts every message the sandbox serves, and rawMessageKey matches its externalId", () => {
    const users = new Map(sandboxPeople().map((p) => [p.id, p.displayName || p.realName]));
    const items = 3_000;
    let checked = 0;
    for (let j = 0; j < channelCount(items); j++) {
      for (let r = 0; r < countBelow(j, items); r += 3) {
        const raw = JSON.parse(JSON.stringify(makeMessage(items, j, r))) as unknown;
        const result = transformMessage(raw, { id: `C${j}`, name: `ch${j}`, isPrivate: false }, { users, channels: new Map() });
        expect(result.ok).toBe(true);
        if (result.ok) {
          expect(result.document.externalId).toBe(rawMessageKey(raw, `C${j}`));
          expect(result.document.text).not.toMatch(/&(lt|gt|amp);|<@U/);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(900);
  });
});

describe("messages with nothing to keep (what Slack really serves; item_errors)", () => {
  const base = { type: "message", ts: "1767225600.000100", user: "U111", text: "" };
  it.each([
    ["a file share whose file was deleted", { ...base, files: [{ id: "F1", mode: "tombstone" }] }, /was deleted in Slack/, /F1 mode tombstone/],
    ["a file hidden by the plan's limit", { ...base, files: [{ id: "F2", mode: "hidden_by_limit" }] }, /Slack hides the file/, /F2 mode hidden_by_limit/],
    ["a huddle record", { ...base, subtype: "huddle_thread" }, /record of a Slack huddle/, /subtype huddle_thread/],
  ])("%s is a failure in plain words, with the technical part as detail", (_name, raw, reason, detail) => {
    const r = transformMessage(raw, CH, lookups);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toMatchObject({ externalId: `${CH.id}:${base.ts}`, title: "#general — message of 2026-01-01 00:00 UTC" });
    expect(r.failure.reason).toMatch(reason);
    expect(r.failure.reason).not.toMatch(/tombstone|hidden_by_limit|huddle_thread/);
    expect(r.failure.detail).toMatch(detail);
  });

  it("a message with text keeps it, whatever became of its file", () => {
    const r = transformMessage({ ...base, text: "the deck", files: [{ id: "F1", mode: "tombstone" }] }, CH, lookups);
    expect(r.ok && r.document.text).toBe("the deck");
  });

  it("a tombstone is recognised (the connector removes it, never stores it)", () => {
    expect(isTombstone({ ...base, subtype: "tombstone", text: "This message was deleted.", hidden: true })).toBe(true);
    expect(isTombstone(base)).toBe(false);
  });
});
