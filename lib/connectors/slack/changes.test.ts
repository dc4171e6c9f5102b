// Edits and deletions reach the library: the real connector (real WebClient) against the Slack
// sandbox over HTTP, full sync -> changes -> incremental sync, and what the incremental run costs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocumentInput, SyncContext, SyncPage } from "@/lib/connectors/types";
import { channelId, countBelow, itemIndex, roleOfRank, tsOf } from "@/lib/sandbox/slack/data";
import { startSlackSandbox, type SlackSandboxFixture } from "@/lib/sandbox/slack/test-helpers";
import { slackChangeModel } from "@/lib/sandbox/slack/changes";
import { createSlackConnector, slackConnector, type SlackCheckpoint, type SlackCursor } from "./connector";

let fx: SlackSandboxFixture;
beforeAll(async () => {
  fx = await startSlackSandbox();
});
afterAll(async () => {
  await fx.close();
});

interface Run {
  pages: SyncPage[];
  cursor: SlackCursor | undefined;
  docs: DocumentInput[];
  removed: string[];
  methods: string[];
}

function ctxFor(token: string, methods: string[], extra: { cursor?: unknown; checkpoint?: unknown } = {}): SyncContext {
  return {
    signal: new AbortController().signal,
    fetch: async (input, init) => {
      methods.push(new URL(String(input instanceof Request ? input.url : input)).pathname.split("/").pop() ?? "");
      return fetch(input, init);
    },
    baseUrl: fx.baseUrl,
    credentials: { accessToken: token },
    cursor: extra.cursor ?? null,
    checkpoint: extra.checkpoint ?? null,
    progress: { stage: () => undefined, total: () => undefined, phase: () => undefined, capped: () => undefined },
    limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1000 },
  };
}

async function sync(token: string, extra: { cursor?: unknown; checkpoint?: unknown } = {}, connector = slackConnector, stopAfter = Infinity): Promise<Run> {
  const methods: string[] = [];
  const gen = connector.sync(ctxFor(token, methods, extra));
  const pages: SyncPage[] = [];
  let cursor: SlackCursor | undefined;
  for (let step = await gen.next(); ; step = await gen.next()) {
    if (step.done) {
      cursor = step.value.cursor as SlackCursor;
      break;
    }
    pages.push(step.value);
    if (pages.length >= stopAfter) {
      await gen.return({ cursor: null });
      break;
    }
  }
  return { pages, cursor, docs: pages.flatMap((p) => p.documents), removed: pages.flatMap((p) => p.removed ?? []), methods };
}

/** The library as the page writer keeps it: documents by external id, removed ones dropped. */
function apply(library: Map<string, DocumentInput>, run: Run): void {
  for (const p of run.pages) {
    const present = new Set(p.documents.map((d) => d.externalId));
    for (const d of p.documents) library.set(d.externalId, d);
    for (const id of p.removed ?? []) if (!present.has(id)) library.delete(id);
  }
}

describe("slack connector: edits and deletions", () => {
  it("full sync, changes, incremental: added present, edited updated in place, deleted gone; a few requests, no re-list", async () => {
    const items = 1_000; // three channels, threads
    const a = fx.account({ items });
    const library = new Map<string, DocumentInput>();
    const full = await sync(a.token);
    apply(library, full);
    expect(library.size).toBe(items);

    const quiet = await sync(a.token, { cursor: full.cursor });
    expect(quiet.methods).toEqual(["conversations.list"]); // `updated` has not moved: no history read
    expect(quiet.docs).toHaveLength(0);

    const done = a.applyChanges({ add: 3, edit: 3, delete: 3 });
    const inc = await sync(a.token, { cursor: quiet.cursor });
    apply(library, inc);
    // Exactly the changes: the 3 new, the 3 edited (again, with "edited"), the 3 deleted as removed.
    expect(inc.docs.map((d) => d.externalId).sort()).toEqual([...done.added, ...done.edited].sort());
    expect(inc.removed.sort()).toEqual([...done.deleted].sort());
    for (const id of done.edited) expect(library.get(id)!.text).toMatch(/\(edited\)/);
    for (const id of done.deleted) expect(library.has(id)).toBe(false);
    for (const id of done.added) expect(library.has(id)).toBe(true);
    expect(library.size).toBe(items);
    // conversations.list, users.list (names for the new messages), one history page per channel
    // that changed (its `updated` moved), and one more where deletions outnumbered new messages
    // (the window is topped up); no replies (no thread changed), no re-list.
    const chan = (id: string) => id.split(":")[0]!;
    const touched = new Set([...done.added, ...done.edited, ...done.deleted].map(chan));
    const shrunk = [...touched].filter((c) => done.deleted.filter((id) => chan(id) === c).length > done.added.filter((id) => chan(id) === c).length);
    // (A deleted thread parent stays as a tombstone and does not shrink the window: hence at most.)
    expect(inc.methods.filter((m) => m !== "conversations.history").sort()).toEqual(["conversations.list", "users.list"]);
    const historyCalls = inc.methods.filter((m) => m === "conversations.history").length;
    expect(historyCalls).toBeGreaterThanOrEqual(touched.size);
    expect(historyCalls).toBeLessThanOrEqual(touched.size + shrunk.length);
    expect(full.methods.length).toBeGreaterThan(3 * inc.methods.length);

    // Nothing changed since: nothing read, nothing written.
    const after = await sync(a.token, { cursor: inc.cursor });
    expect(after.methods).toEqual(["conversations.list"]);
  });

  it("a deleted thread parent (tombstone) leaves; its replies stay; a second edit is seen again", async () => {
    // A thread parent with replies among the newest messages, where edits and deletions land (the sandbox's rule).
    let items = 200;
    let parent = -1;
    const probe = (n: number) => ({ key: "probe", scenario: { items: n, latency_ms: 0, fault: "none" as const }, changes: [] });
    for (; items < 2_000 && parent < 0; items++) {
      for (let r = countBelow(0, items) - 1; r >= 0 && parent < 0; r--) {
        if (roleOfRank(0, r).kind === "parent" && r + 1 < countBelow(0, items) && slackChangeModel.changeable!(itemIndex(0, r), probe(items))) parent = r;
      }
    }
    items -= 1;
    const a = fx.account({ items });
    const parentId = `${channelId(0)}:${tsOf(itemIndex(0, parent))}`;
    const library = new Map<string, DocumentInput>();
    const full = await sync(a.token);
    apply(library, full);
    const replies = [...library.keys()].filter((id) => library.get(id)!.metadata?.threadTs === parentId.split(":")[1] && id !== parentId);
    expect(replies.length).toBeGreaterThan(0);

    let top = countBelow(0, items) - 1;
    while (roleOfRank(0, top).kind === "reply" || top === parent) top -= 1;
    const edited = itemIndex(0, top); // the newest top-level message but the parent
    a.change("delete", itemIndex(0, parent));
    a.change("edit", edited);
    const one = await sync(a.token, { cursor: full.cursor });
    apply(library, one);
    expect(one.removed).toEqual([parentId]);
    expect(library.has(parentId)).toBe(false);
    for (const id of replies) expect(library.has(id)).toBe(true);
    expect(library.get(`${channelId(0)}:${tsOf(edited)}`)!.text).toMatch(/\(edited\)$/);

    a.change("edit", edited);
    const two = await sync(a.token, { cursor: one.cursor });
    apply(library, two);
    expect(two.docs.map((d) => d.externalId)).toEqual([`${channelId(0)}:${tsOf(edited)}`]);
    expect(library.get(`${channelId(0)}:${tsOf(edited)}`)!.text).toMatch(/\(edited 2 times\)$/);
    expect(library.has(parentId)).toBe(false);
  });

  it("deletions are found across history pages and chunks, and when every remembered message is gone", async () => {
    const connector = createSlackConnector({ historyLimit: 20, chunkSize: 7 });
    const items = 120;
    const a = fx.account({ items });
    const full = await sync(a.token, {}, connector);
    const done = a.applyChanges({ delete: 12, edit: 4 });
    const inc = await sync(a.token, { cursor: full.cursor }, connector);
    expect(inc.removed.sort()).toEqual([...done.deleted].sort());
    expect(inc.docs.map((d) => d.externalId).sort()).toEqual([...done.edited].sort());
    // 12 fewer messages and none new: the window was topped up to 100 again (one more request).
    expect(inc.cursor!.recent![channelId(0)]).toHaveLength(100);
    // And the next round of changes is seen too.
    const again = a.applyChanges({ delete: 5, edit: 2 });
    const inc2 = await sync(a.token, { cursor: inc.cursor }, connector);
    expect(inc2.removed.sort()).toEqual([...again.deleted].sort());
    expect(inc2.docs.map((d) => d.externalId).sort()).toEqual([...again.edited].sort());
  });

  it("invalid_cursor outside the fault: a run resumed with a cursor handed out before the data changed re-reads from where it stopped", async () => {
    const connector = createSlackConnector({ historyLimit: 20, chunkSize: 20 });
    const items = 120;
    const a = fx.account({ items });
    const whole = await sync(a.token, {}, connector);
    const partial = await sync(a.token, {}, connector, 2);
    const cp = partial.pages.at(-1)!.checkpoint as SlackCheckpoint;
    expect(cp.cursor).not.toBeNull();
    a.change("add", items); // the data changed: Slack no longer takes that cursor
    const rest = await sync(a.token, { checkpoint: JSON.parse(JSON.stringify(cp)) }, connector);
    // Refused (invalid_cursor), then read on below the last message handled: nothing lost or read
    // twice. The new message is above where the run stands: the next incremental run reads it.
    const ids = [...partial.docs, ...rest.docs].map((d) => d.externalId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(whole.docs.map((d) => d.externalId).sort());
    const next = await sync(a.token, { cursor: rest.cursor }, connector);
    expect(next.docs.map((d) => d.externalId)).toEqual([`${channelId(0)}:${tsOf(items)}`]);
  });
});
