// The real connector (real WebClient) against the Slack sandbox over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import {
  GHOST_CHANNEL,
  channelCount,
  channelId,
  countBelow,
  isBrokenItemIndex,
  isNonMemberChannel,
  itemIndex,
  roleOfRank,
  tsOf,
} from "@/lib/sandbox/slack/data";
import { FAULT_CURSOR_TTL_MS } from "@/lib/sandbox/slack/handler";
import { startSlackSandbox, type SlackSandboxFixture } from "@/lib/sandbox/slack/test-helpers";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import { SyncError } from "@/lib/contract";
import { SLACK_QUOTA, SLACK_RECHECK_MS, createSlackConnector, slackConnector, type SlackCheckpoint, type SlackCursor } from "./connector";
import { SLACK_RECENT_WINDOW } from "./types";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "Slack sent this message in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


let fx: SlackSandboxFixture;
/** The sandbox's clock runs `skew` ms ahead of ours: ages cursors for the expired_cursor fault. */
const clock = { skew: 0 };
beforeAll(async () => {
  fx = await startSlackSandbox(() => Date.now() + clock.skew);
});
afterAll(async () => {
  await fx.close();
});

interface Call {
  method: string;
  args: Record<string, string>;
  status?: number;
}
interface Recorded {
  stages: string[];
  totals: number[];
  capped: string[];
  calls: Call[];
  /** 429 answers ctx.fetch saw (and waited out, like the engine). */
  waits: number[];
}

/** Like the engine's fetch: every request counted, HTTP 429 + Retry-After waited out before anyone sees it. */
function engineLikeFetch(rec: Recorded, after?: (call: Call) => void): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const args = Object.fromEntries(new URLSearchParams(typeof init?.body === "string" ? init.body : ""));
    for (;;) {
      const call: Call = { method: url.pathname.split("/").pop() ?? "", args };
      rec.calls.push(call);
      const res = await fetch(input, init);
      call.status = res.status;
      after?.(call);
      if (res.status !== 429) return res;
      const retryAfter = Number(res.headers.get("retry-after"));
      rec.waits.push(retryAfter);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
    }
  };
}

function makeCtx(
  token: string,
  opts: { cursor?: unknown; checkpoint?: unknown; fetch?: (rec: Recorded) => typeof fetch; signal?: AbortSignal; limits?: Partial<SyncLimits> } = {},
): { ctx: SyncContext; rec: Recorded } {
  const rec: Recorded = { stages: [], totals: [], capped: [], calls: [], waits: [] };
  const ctx: SyncContext = {
    signal: opts.signal ?? new AbortController().signal,
    fetch: opts.fetch ? opts.fetch(rec) : engineLikeFetch(rec),
    baseUrl: fx.baseUrl,
    credentials: { accessToken: token },
    cursor: opts.cursor ?? null,
    checkpoint: opts.checkpoint ?? null,
    progress: {
      stage: (w) => rec.stages.push(w),
      total: (n) => rec.totals.push(n),
      phase: () => undefined,
      capped: (note) => rec.capped.push(note),
    },
    limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1000, ...opts.limits },
  };
  return { ctx, rec };
}

async function run(connector: Connector, ctx: SyncContext, stopAfterPages = Infinity) {
  const pages: SyncPage[] = [];
  const gen = connector.sync(ctx);
  let step = await gen.next();
  let cursor: SlackCursor | undefined;
  while (!step.done) {
    pages.push(step.value);
    if (pages.length >= stopAfterPages) {
      await gen.return({ cursor: null });
      break;
    }
    step = await gen.next();
  }
  if (step.done) cursor = step.value.cursor as SlackCursor;
  return { pages, cursor, docs: pages.flatMap((p) => p.documents), failures: pages.flatMap((p) => p.failures) };
}

// ---------------------------------------------------------------- what the sandbox holds

/** Channels the connector reads: every channel but the ones the app is not a member of. */
function readable(items: number): number[] {
  return Array.from({ length: channelCount(items) }, (_, j) => j).filter((j) => !isNonMemberChannel(j));
}

function idOf(j: number, r: number): string {
  return `${channelId(j)}:${tsOf(itemIndex(j, r))}`;
}

function allIds(items: number, from = 0): string[] {
  const ids: string[] = [];
  for (const j of readable(items)) for (let r = 0; r < countBelow(j, items); r++) if (itemIndex(j, r) >= from) ids.push(idOf(j, r));
  return ids.sort();
}

function topLevelRanks(j: number, items: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < countBelow(j, items); r++) if (roleOfRank(j, r).kind !== "reply") out.push(r);
  return out;
}

/** Replies already posted to the thread started at rank r. */
function posted(j: number, r: number, items: number): number {
  const role = roleOfRank(j, r);
  return role.kind === "parent" ? Math.max(0, Math.min(role.replies, countBelow(j, items) - r - 1)) : 0;
}

const sorted = (xs: string[]) => [...xs].sort();

describe("slack connector: connect", () => {
  it("returns the workspace name, through ctx.fetch", async () => {
    const a = fx.account({ items: 5 });
    const { ctx, rec } = makeCtx(a.token);
    expect(await slackConnector.connect(ctx)).toEqual({ accountLabel: "2nd Brain Sandbox" });
    expect(rec.calls.map((c) => c.method)).toEqual(["auth.test"]);
    expect(a.served()).toBe(1);
  });

  it("a refused token ends with SyncError auth asking to reconnect Slack", async () => {
    const { ctx } = makeCtx("xoxb-not-a-token");
    await expect(slackConnector.connect(ctx)).rejects.toMatchObject({ kind: "auth", message: "Slack refused the token (invalid_auth). Reconnect Slack." });

    const e = fx.account({ items: 50, fault: "expired_token" });
    const err = await run(slackConnector, makeCtx(e.token).ctx).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ kind: "auth", message: "Slack refused the token (token_expired). Reconnect Slack." });

    const x = fx.account({ items: 50 });
    fx.auth.expireAccessTokens(x.key);
    await expect(slackConnector.connect(makeCtx(x.token).ctx)).rejects.toMatchObject({ kind: "auth", message: expect.stringContaining("(token_expired). Reconnect Slack.") });
  });
});

describe("slack connector: sync", () => {
  it("full sync: every message once (replies included), names resolved, every call through ctx.fetch", async () => {
    const items = 3_000; // 8 channels; #6 is a channel the app was never invited to
    const a = fx.account({ items });
    const { ctx, rec } = makeCtx(a.token);
    const { pages, docs, failures, cursor } = await run(slackConnector, ctx);

    expect(failures).toEqual([]);
    expect(docs).toHaveLength(items);
    expect(sorted(docs.map((d) => d.externalId))).toEqual(allIds(items));
    expect(rec.totals).toEqual([items]);
    expect(rec.capped).toEqual([]);
    const chans = readable(items);
    expect(chans).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect(rec.stages).toEqual([
      "Listing channels…",
      "Found 7 channels; skipping 1 the Slack app is not a member of (invite it to sync them)",
      "Loading people…",
      "Fetching messages in #general (1 of 7)…",
      "Fetching messages in #random (2 of 7)…",
      "Fetching messages in #engineering (3 of 7)…",
      "Fetching messages in #design (4 of 7)…",
      "Fetching messages in #product (5 of 7)…",
      "Fetching messages in #support (6 of 7)…",
      "Fetching messages in #announcements (7 of 7)…",
    ]);

    // Requests: 1 channel list, 1 member list, ceil(top-level / 200) history pages per channel,
    // one conversations.replies per thread that has replies. All of them through ctx.fetch.
    const history = chans.reduce((n, j) => n + Math.max(1, Math.ceil(topLevelRanks(j, items).length / 200)), 0);
    const threads = chans.reduce((n, j) => n + topLevelRanks(j, items).filter((r) => posted(j, r, items) > 0).length, 0);
    expect(threads).toBeGreaterThan(25);
    expect(threads).toBeLessThan(50); // a small sync fits in Slack's Tier 3 minute (50 replies calls)
    const methods = rec.calls.map((c) => c.method);
    expect(methods.slice(0, 2)).toEqual(["conversations.list", "users.list"]);
    expect(methods.filter((m) => m === "conversations.history")).toHaveLength(history);
    expect(methods.filter((m) => m === "conversations.replies")).toHaveLength(threads);
    expect(rec.calls).toHaveLength(2 + history + threads);
    expect(a.served()).toBe(rec.calls.length); // the server saw nothing that bypassed ctx.fetch
    expect(a.methods()).toEqual(methods);
    expect(rec.calls.every((c) => c.args.channel !== channelId(6))).toBe(true);
    expect(rec.calls.filter((c) => c.method === "conversations.history").every((c) => c.args.limit === "200" && !("oldest" in c.args))).toBe(true);
    expect(rec.calls[0]!.args).toMatchObject({ types: "public_channel,private_channel", exclude_archived: "true", limit: "200" });

    for (const p of pages) {
      expect(p.labels).toHaveLength(p.documents.length);
      p.documents.forEach((d, k) => expect(p.labels![k]).toBe(`Message: ${d.title.replace(" — ", " ")}`));
      expect(p.documents.length).toBeLessThanOrEqual(50 + 50 * 6); // 50 top-level messages + their replies
    }
    expect(docs.every((d) => d.kind === "message" && !/<@U|&lt;|&amp;/.test(d.text))).toBe(true);
    const first = docs.find((d) => d.externalId === idOf(0, 0))!;
    expect(first).toMatchObject({
      title: expect.stringMatching(/^#general — /),
      url: `https://slack.com/archives/${channelId(0)}/p${tsOf(0).replace(".", "")}`,
      metadata: { channel: channelId(0), channelName: "general", ts: tsOf(0), isPrivate: false },
      createdAt: new Date(Math.floor(Number(tsOf(0)) * 1000)),
    });
    expect(docs.filter((d) => (d.metadata as { isPrivate: boolean }).isPrivate).every((d) => d.externalId.startsWith(channelId(3)))).toBe(true);
    expect(docs.some((d) => d.author === "Ελένη Παπαδοπούλου")).toBe(true); // no display name: the real name
    expect(docs.some((d) => d.author === "Deploy Bot")).toBe(true);
    const replies = docs.filter((d) => {
      const m = d.metadata as { threadTs: string | null; ts: string };
      return m.threadTs !== null && m.threadTs !== m.ts;
    });
    expect(replies.length).toBeGreaterThan(threads);
    expect(replies.every((d) => d.url!.includes("?thread_ts="))).toBe(true);

    const last = pages.at(-1)!.checkpoint as SlackCheckpoint;
    expect(last).toMatchObject({ channelId: null, channelIndex: 7, cursor: null });
    expect(Object.keys(last.done)).toHaveLength(7);
    // Cursor: the newest top-level ts per channel (replies do not appear in history).
    const newest = (j: number) => tsOf(itemIndex(j, topLevelRanks(j, items).at(-1)!));
    expect(cursor!.channels).toEqual(Object.fromEntries(chans.map((j) => [channelId(j), newest(j)])));
    // The window the next run re-reads: the channel's newest SLACK_RECENT_WINDOW top-level messages, newest first.
    expect(cursor!.recent![channelId(0)]!.map(([ts]) => ts)).toEqual(
      topLevelRanks(0, items).slice(-SLACK_RECENT_WINDOW).reverse().map((r) => tsOf(itemIndex(0, r))),
    );
  });

  it("incremental: after raising items only the new messages (and threads that got replies) are fetched", async () => {
    const a = fx.account({ items: 1_000 }); // 3 channels
    const first = await run(slackConnector, makeCtx(a.token).ctx);
    expect(first.docs).toHaveLength(1_000);

    // 1,106 ends #general on a message that starts a thread later (no replies yet); 1,112 on
    // its 2nd of 5 replies; 1,130 completes it. Each run must pick up exactly what changed.
    let before = 1_000;
    let cursor = first.cursor!;
    for (const items of [1_106, 1_112, 1_130]) {
      a.setScenario({ items });
      const { ctx, rec } = makeCtx(a.token, { cursor: JSON.parse(JSON.stringify(cursor)) });
      const next = await run(slackConnector, ctx);
      const ids = next.docs.map((d) => d.externalId);
      const fresh = allIds(items, before);
      expect(fresh).toHaveLength(items - before);
      // Parents synced before whose thread grew since are written again (new reply count).
      const grown: string[] = [];
      for (const j of readable(items)) {
        for (const r of topLevelRanks(j, before)) if (posted(j, r, before) !== posted(j, r, items)) grown.push(idOf(j, r));
      }
      expect(grown).toHaveLength(items === 1_106 ? 0 : 1);
      expect(sorted(ids)).toEqual(sorted([...fresh, ...grown]));
      expect(new Set(ids).size).toBe(ids.length);
      expect(rec.totals).toEqual([ids.length]);
      // Every history request is bounded below by `oldest`: just under the channel's newest re-checked messages.
      const historyCalls = rec.calls.filter((c) => c.method === "conversations.history");
      expect(historyCalls).toHaveLength(3);
      for (const c of historyCalls) {
        const lowest = cursor.recent![c.args.channel!]!.map(([ts]) => ts).sort().at(0)!;
        expect(c.args.oldest).toBe(`${lowest.slice(0, -6)}${String(Number(lowest.slice(-6)) - 1).padStart(6, "0")}`);
        expect(c.args.oldest! < cursor.channels[c.args.channel!]!).toBe(true);
      }
      // Replies are fetched for new threads and grown ones only, from after the last reply known.
      const replyCalls = rec.calls.filter((c) => c.method === "conversations.replies");
      expect(replyCalls.length).toBeLessThanOrEqual(6);
      if (items === 1_112) expect(replyCalls.find((c) => c.args.ts === grown[0]!.split(":")[1])?.args.oldest).toBeUndefined();
      if (items === 1_130) expect(replyCalls.find((c) => c.args.ts === grown[0]!.split(":")[1])?.args.oldest).toMatch(/^\d+\.\d{6}$/);
      before = items;
      cursor = next.cursor!;
    }

    // Nothing changed: nothing written, one request (conversations.list: no channel's `updated`
    // is after its newest message seen), the same cursor.
    const { ctx: ctx3, rec: rec3 } = makeCtx(a.token, { cursor });
    const third = await run(slackConnector, ctx3);
    expect(third.docs).toEqual([]);
    expect(rec3.calls.map((c) => c.method)).toEqual(["conversations.list"]);
    expect(third.cursor).toEqual(cursor);

    // A day after a channel's last read it is read again even when `updated` says nothing changed.
    const stale = { ...cursor, checked: Object.fromEntries(Object.keys(cursor.channels).map((id) => [id, Date.now() - SLACK_RECHECK_MS - 1])) };
    const { ctx: ctx4, rec: rec4 } = makeCtx(a.token, { cursor: stale });
    const fourth = await run(slackConnector, ctx4);
    expect(fourth.docs).toEqual([]);
    expect(rec4.calls.map((c) => c.method)).toEqual(["conversations.list", "users.list", "conversations.history", "conversations.history", "conversations.history"]);
    for (const t of Object.values(fourth.cursor!.checked!)) expect(t).toBeGreaterThan(Date.now() - 60_000);
  });

  it("resumes from any checkpoint (mid-page, page end, between channels) without losing or repeating", async () => {
    const connector = createSlackConnector({ historyLimit: 60, chunkSize: 25 });
    const a = fx.account({ items: 1_000 });
    const whole = await run(connector, makeCtx(a.token).ctx);
    expect(whole.docs).toHaveLength(1_000);
    const n = whole.pages.length;
    expect(n).toBeGreaterThan(20);
    const cps = whole.pages.map((p) => p.checkpoint as SlackCheckpoint);
    const pageEnd = cps.findIndex((c) => c.cursor !== null);
    const midPage = cps.findIndex((c) => c.cursor === null && c.channelId !== null);
    const between = cps.findIndex((c) => c.channelId === null);
    expect([pageEnd, midPage, between].every((k) => k >= 0 && k < n - 1)).toBe(true);

    for (const k of [midPage, pageEnd, between, n - 2]) {
      // A fresh account (same data) per attempt keeps each inside Slack's per-minute tiers.
      const b = fx.account({ items: 1_000 });
      const partial = await run(connector, makeCtx(b.token).ctx, k + 1);
      const { ctx, rec } = makeCtx(b.token, { checkpoint: JSON.parse(JSON.stringify(partial.pages.at(-1)!.checkpoint)) });
      const rest = await run(connector, ctx);
      const ids = [...partial.docs, ...rest.docs].map((d) => d.externalId);
      expect(ids).toHaveLength(1_000); // nothing repeated
      expect(sorted(ids)).toEqual(allIds(1_000)); // nothing lost
      // The same cursor, but for when each channel was read, and without the listed `updated` of
      // the channel resumed mid-way (what arrived above its position since is unread: the next
      // run must read it).
      const { checked: restChecked, updated: restUpdated, ...restCursor } = rest.cursor!;
      const { checked: wholeChecked, updated: wholeUpdated, ...wholeCursor } = whole.cursor!;
      expect(restCursor).toEqual(wholeCursor);
      const resumedChannel = (partial.pages.at(-1)!.checkpoint as SlackCheckpoint).channelId;
      expect(restUpdated).toEqual(Object.fromEntries(Object.entries(wholeUpdated!).filter(([id]) => id !== resumedChannel)));
      expect(Object.keys(restChecked!).sort()).toEqual(Object.keys(wholeChecked!).sort());
      expect(rec.totals).toEqual([rest.docs.length]);
      const resumedHistory = rec.calls.filter((c) => c.method === "conversations.history")[0]!;
      const cp = partial.pages.at(-1)!.checkpoint as SlackCheckpoint;
      if (cp.cursor) expect(resumedHistory.args.cursor).toBe(cp.cursor);
      else if (cp.channelId) expect(resumedHistory.args.latest).toBe(cp.before);
    }
  });

  it("caps: SLACK_MAX_CHANNELS stops the channel list; SLACK_MAX_MESSAGES_PER_CHANNEL keeps the newest", async () => {
    const connector = createSlackConnector({ channelPageSize: 2 });
    const a = fx.account({ items: 3_000 });
    const { ctx, rec } = makeCtx(a.token, { limits: { maxChannels: 2 } });
    const { docs } = await run(connector, ctx);
    expect(rec.capped).toEqual(["Stopped at 2 channels (SLACK_MAX_CHANNELS)"]);
    expect(sorted(docs.map((d) => d.externalId))).toEqual(allIds(3_000).filter((id) => id.startsWith(channelId(0)) || id.startsWith(channelId(1))));
    // Two pages of two channels were enough to know there are more than two.
    expect(rec.calls.filter((c) => c.method === "conversations.list")).toHaveLength(2);
    expect(new Set(rec.calls.filter((c) => c.method === "conversations.history").map((c) => c.args.channel))).toEqual(new Set([channelId(0), channelId(1)]));

    const b = fx.account({ items: 1_000 });
    const capped = makeCtx(b.token, { limits: { maxMessagesPerChannel: 30 } });
    const res = await run(createSlackConnector({ historyLimit: 20, chunkSize: 7 }), capped.ctx);
    expect(capped.rec.capped).toEqual([0, 1, 2].map((j) => `Stopped at 30 messages in #${["general", "random", "engineering"][j]} (SLACK_MAX_MESSAGES_PER_CHANNEL)`));
    for (const j of [0, 1, 2]) {
      const top = topLevelRanks(j, 1_000).slice(-30);
      const expected = top.flatMap((r) => [idOf(j, r), ...Array.from({ length: posted(j, r, 1_000) }, (_, k) => idOf(j, r + 1 + k))]);
      expect(sorted(res.docs.map((d) => d.externalId).filter((id) => id.startsWith(channelId(j))))).toEqual(sorted(expected));
    }
    expect(capped.rec.calls.filter((c) => c.method === "conversations.history")).toHaveLength(3 * 2); // 20 + 10 of the next page
  });

  it("item_errors: broken messages and an unreadable channel become failures with reasons", async () => {
    const a = fx.account({ items: 400, fault: "item_errors" });
    const { ctx, rec } = makeCtx(a.token);
    const { docs, failures } = await run(slackConnector, ctx);
    const broken = allIds(400).filter((id) => {
      const r = Array.from({ length: countBelow(0, 400) }, (_, k) => k).find((k) => idOf(0, k) === id)!;
      return isBrokenItemIndex(itemIndex(0, r));
    });
    expect(broken).toHaveLength(40);
    expect(docs).toHaveLength(360);
    expect(failures).toHaveLength(41);
    expect(rec.totals).toEqual([401]);
    expect(sorted(failures.filter((f) => f.externalId !== channelId(GHOST_CHANNEL)).map((f) => f.externalId))).toEqual(sorted(broken));
    // Messages Slack serves with nothing to keep, each in plain words (the technical part in detail).
    const reasons = new Map<string, string>();
    for (const f of failures.filter((x) => x.externalId !== channelId(GHOST_CHANNEL))) {
      expect(f.reason).not.toBe(UNREADABLE);
      expect(f.title).toMatch(/^#general — message of 2026-01-0\d \d\d:\d\d UTC$/);
      reasons.set(f.reason, f.detail!);
    }
    expect([...reasons.keys()].sort()).toEqual([
      "Slack hides the file shared in this message (the workspace's plan only shows recent history), so 2nd Brain could not keep it.",
      "The file shared in this message was deleted in Slack, so there was nothing to keep.",
      "This is the record of a Slack huddle, which holds no text to keep, so it was skipped.",
    ]);
    expect([...reasons.values()].join("\n")).toMatch(/mode tombstone/);
    expect([...reasons.values()].join("\n")).toMatch(/subtype huddle_thread/);
    expect(failures.find((f) => f.externalId === channelId(GHOST_CHANNEL))).toEqual({
      externalId: channelId(GHOST_CHANNEL),
      title: "#old-project",
      reason: "Slack did not let 2nd Brain read #old-project: it was deleted or the app lost access. Its messages were skipped.",
      detail: "Slack error channel_not_found",
    });
  });

  it("invalid_cursor: a resumed run with a stale cursor continues from where it stopped", async () => {
    const connector = createSlackConnector({ historyLimit: 50, chunkSize: 50 });
    const a = fx.account({ items: 1_000, fault: "expired_cursor" });
    const whole = await run(connector, makeCtx(a.token).ctx);
    expect(whole.docs).toHaveLength(1_000);
    const k = whole.pages.findIndex((p) => (p.checkpoint as SlackCheckpoint).cursor !== null);
    const partial = await run(connector, makeCtx(a.token).ctx, k + 1);
    const cp = partial.pages.at(-1)!.checkpoint as SlackCheckpoint;
    expect(cp.cursor).not.toBeNull();

    clock.skew += FAULT_CURSOR_TTL_MS * 2; // the run resumes later: its saved cursor has expired
    const { ctx, rec } = makeCtx(a.token, { checkpoint: JSON.parse(JSON.stringify(cp)) });
    const rest = await run(connector, ctx);
    const history = rec.calls.filter((c) => c.method === "conversations.history");
    expect(history[0]!.args.cursor).toBe(cp.cursor);
    expect(history[1]!.args).toMatchObject({ latest: cp.before });
    expect(history[1]!.args.cursor).toBeUndefined();
    expect(rec.stages).toContain("Cursor expired — continuing #general from where it stopped");
    const ids = [...partial.docs, ...rest.docs].map((d) => d.externalId);
    expect(ids).toHaveLength(1_000);
    expect(sorted(ids)).toEqual(allIds(1_000));
  });

  it("invalid_cursor on the channel list: restarts it once, without the cursor", async () => {
    const connector = createSlackConnector({ channelPageSize: 3 });
    const a = fx.account({ items: 3_000, fault: "expired_cursor" });
    let aged = false;
    // The first page of the channel list comes back; then (once) time passes before the next request.
    const fetchWithPause = (rec: Recorded) =>
      engineLikeFetch(rec, (c) => {
        if (!aged && c.method === "conversations.list") {
          aged = true;
          clock.skew += FAULT_CURSOR_TTL_MS * 2;
        }
      });
    const { ctx, rec } = makeCtx(a.token, { fetch: fetchWithPause });
    const { docs } = await run(connector, ctx);
    expect(rec.stages).toContain("Cursor expired — restarting channel list");
    const lists = rec.calls.filter((c) => c.method === "conversations.list");
    expect(lists.map((c) => c.args.cursor === undefined)).toEqual([true, false, true, false, false]);
    expect(docs).toHaveLength(3_000);
  });

  it("rate limits: Slack's 429 + Retry-After reach ctx.fetch (which waits), never WebClient", async () => {
    const a = fx.account({ items: 600, fault: "rate_limit" }); // 5 calls per 2 s
    const { ctx, rec } = makeCtx(a.token);
    const started = performance.now();
    const { docs } = await run(slackConnector, ctx);
    expect(docs).toHaveLength(600);
    expect(rec.calls.length).toBeGreaterThan(5 + rec.waits.length);
    expect(rec.waits.length).toBeGreaterThanOrEqual(1);
    expect(rec.waits.every((s) => s >= 1 && s <= 2)).toBe(true);
    expect(rec.calls.filter((c) => c.status === 429)).toHaveLength(rec.waits.length);
    expect(performance.now() - started).toBeGreaterThan(900);

    // Without a fetch that waits, WebClient does not retry or pause on its own: a readable error.
    const b = fx.account({ items: 600, fault: "rate_limit" });
    const plain = makeCtx(b.token, { fetch: () => globalThis.fetch });
    await expect(run(slackConnector, plain.ctx)).rejects.toMatchObject({ kind: "rate_limit", message: expect.stringMatching(/^Slack rate limited conversations\.\w+ for [12] s; try again later\.$/) });
  }, 15_000);

  it("hang: aborting ctx.signal ends the sync promptly, with the run's reason", async () => {
    const a = fx.account({ items: 50, fault: "hang" });
    const controller = new AbortController();
    const { ctx } = makeCtx(a.token, { signal: controller.signal });
    const started = performance.now();
    const reason = new SyncError("stalled", "No progress");
    setTimeout(() => controller.abort(reason), 200);
    await expect(run(slackConnector, ctx)).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("server_error and malformed: readable errors, through the engine's fetch and without it", async () => {
    const engineFetch = (signal: AbortSignal) =>
      createProviderFetch({ provider: "Slack", signal, requestTimeoutMs: 5_000, maxAttempts: 2, maxRateLimitWaitMs: 10_000, random: () => 0 });
    const s = fx.account({ items: 50, fault: "server_error" });
    const viaEngine = makeCtx(s.token, { fetch: () => engineFetch(new AbortController().signal) });
    await expect(run(slackConnector, viaEngine.ctx)).rejects.toMatchObject({ kind: "provider", message: expect.stringMatching(/^Slack kept failing \(HTTP 50[03]\) after 2 attempts/) });
    const plain = makeCtx(s.token, { fetch: () => globalThis.fetch });
    await expect(run(slackConnector, plain.ctx)).rejects.toMatchObject({ kind: "provider", message: expect.stringMatching(/^Slack answered conversations\.list with HTTP 50[03]; try again later\.$/) });

    const m = fx.account({ items: 50, fault: "malformed" });
    await expect(run(slackConnector, makeCtx(m.token, { fetch: () => engineFetch(new AbortController().signal) }).ctx)).rejects.toMatchObject({
      kind: "malformed",
      message: "Slack sent an answer we could not read (broken JSON), 2 attempts.",
    });
    await expect(run(slackConnector, makeCtx(m.token).ctx)).rejects.toMatchObject({
      kind: "malformed",
      message: "Slack sent an answer to conversations.list we could not read (broken JSON).",
    });
  });
});

describe("slack connector: quota", () => {
  it("paces at Slack's published tiers: one window per method, never more than 50 Tier-3 or 20 Tier-2 calls in any minute", () => {
    const windows = (method: string) => SLACK_QUOTA.windows!(new URL(`https://slack.com/api/${method}`), "POST");
    expect(windows("conversations.history")).toEqual([{ key: "conversations.history", limit: 50, windowMs: 60_000 }]);
    expect(windows("conversations.replies")).toEqual([{ key: "conversations.replies", limit: 50, windowMs: 60_000 }]);
    expect(windows("conversations.list")).toEqual([{ key: "conversations.list", limit: 20, windowMs: 60_000 }]);
    expect(windows("users.list")).toEqual([{ key: "users.list", limit: 20, windowMs: 60_000 }]);
    expect(windows("auth.test")).toEqual([{ key: "auth.test", limit: 100, windowMs: 60_000 }]);
    expect(SLACK_QUOTA.capacity).toBeUndefined();
    expect(SLACK_QUOTA.maxConcurrency).toBe(8);
    expect(slackConnector.refresh).toBeUndefined();
    expect(slackConnector.type).toBe("slack");
  });
});
