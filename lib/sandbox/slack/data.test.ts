import { describe, expect, it } from "vitest";
import {
  GHOST_CHANNEL,
  MAX_CHANNELS,
  UNKNOWN_USER_ID,
  channelCount,
  channelId,
  channelIndexById,
  channelName,
  channelOfItem,
  countBelow,
  firstIndexAfter,
  firstIndexAtOrAfter,
  historyPage,
  isArchivedChannel,
  isBrokenItemIndex,
  isEmptyChannel,
  isNonMemberChannel,
  itemIndex,
  listMembers,
  makeChannel,
  makeMessage,
  microsToTs,
  parseTs,
  rankOfTs,
  repliesPage,
  roleOfRank,
  tsMicros,
  tsOf,
  type SlackMessage,
} from "./data";

/** Brute force: every message index of channel j (given `items`), in index order. */
function brute(items: number, j: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < items; i++) if (channelOfItem(i) === j) out.push(i);
  return out;
}

describe("slack sandbox data: channels", () => {
  it("has clamp(ceil(items/400), 1, 50) channels, some empty, public and private, with unicode names", () => {
    expect([0, 1, 400, 401, 2_000, 20_000, 100_000].map(channelCount)).toEqual([1, 1, 1, 2, 5, 50, 50]);
    const empty = Array.from({ length: MAX_CHANNELS }, (_, j) => j).filter(isEmptyChannel);
    expect(empty).toEqual([6, 14, 22, 30, 38, 46]);
    expect(empty.filter(isNonMemberChannel)).toEqual([6, 22]); // 38 is private: a bot is in every private channel it sees
    expect(empty.filter(isArchivedChannel)).toEqual([14, 30, 46]);
    const channels = Array.from({ length: 50 }, (_, j) => makeChannel(j, 20_000));
    expect(channels.filter((c) => c.is_private)).toHaveLength(10);
    expect(channels.map((c) => c.name)).toContain("日本語-チーム");
    expect(channels.map((c) => c.name)).toContain("café-crew");
    expect(new Set(channels.map((c) => c.name)).size).toBe(50);
    expect(channels[0]).toMatchObject({ name: "general", is_general: true, is_member: true, is_channel: true, is_private: false });
    expect(channels[3]).toMatchObject({ is_private: true, is_group: true, is_channel: false });
    expect(channels[6]).toMatchObject({ is_member: false, is_private: false });
    expect(channels[14]).toMatchObject({ is_archived: true });
    expect(channelName(24)).toBe("general-2");
  });

  it("channel ids look like Slack's, sort in channel order and map back", () => {
    const ids = Array.from({ length: 51 }, (_, j) => channelId(j));
    expect(ids.every((id) => /^C0[0-9A-Z]{7}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(channelIndexById(ids[4]!, 2_000)).toBe(4);
    expect(channelIndexById(ids[5]!, 2_000)).toBe(-1); // only 5 channels at 2,000 items
    expect(channelIndexById(ids[GHOST_CHANNEL]!, 2_000)).toBe(-1);
    expect(channelIndexById(ids[GHOST_CHANNEL]!, 2_000, true)).toBe(GHOST_CHANNEL);
    expect(channelIndexById("C0NOPE", 2_000)).toBe(-1);
  });

  it("countBelow / itemIndex agree with brute force, across the 19,600 boundary", () => {
    const items = 21_337;
    let sum = 0;
    for (let j = 0; j < MAX_CHANNELS; j++) {
      const all = brute(items, j);
      expect(countBelow(j, items)).toBe(all.length);
      if (isEmptyChannel(j)) expect(all).toEqual([]);
      all.forEach((i, r) => {
        if (r % 7 === 0 || r === all.length - 1) expect(itemIndex(j, r)).toBe(i);
      });
      for (const x of [0, 1, 399, 400, 2_801, 19_599, 19_600, 19_601, 19_700, 21_336, 21_337]) {
        expect(countBelow(j, x)).toBe(all.filter((i) => i < x).length);
      }
      sum += all.length;
    }
    expect(sum).toBe(items);
    // A message stays in its channel when items grow (channel 6 is empty, so 7 channels deal over 6).
    expect(channelOfItem(2_400)).toBe(0);
    expect(channelOfItem(2_405)).toBe(5);
    expect(channelOfItem(2_406)).toBe(0);
  });
});

describe("slack sandbox data: timestamps", () => {
  it("ts grow with the index, one minute apart, and round-trip", () => {
    expect(tsOf(0)).toMatch(/^1767225600\.\d{6}$/);
    expect(tsOf(1)).toMatch(/^1767225660\.\d{6}$/);
    for (let i = 0; i < 500; i++) {
      expect(tsMicros(i + 1)).toBeGreaterThan(tsMicros(i));
      expect(parseTs(tsOf(i))).toBe(tsMicros(i));
      expect(microsToTs(tsMicros(i))).toBe(tsOf(i));
    }
    expect(parseTs("1767225600")).toBe(1_767_225_600_000_000);
    expect(parseTs("1767225600.5")).toBe(1_767_225_600_500_000);
    expect(parseTs("yesterday")).toBeNull();
  });

  it("firstIndexAfter / AtOrAfter match brute force", () => {
    const probes = [0, 1_000_000_000_000_000, tsMicros(0), tsMicros(0) - 1, tsMicros(0) + 1, tsMicros(77), tsMicros(77) + 1, tsMicros(77) - 1, tsMicros(99_999)];
    for (const t of probes) {
      let after = 0;
      while (tsMicros(after) <= t) after++;
      let atOrAfter = 0;
      while (tsMicros(atOrAfter) < t) atOrAfter++;
      expect(firstIndexAfter(t)).toBe(after);
      expect(firstIndexAtOrAfter(t)).toBe(atOrAfter);
    }
  });
});

describe("slack sandbox data: messages and threads", () => {
  it("threads: a parent then 1-6 replies; history skips replies; history + replies hold every message once", () => {
    const items = 2_000;
    for (let j = 0; j < channelCount(items); j++) {
      const n = countBelow(j, items);
      const top = historyPage(items, j, { limit: 999 });
      expect(top.hasMore).toBe(false);
      const seen = new Set<string>();
      for (const m of top.messages as SlackMessage[]) {
        seen.add(m.ts!);
        expect(m.thread_ts === undefined || m.thread_ts === m.ts).toBe(true); // no replies in history
        if (m.reply_count) {
          const r = repliesPage(items, j, rankOfTs(items, j, parseTs(m.ts!)!), { limit: 1000 })!;
          expect(r.messages[0]!.ts).toBe(m.ts);
          expect(r.messages).toHaveLength(1 + m.reply_count);
          expect(m.latest_reply).toBe(r.messages.at(-1)!.ts);
          for (const reply of r.messages.slice(1)) {
            expect(reply.thread_ts).toBe(m.ts);
            seen.add(reply.ts!);
          }
        }
      }
      expect(seen.size).toBe(n);
      // Newest first.
      const ts = top.messages.map((m) => parseTs(String(m.ts))!);
      expect(ts).toEqual([...ts].sort((a, b) => b - a));
    }
    // About one block of 20 ranks in 4 starts a thread, with 1-6 replies.
    const roles = Array.from({ length: 2_000 }, (_, r) => roleOfRank(0, r).kind);
    expect(roles.filter((k) => k === "parent").length).toBe(22);
    expect(roles.filter((k) => k === "reply").length).toBe(79);
  });

  it("is deterministic and stable when items grow (a cut thread gets its remaining replies)", () => {
    const a = JSON.stringify(historyPage(120, 0, { limit: 200 }));
    expect(JSON.stringify(historyPage(120, 0, { limit: 200 }))).toBe(a);
    // Find a thread cut by the scenario: the parent exists, not all its replies do.
    let cut: { items: number; r: number; replies: number } | undefined;
    for (let items = 2; items < 400 && !cut; items++) {
      const r = countBelow(0, items) - 1;
      const role = roleOfRank(0, r);
      if (role.kind === "parent") cut = { items, r, replies: role.replies };
    }
    expect(cut).toBeDefined();
    const before = makeMessage(cut!.items, 0, cut!.r) as SlackMessage;
    expect(before.reply_count).toBeUndefined(); // no replies posted yet
    const after = makeMessage(cut!.items + cut!.replies, 0, cut!.r) as SlackMessage;
    expect(after).toMatchObject({ ts: before.ts, thread_ts: before.ts, reply_count: cut!.replies });
    expect(after.text).toBe(before.text);
  });

  it("serves realistic messages: mentions, links, escapes, bots, edits, unicode", () => {
    const msgs = historyPage(2_000, 0, { limit: 999 }).messages as SlackMessage[];
    const texts = msgs.map((m) => m.text ?? "");
    expect(texts.some((t) => /<@U0[0-9A-Z]+>/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes(`<@${UNKNOWN_USER_ID}>`))).toBe(true);
    expect(texts.some((t) => /<#C0[0-9A-Z]+\|[^>]+>/.test(t))).toBe(true);
    expect(texts.some((t) => /<https:\/\/[^|>]+\|[^>]+>/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes("&lt;") && t.includes("&amp;"))).toBe(true);
    expect(texts.some((t) => /日本語/.test(t))).toBe(true);
    expect(msgs.some((m) => m.subtype === "bot_message" && m.text === "" && (m.attachments?.length ?? 0) > 0)).toBe(true);
    expect(msgs.some((m) => m.edited?.ts)).toBe(true);
    const members = listMembers();
    expect(members.some((m) => m.deleted)).toBe(true);
    expect(members.some((m) => m.is_bot)).toBe(true);
    expect(members.some((m) => m.profile?.real_name === "田中 由紀")).toBe(true);
  });

  it("under item_errors, every message with i % 10 === 3 (replies too) is one Slack serves with nothing to keep", () => {
    const items = 400;
    const all = brute(items, 0);
    const kinds = new Set<string>();
    for (let r = 0; r < all.length; r++) {
      const m = makeMessage(items, 0, r, true)!;
      const plain = makeMessage(items, 0, r)!;
      expect(typeof m.text).toBe("string"); // a shape Slack's types allow, never text: null
      expect(m.thread_ts).toBe(plain.thread_ts); // threads stay threads
      if (isBrokenItemIndex(all[r]!)) {
        expect(m.text).toBe("");
        const mode = m.files?.[0]?.mode;
        kinds.add(m.subtype === "huddle_thread" ? "huddle" : String(mode));
        expect(m.subtype === "huddle_thread" || mode === "tombstone" || mode === "hidden_by_limit").toBe(true);
        if (roleOfRank(0, r).kind === "reply") expect(m.subtype).not.toBe("huddle_thread");
      } else {
        expect(m).toEqual(plain);
      }
    }
    expect([...kinds].sort()).toEqual(["hidden_by_limit", "huddle", "tombstone"]);
  });

  it("computes a deep page of 100,000 items quickly", () => {
    const t = performance.now();
    const j = 49;
    const n = countBelow(j, 100_000);
    expect(n).toBe(1_827); // the last channel joined at 19,600: (100,000 - 19,600) / 44 messages
    const latest = tsMicros(itemIndex(j, Math.floor(n / 2)));
    const page = historyPage(100_000, j, { latest, limit: 200 });
    expect(page.messages).toHaveLength(200);
    expect(page.hasMore).toBe(true);
    expect(parseTs(String(page.messages[0]!.ts))!).toBeLessThan(latest);
    expect(performance.now() - t).toBeLessThan(200);
  });
});
