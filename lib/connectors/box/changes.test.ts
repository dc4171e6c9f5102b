// Edits and deletions through Box's change stream: the real connector (real box-typescript-sdk-gen)
// against the Box sandbox with a change log, over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncContext, SyncPage } from "@/lib/connectors/types";
import { STREAM_BASE, editKind, fileId, fileName, fileText } from "@/lib/sandbox/box/data";
import { startBoxSandbox, type BoxSandboxFixture, type BoxTestAccount } from "@/lib/sandbox/box/test-helpers";
import { createBoxConnector, type BoxCursor } from "./connector";
import { planChunk } from "./listing";

let box: BoxSandboxFixture;
beforeAll(async () => {
  box = await startBoxSandbox();
});
afterAll(async () => {
  await box.close();
});

const PAST = () => Date.now() - 60_000;

function ctxFor(account: BoxTestAccount, cursor: unknown = null): { ctx: SyncContext; requests: { path: string; status: number; ifNoneMatch: string | null }[] } {
  const requests: { path: string; status: number; ifNoneMatch: string | null }[] = [];
  const ctx: SyncContext = {
    signal: new AbortController().signal,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(String(input instanceof Request ? input.url : input));
      requests.push({ path: url.pathname.replace(/^\/box/, ""), status: res.status, ifNoneMatch: new Headers(init?.headers).get("if-none-match") });
      return res;
    },
    baseUrl: box.baseUrl,
    credentials: { accessToken: account.accessToken, refreshToken: account.refreshToken },
    cursor,
    checkpoint: null,
    progress: { stage: () => {}, total: () => {}, phase: () => {}, capped: () => {} },
    limits: { maxPages: 1_000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1_000 },
  };
  return { ctx, requests };
}

async function sync(ctx: SyncContext, options: Parameters<typeof createBoxConnector>[0] = {}) {
  const gen = createBoxConnector(options).sync(ctx);
  const pages: SyncPage[] = [];
  let step = await gen.next();
  while (!step.done) {
    pages.push(step.value);
    step = await gen.next();
  }
  return {
    pages,
    cursor: step.value.cursor as BoxCursor,
    docs: pages.flatMap((p) => p.documents),
    failures: pages.flatMap((p) => p.failures),
    removed: pages.flatMap((p) => p.removed ?? []),
  };
}

function firstOf(kind: "version" | "rename", from: number): number {
  for (let i = from; ; i++) if (editKind(i) === kind) return i;
}

describe("box connector: edits and deletions from the change stream", () => {
  it("adds new files, updates edited ones (new version or rename), removes trashed ones: no re-list", async () => {
    const account = box.account({ items: 120 });
    const full = await sync(ctxFor(account).ctx);
    expect(full.docs).toHaveLength(120);

    const added = [account.change("add", undefined, PAST()), account.change("add", undefined, PAST()), account.change("add", undefined, PAST())];
    const version = firstOf("version", 10);
    const rename = firstOf("rename", 10);
    const edited = [version, rename, firstOf("version", version + 1)];
    for (const i of edited) account.change("edit", i, PAST());
    const deleted = [2, 50, 99];
    for (const i of deleted) account.change("delete", i, PAST());

    const { ctx, requests } = ctxFor(account, full.cursor);
    const inc = await sync(ctx);
    expect(inc.failures).toEqual([]);
    expect(inc.docs.map((d) => d.externalId).sort()).toEqual([...added, ...edited].map(fileId).sort());
    expect(inc.removed.sort()).toEqual(deleted.map(fileId).sort());
    const byId = new Map(inc.docs.map((d) => [d.externalId, d]));
    expect(byId.get(fileId(version))!.text).toBe(fileText(version, Infinity, 1));
    expect(byId.get(fileId(version))!.text).toContain("edited");
    expect(byId.get(fileId(rename))!.title).toBe(fileName(rename, 1));
    expect(byId.get(fileId(rename))!.title).toContain("edited");
    // The change stream and the changed files only: no folder listing, nothing for trashed files.
    expect(requests.filter((r) => /\/folders\//.test(r.path))).toEqual([]);
    expect(requests.filter((r) => deleted.some((i) => r.path.includes(fileId(i))))).toEqual([]);
    const info = requests.filter((r) => /^\/2\.0\/files\/\d+$/.test(r.path));
    expect(info).toHaveLength(6);
    expect(inc.cursor.streamPosition).toBe(String(STREAM_BASE + 120 + 9));

    // Nothing changed since: two reads of the stream, nothing else.
    const { ctx: again, requests: r3 } = ctxFor(account, inc.cursor);
    const third = await sync(again);
    expect(third.docs).toEqual([]);
    expect(third.removed).toEqual([]);
    expect(r3.map((r) => r.path)).toEqual(["/2.0/events", "/2.0/events"]);
  });

  it("a new version Box is still processing (202 + Retry-After) is read once it is ready", async () => {
    const account = box.account({ items: 30 });
    const start: BoxCursor = { streamPosition: String(STREAM_BASE + 30), savedAt: new Date().toISOString() };
    const i = firstOf("version", 0);
    account.change("edit", i, Date.now());
    const { ctx, requests } = ctxFor(account, start);
    const inc = await sync(ctx);
    expect(inc.failures).toEqual([]);
    expect(inc.docs.map((d) => d.text)).toEqual([fileText(i, Infinity, 1)]);
    const content = requests.filter((r) => r.path === `/2.0/files/${fileId(i)}/content`).map((r) => r.status);
    expect(content[0]).toBe(202);
    expect(content.at(-1)).toBe(302);
    expect(content.length).toBeLessThanOrEqual(3);
  });

  it("a file trashed after its upload event is removed (GET answers 404 trashed); restored, it comes back", async () => {
    const account = box.account({ items: 30 });
    const start: BoxCursor = { streamPosition: String(STREAM_BASE + 30), savedAt: new Date().toISOString() };
    const i = firstOf("rename", 0);
    account.change("edit", i, PAST());
    account.change("delete", i, PAST());
    // One event per chunk: the edit is read while the file is already in the trash.
    const { ctx, requests } = ctxFor(account, start);
    const inc = await sync(ctx, { eventsLimit: 1 });
    expect(inc.docs).toEqual([]);
    expect([...new Set(inc.removed)]).toEqual([fileId(i)]);
    expect(requests.find((r) => r.path === `/2.0/files/${fileId(i)}`)!.status).toBe(404);

    account.change("restore", i, PAST());
    const back = await sync(ctxFor(account, inc.cursor).ctx);
    expect(back.removed).toEqual([]);
    expect(back.docs.map((d) => [d.externalId, d.title])).toEqual([[fileId(i), fileName(i, 1)]]);
  });

  it("a file changed twice, read in two chunks, is read once: the second time Box answers 304 to If-None-Match", async () => {
    const account = box.account({ items: 30 });
    const start: BoxCursor = { streamPosition: String(STREAM_BASE + 30), savedAt: new Date().toISOString() };
    const i = firstOf("version", 0);
    account.change("edit", 20, PAST()); // seq 1: its event comes twice (at least once)
    account.change("edit", i, PAST());
    account.change("edit", i, PAST());
    const { ctx, requests } = ctxFor(account, start);
    const inc = await sync(ctx, { eventsLimit: 1 });
    const reads = requests.filter((r) => r.path === `/2.0/files/${fileId(i)}`);
    expect(reads.map((r) => [r.status, r.ifNoneMatch !== null])).toEqual([
      [200, false],
      [304, true],
    ]);
    expect(requests.filter((r) => r.path === `/2.0/files/${fileId(i)}/content`)).toHaveLength(1);
    expect(inc.docs.filter((d) => d.externalId === fileId(i)).map((d) => d.text)).toEqual([fileText(i, Infinity, 2)]);
    // The duplicated event of seq 1 was read (and skipped) within its chunk: file 20 fetched once.
    expect(requests.filter((r) => r.path === `/2.0/files/${fileId(20)}`)).toHaveLength(1);
  });
});

describe("planChunk", () => {
  const ev = (eventId: string, eventType: string, sourceId: string, sourceType = "file") => ({ eventId, eventType, sourceId, sourceType });
  it("de-duplicates by event_id, lets a file's last event decide, and notes folder changes", () => {
    const plan = planChunk(
      [
        ev("a", "ITEM_UPLOAD", "1"),
        ev("a", "ITEM_UPLOAD", "1"), // a repeat
        ev("b", "ITEM_TRASH", "1"), // uploaded then trashed: gone
        ev("c", "ITEM_TRASH", "2"),
        ev("d", "ITEM_UNDELETE_VIA_TRASH", "2"), // trashed then restored: fetched
        ev("e", "ITEM_RENAME", "3"),
        ev("f", "ITEM_RENAME", "9", "folder"),
        ev("g", "ITEM_PREVIEW", "4"),
        ev("old", "ITEM_TRASH", "5"), // seen in an earlier chunk
      ],
      new Set(["old"]),
    );
    expect(plan.gone).toEqual([{ fileId: "1", eventIds: ["a", "b"] }]);
    expect(plan.fetch).toEqual([
      { fileId: "2", eventIds: ["c", "d"] },
      { fileId: "3", eventIds: ["e"] },
    ]);
    expect(plan.folders).toEqual(["9"]);
    expect(plan.otherIds).toEqual(["f", "g"]);
  });
});
