// The Slack sandbox's dataset after POST .../sandbox/changes: adds, edits, deletions and
// tombstones as conversations.history / replies / list show them, through the real WebClient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebClient, type ConversationsHistoryResponse } from "@slack/web-api";
import { sandboxChangeView, type SandboxChange } from "@/lib/contract";
import {
  channelId,
  channelOfItem,
  countBelow,
  dataset,
  historyPage,
  itemIndex,
  makeMessage,
  roleOfRank,
  tsOf,
  type SlackMessage,
} from "./data";
import { PICK_WINDOW, slackChangeModel } from "./changes";
import { startSlackSandbox, type SlackSandboxFixture } from "./test-helpers";

let fx: SlackSandboxFixture;
beforeAll(async () => {
  fx = await startSlackSandbox();
});
afterAll(async () => {
  await fx.close();
});

const silent = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => "error" as never, setName() {} };
function client(token: string): WebClient {
  return new WebClient(token, { slackApiUrl: `${fx.baseUrl}/`, retryConfig: { retries: 0 }, logger: silent, rejectRateLimitedCalls: true });
}

async function history(web: WebClient, channel: string): Promise<SlackMessage[]> {
  const out: SlackMessage[] = [];
  for await (const page of web.paginate("conversations.history", { channel, limit: 200 })) out.push(...((page as ConversationsHistoryResponse).messages ?? []));
  return out;
}

/** The newest thread parent of channel 0 with at least one reply posted when the scenario has `items`. */
function parentWithReplies(items: number): { r: number; i: number } {
  for (let r = countBelow(0, items) - 1; r >= 0; r--) {
    const role = roleOfRank(0, r);
    if (role.kind === "parent" && r + 1 < countBelow(0, items)) return { r, i: itemIndex(0, r) };
  }
  throw new Error("no thread");
}

describe("slack sandbox: changes in the data", () => {
  it("an edit: the text gains 'edited', edited.ts is when it happened; a second edit says so again", () => {
    const items = 120;
    const i = itemIndex(0, countBelow(0, items) - 3);
    const at = Date.UTC(2026, 11, 6, 12);
    const log: SandboxChange[] = [{ seq: 1, kind: "edit", index: i, at }];
    const before = makeMessage(items, 0, countBelow(0, i))!;
    const after = makeMessage(dataset(items, sandboxChangeView({ items }, log)), 0, countBelow(0, i))!;
    expect(after.ts).toBe(before.ts);
    expect(after.text).toBe(`${before.text} (edited)`);
    expect(after.edited?.ts).toBe(`${at / 1000}.000001`);
    const twice = makeMessage(dataset(items, sandboxChangeView({ items }, [...log, { seq: 2, kind: "edit", index: i, at: at + 5 }])), 0, countBelow(0, i))!;
    expect(twice.text).toBe(`${before.text} (edited 2 times)`);
    expect(twice.edited?.ts).toBe(`${at / 1000}.005002`);
  });

  it("adds are new top-level messages at the end of their channel; a seeded parent keeps its reply count", () => {
    const items = 200;
    const log: SandboxChange[] = Array.from({ length: 30 }, (_, k) => ({ seq: k + 1, kind: "add" as const, index: items + k, at: 1 }));
    const view = sandboxChangeView({ items }, log);
    const page = historyPage(items, 0, { limit: 999, changes: view }).messages;
    const seeded = historyPage(items, 0, { limit: 999 }).messages;
    expect(page).toHaveLength(seeded.length + 30); // one channel below 400 items: every add is top-level in it
    expect(page.slice(0, 30).map((m) => m.ts)).toEqual(log.map((c) => tsOf(c.index)).reverse());
    expect(page.slice(0, 30).every((m) => m.thread_ts === undefined)).toBe(true);
    expect(page.slice(30)).toEqual(seeded);
  });

  it("a deleted message is gone from history; a deleted thread parent with replies is a tombstone", () => {
    const items = 400;
    const parent = parentWithReplies(items);
    const lone = itemIndex(0, countBelow(0, items) - 1);
    expect(roleOfRank(0, countBelow(0, lone)).kind).toBe("top");
    const view = sandboxChangeView({ items }, [
      { seq: 1, kind: "delete", index: lone, at: 1 },
      { seq: 2, kind: "delete", index: parent.i, at: 2 },
    ]);
    const page = historyPage(items, 0, { limit: 999, changes: view }).messages;
    expect(page.find((m) => m.ts === tsOf(lone))).toBeUndefined();
    const tomb = page.find((m) => m.ts === tsOf(parent.i))!;
    const original = makeMessage(items, 0, parent.r)!;
    expect(tomb).toMatchObject({ subtype: "tombstone", text: "This message was deleted.", hidden: true, user: "USLACKBOT" });
    expect(tomb).toMatchObject({ thread_ts: original.thread_ts, reply_count: original.reply_count, latest_reply: original.latest_reply });
    expect(page).toHaveLength(historyPage(items, 0, { limit: 999 }).messages.length - 1);
  });
});

describe("slack sandbox: changes over HTTP", () => {
  it("history, replies and conversations.list answer the changed dataset; old cursors stop working", async () => {
    const a = fx.account({ items: 360 });
    const web = client(a.token);
    const ch = channelId(0);
    const listed = await web.conversations.list({ types: "public_channel,private_channel" });
    const updatedBefore = listed.channels!.find((c) => c.id === ch)!.updated!;
    const first = await web.conversations.history({ channel: ch, limit: 10 });
    const parent = parentWithReplies(360);

    a.change("delete", parent.i); // a thread parent: stays as a tombstone
    const done = a.applyChanges({ add: 3, edit: 3, delete: 3 });
    expect(done.added).toEqual([0, 1, 2].map((k) => `${ch}:${tsOf(360 + k)}`));

    const msgs = await history(web, ch);
    const byId = new Map(msgs.map((m) => [`${ch}:${m.ts}`, m]));
    for (const id of done.added) expect(byId.get(id)).toMatchObject({ type: "message", text: expect.any(String), ts: id.split(":")[1] });
    for (const id of done.edited) {
      expect(byId.get(id)!.text).toMatch(/\(edited\)$/);
      expect(Number(byId.get(id)!.edited!.ts)).toBeGreaterThan(Date.now() / 1000 - 60);
    }
    for (const id of done.deleted) expect(byId.has(id)).toBe(false);
    expect(byId.get(`${ch}:${tsOf(parent.i)}`)?.subtype).toBe("tombstone");
    const replies = await web.conversations.replies({ channel: ch, ts: tsOf(parent.i) });
    expect((replies.messages![0] as SlackMessage).subtype).toBe("tombstone");
    expect(replies.messages!.length).toBeGreaterThan(1);
    await expect(web.conversations.replies({ channel: ch, ts: done.deleted[0]!.split(":")[1]! })).rejects.toMatchObject({ data: { error: "thread_not_found" } });

    // conversations.list's `updated` moved with the edits and deletions.
    const after = await web.conversations.list({ types: "public_channel,private_channel" });
    expect(after.channels!.find((c) => c.id === ch)!.updated!).toBeGreaterThan(updatedBefore);
    // A cursor handed out before the change is no longer valid.
    await expect(web.conversations.history({ channel: ch, limit: 10, cursor: first.response_metadata!.next_cursor! })).rejects.toMatchObject({
      data: { ok: false, error: "invalid_cursor" },
    });
  });
});

describe("slack sandbox: which messages a change may pick", () => {
  it(`only live top-level messages among the newest ${PICK_WINDOW} of their channel, never replies, never item_errors' messages`, () => {
    const items = 2_000; // 5 channels
    const account = { key: "k", scenario: { items, latency_ms: 0, fault: "none" as const }, changes: [] };
    const ok = Array.from({ length: items }, (_, i) => i).filter((i) => slackChangeModel.changeable!(i, account));
    const perChannel = new Map<number, number[]>();
    for (const i of ok) perChannel.set(channelOfItem(i), [...(perChannel.get(channelOfItem(i)) ?? []), i]);
    for (const [j, list] of perChannel) {
      expect(list).toHaveLength(PICK_WINDOW);
      for (const i of list) expect(roleOfRank(j, countBelow(j, i)).kind).not.toBe("reply");
      // They are exactly the newest PICK_WINDOW messages conversations.history lists.
      expect(list.map((i) => tsOf(i)).reverse()).toEqual(historyPage(items, j, { limit: PICK_WINDOW }).messages.map((m) => m.ts));
    }
    const faulty = { ...account, scenario: { ...account.scenario, fault: "item_errors" as const } };
    expect(ok.filter((i) => slackChangeModel.changeable!(i, faulty)).every((i) => i % 10 !== 3)).toBe(true);
    // A deleted message is not picked again.
    const gone = { ...account, changes: [{ seq: 1, kind: "delete" as const, index: ok[0]!, at: 1 }] };
    expect(slackChangeModel.changeable!(ok[0]!, gone)).toBe(false);
  });
});
