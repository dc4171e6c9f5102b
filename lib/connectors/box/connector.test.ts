// The real connector (real box-typescript-sdk-gen) against the Box sandbox over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import {
  STREAM_BASE,
  childFolderRange,
  fileExtension,
  fileFolder,
  fileId,
  fileName,
  fileSize,
  fileText,
  folderCount,
  folderFileRange,
  folderId,
  folderPath,
  isBrokenFile,
  isLargeTextFile,
  isTextExtension,
  textMarker,
} from "@/lib/sandbox/box/data";
import { startBoxSandbox, type BoxSandboxFixture, type BoxTestAccount } from "@/lib/sandbox/box/test-helpers";
import { SyncError } from "@/lib/contract";
import { BOX_QUOTA, boxConnector, createBoxConnector, refreshBoxToken, type BoxCheckpoint, type BoxCursor } from "./connector";
import { BoxResponseError } from "./client";



let box: BoxSandboxFixture;
/** Every request the sandbox received, by path (to prove they all came through ctx.fetch). */
const received: string[] = [];
/** Test-only overrides of the change stream: account-independent, keyed by stream_position. */
const eventOverrides = new Map<string, unknown>();

beforeAll(async () => {
  box = await startBoxSandbox({
    wrap: (handler) => async (req, subpath) => {
      const url = new URL(req.url);
      received.push(`${req.method} ${subpath}${url.search}`);
      const position = url.searchParams.get("stream_position");
      if (subpath === "/2.0/events" && position !== null && eventOverrides.has(position)) {
        return new Response(JSON.stringify(eventOverrides.get(position)), { headers: { "content-type": "application/json" } });
      }
      return handler(req, subpath);
    },
  });
});
afterAll(async () => {
  await box.close();
});

const LIMITS: SyncLimits = { maxPages: 1_000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1_000 };

interface Recorded {
  stages: string[];
  totals: number[];
  capped: string[];
  phases: string[];
  requests: Array<{ url: string; method: string; authorization: string | null; range: string | null }>;
}

function makeCtx(
  account: BoxTestAccount,
  opts: { cursor?: unknown; checkpoint?: unknown; fetch?: typeof fetch; signal?: AbortSignal; limits?: Partial<SyncLimits> } = {},
): { ctx: SyncContext; rec: Recorded } {
  const rec: Recorded = { stages: [], totals: [], capped: [], phases: [], requests: [] };
  const inner = opts.fetch ?? globalThis.fetch;
  const counting: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    rec.requests.push({
      url: String(input instanceof Request ? input.url : input),
      method: init?.method ?? "GET",
      authorization: headers.get("authorization"),
      range: headers.get("range"),
    });
    return inner(input, init);
  };
  const ctx: SyncContext = {
    signal: opts.signal ?? new AbortController().signal,
    fetch: counting,
    baseUrl: box.baseUrl,
    credentials: { accessToken: account.accessToken, refreshToken: account.refreshToken },
    cursor: opts.cursor ?? null,
    checkpoint: opts.checkpoint ?? null,
    progress: {
      stage: (w) => rec.stages.push(w),
      total: (n) => rec.totals.push(n),
      phase: (p) => rec.phases.push(p),
      capped: (note) => rec.capped.push(note),
    },
    limits: { ...LIMITS, ...opts.limits },
  };
  return { ctx, rec };
}

async function run(connector: Connector, ctx: SyncContext, stopAfterPages = Infinity) {
  const pages: SyncPage[] = [];
  const gen = connector.sync(ctx);
  let step = await gen.next();
  while (!step.done) {
    pages.push(step.value);
    if (pages.length >= stopAfterPages) {
      await gen.return({ cursor: null });
      return { pages, cursor: undefined, docs: pages.flatMap((p) => p.documents), failures: pages.flatMap((p) => p.failures) };
    }
    step = await gen.next();
  }
  return { pages, cursor: step.value.cursor as BoxCursor, docs: pages.flatMap((p) => p.documents), failures: pages.flatMap((p) => p.failures) };
}

function ids(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => fileId(from + k)).sort();
}

const paths = (rec: Recorded) => rec.requests.map((r) => new URL(r.url).pathname.replace(/^\/box/, ""));
const isListing = (p: string) => /^\/2\.0\/folders\/\d+\/items$/.test(p);
const isFileInfo = (p: string) => /^\/2\.0\/files\/\d+$/.test(p);
const isContent = (p: string) => /^\/2\.0\/files\/\d+\/content$/.test(p);
const isDownload = (p: string) => p.startsWith("/dl/");

/** Folder numbers in the order a depth-first walk from the root visits them. */
function dfsOrder(items: number): number[] {
  const out: number[] = [];
  const stack = [0];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    const [a, b] = childFolderRange(n, items);
    for (let c = b - 1; c >= a; c--) stack.push(c);
  }
  return out;
}

describe("box connector: connect", () => {
  it("returns the login as the account label, through ctx.fetch", async () => {
    const account = box.account({ items: 5 });
    const { ctx, rec } = makeCtx(account);
    expect(await boxConnector.connect(ctx)).toEqual({ accountLabel: "sandbox-user@example.com" });
    expect(paths(rec)).toEqual(["/2.0/users/me"]);
    expect(rec.requests[0]!.authorization).toBe(`Bearer ${account.accessToken}`);
  });

  it("fails with the 401 for an unknown token", async () => {
    const account = box.account({ items: 5 });
    const { ctx } = makeCtx(account);
    ctx.credentials = { accessToken: "nope" };
    await expect(boxConnector.connect(ctx)).rejects.toMatchObject({ status: 401, message: expect.stringContaining("The access token provided is invalid.") });
  });
});

describe("box connector: full sync", () => {
  it("walks nested folders: every file once, text of text files, right paths, through ctx.fetch only", async () => {
    const items = 600; // 12 folders, depth 2, folder 5 empty, one 1.5 MB csv (file 526)
    const account = box.account({ items });
    const { ctx, rec } = makeCtx(account);
    const before = received.length;
    const { pages, docs, failures, cursor } = await run(boxConnector, ctx);

    expect(failures).toEqual([]);
    expect(docs).toHaveLength(items);
    expect(docs.map((d) => d.externalId).sort()).toEqual(ids(0, items));
    expect(rec.stages).toEqual(["Walking folders…"]);
    expect(rec.totals).toEqual([items]); // known only once the walk is over
    expect(rec.capped).toEqual([]);
    expect(cursor).toEqual({ streamPosition: String(STREAM_BASE + items), savedAt: expect.any(String) });

    // The stream position is read first; then one listing per folder (each fits in one page of 1,000).
    const p = paths(rec);
    expect(rec.requests[0]!.url).toContain("/2.0/events?stream_type=changes&stream_position=now");
    expect(p.filter(isListing)).toEqual(dfsOrder(items).map((n) => `/2.0/folders/${folderId(n)}/items`));
    const textFiles = Array.from({ length: items }, (_, i) => i).filter((i) => isTextExtension(fileExtension(i)));
    expect(textFiles.length).toBe(273);
    // Each text file: the API call (302) and the download URL; binary files are never downloaded.
    expect(p.filter(isContent).sort()).toEqual(textFiles.map((i) => `/2.0/files/${fileId(i)}/content`).sort());
    expect(p.filter(isDownload)).toHaveLength(textFiles.length);
    expect(p).toHaveLength(1 + folderCount(items) + 2 * textFiles.length);
    // Every request the sandbox saw came through ctx.fetch (client.test.ts shows that a download
    // URL on another origin, as at Box, gets no token; here it is the same origin, as the SDK allows).
    expect(received.length - before).toBe(rec.requests.length);
    expect(rec.requests.every((r) => r.authorization === `Bearer ${account.accessToken}`)).toBe(true);

    // Pages of at most 50 files, labelled per document.
    for (const page of pages) {
      expect(page.documents.length).toBeLessThanOrEqual(50);
      expect(page.labels).toEqual(page.documents.map((d) => `File: ${d.title}`));
    }
    const byId = new Map(docs.map((d) => [d.externalId, d]));
    for (let i = 0; i < items; i++) {
      const doc = byId.get(fileId(i))!;
      const ext = fileExtension(i);
      expect(doc).toMatchObject({
        kind: "file",
        title: fileName(i),
        url: `https://app.box.com/file/${fileId(i)}`,
        metadata: { path: folderPath(fileFolder(i)), size: fileSize(i), extension: ext, folderId: folderId(fileFolder(i)), etag: i % 3 === 0 ? "1" : "0" },
      });
      if (!isTextExtension(ext)) expect(doc.text).toBe("");
      else if (isLargeTextFile(i)) expect(doc.text).toBe(fileText(i, 1_048_576));
      else if (ext === "html") {
        expect(doc.text).toContain(`Heading & more for ${textMarker(i)}`);
        expect(doc.text).toContain("Fish & chips cost £5 – café élève <tag> 😀\nsecond line");
        expect(doc.text).not.toMatch(/<\/?(html|head|body|title|h1|p|ul|li|table|tr|td|b|br|script|style)\b|window\.secret|display: none|a comment/);
        expect(doc.text).toMatch(new RegExp(`^Page — ${textMarker(i)}\n\nHeading & more for ${textMarker(i)}\n\nFish & chips[^\n]*\nsecond line\n\n(• [^\n]+\n){3,6}\ncell one cell two$`, "u"));
      } else expect(doc.text).toBe(fileText(i));
    }
    // Spot checks on what the paths and owners look like.
    expect(byId.get(fileId(0))!.metadata).toMatchObject({ path: "/", folderId: "0" });
    expect(byId.get(fileId(420))!.metadata).toMatchObject({ path: "/Q3 — Planning/Финансы" });
    expect(byId.get(fileId(0))!.author).toBe("Sandbox User");
    expect(byId.get(fileId(120))!.author).toBe("李雷"); // folder 2 is a colleague's
    expect(byId.get(fileId(0))!.updatedAt).toEqual(new Date("2025-06-02T16:00:05Z"));
    expect(folderFileRange(5, items)).toEqual([0, 0]); // an empty folder, walked all the same

    // The 1.5 MB csv: only the first 1 MiB is requested (Range) and kept, with a note.
    const big = byId.get(fileId(526))!;
    expect(isLargeTextFile(526)).toBe(true);
    expect(Buffer.byteLength(big.text)).toBe(1_048_576);
    expect(big.metadata).toMatchObject({ textTruncated: true, note: "Text truncated to the first 1 MB of 1.5 MB" });
    const bigDownload = rec.requests.filter((r) => r.range !== null);
    expect(bigDownload.map((r) => r.range)).toEqual(["bytes=0-1048575", "bytes=0-1048575"]); // the API call and the redirect
  }, 20_000);

  it("pages through big folders with markers and resumes from any checkpoint without loss", async () => {
    const connector = createBoxConnector({ listLimit: 7, batchSize: 5 });
    const items = 180; // 4 folders of 50 (the last one 30): listings of 7 entries
    // A fresh account per run: each one is ~120 API calls, and Box allows 1,000 a minute.
    const fresh = () => box.account({ items });
    const account = fresh();
    const whole = await run(connector, makeCtx(account).ctx);
    expect(whole.docs.map((d) => d.externalId).sort()).toEqual(ids(0, items));
    const listings = await (async () => {
      const { ctx, rec } = makeCtx(fresh());
      await run(connector, ctx);
      return paths(rec).filter(isListing).length;
    })();
    const expectedListings = dfsOrder(items).reduce((sum, n) => {
      const [a, b] = childFolderRange(n, items);
      const [s, e] = folderFileRange(n, items);
      return sum + Math.max(1, Math.ceil((b - a + e - s) / 7));
    }, 0);
    expect(listings).toBe(expectedListings);

    for (const stopAfter of [1, 4, 11, whole.pages.length - 1]) {
      const a = fresh();
      const partial = await run(connector, makeCtx(a).ctx, stopAfter);
      const checkpoint = partial.pages.at(-1)!.checkpoint as BoxCheckpoint;
      expect(checkpoint).toMatchObject({ v: 1, mode: "walk", purpose: "full", streamPosition: String(STREAM_BASE + items) });
      // JSON round trip, as the engine stores it.
      const { ctx, rec } = makeCtx(a, { checkpoint: JSON.parse(JSON.stringify(checkpoint)) });
      const rest = await run(connector, ctx);
      const got = [...partial.docs, ...rest.docs].map((d) => d.externalId);
      expect(got).toHaveLength(items); // nothing repeated
      expect(got.sort()).toEqual(ids(0, items)); // nothing lost
      expect(rest.cursor!.streamPosition).toBe(String(STREAM_BASE + items));
      expect(rec.totals).toEqual([items]); // the whole run's total, as on the first attempt
      expect(rec.requests[0]!.url).not.toContain("stream_position=now"); // the saved position is kept
    }
  }, 20_000);

  it("stops at BOX_MAX_FOLDERS and says so", async () => {
    const items = 600;
    const account = box.account({ items });
    const { ctx, rec } = makeCtx(account, { limits: { maxFolders: 5 } });
    const { docs, cursor } = await run(boxConnector, ctx);
    const visited = dfsOrder(items).slice(0, 5); // 0, 1, 5, 6, 7
    expect(visited).toEqual([0, 1, 5, 6, 7]);
    const expected = visited.flatMap((n) => {
      const [s, e] = folderFileRange(n, items);
      return ids(s, e);
    });
    expect(docs.map((d) => d.externalId).sort()).toEqual(expected.sort());
    expect(rec.capped).toEqual(["Stopped after 5 folders (BOX_MAX_FOLDERS)"]);
    expect(paths(rec).filter(isListing)).toHaveLength(5);
    expect(rec.totals).toEqual([docs.length]);
    expect(cursor!.streamPosition).toBe(String(STREAM_BASE + items));

    const pagesCapped = makeCtx(account, { limits: { maxPages: 3 } });
    await run(boxConnector, pagesCapped.ctx);
    expect(pagesCapped.rec.capped).toEqual(["Stopped after 3 pages of folder listings (SYNC_MAX_PAGES)"]);
  });

  it("item_errors: downloads Box refuses (403) or never has ready (202) are failures in plain words; the rest syncs", async () => {
    const items = 200;
    const account = box.account({ items, fault: "item_errors" });
    const { ctx, rec } = makeCtx(account);
    const { docs, failures, pages } = await run(createBoxConnector({ notReadyTries: 2 }), ctx);
    // Only text files are downloaded, so only they can fail; every record is valid.
    const broken = Array.from({ length: items }, (_, i) => i).filter((i) => isBrokenFile(i) && isTextExtension(fileExtension(i)));
    expect(broken.length).toBeGreaterThan(3);
    expect(failures.map((f) => f.externalId).sort()).toEqual(broken.map(fileId).sort());
    expect(docs).toHaveLength(items - broken.length);
    expect(pages.flatMap((p) => p.removed ?? [])).toEqual([]);
    expect(rec.totals).toEqual([items]);
    for (const f of failures) {
      const i = Number(f.externalId) - Number(fileId(0));
      if (i % 20 === 3) {
        expect(f).toEqual({
          externalId: fileId(i),
          title: fileName(i),
          reason: "Box did not let this account read the file, so it was skipped. Ask its owner for access to include it.",
          detail: "HTTP 403 access_denied_insufficient_permissions",
        });
      } else {
        expect(f).toEqual({
          externalId: fileId(i),
          title: fileName(i),
          reason: "Box was still preparing this file's content, so it could not be read and was skipped. It is read again when the file next changes in Box.",
          detail: "HTTP 202 (Retry-After 1 s) on 2 tries",
        });
        // Tried as often as the bound says, waiting Retry-After between.
        const tries = rec.requests.filter((r) => new URL(r.url).pathname.endsWith(`/files/${fileId(i)}/content`));
        expect(tries).toHaveLength(2);
      }
    }
  }, 30_000);
});

describe("box connector: incremental sync", () => {
  it("after raising items, reads only the change stream and fetches only the new files, once each", async () => {
    const connector = createBoxConnector({ eventsLimit: 10, eventsScanLimit: 25 });
    const account = box.account({ items: 120 });
    const first = await run(connector, makeCtx(account).ctx);
    expect(first.docs).toHaveLength(120);
    expect(first.cursor!.streamPosition).toBe(String(STREAM_BASE + 120));

    account.set({ items: 190 }); // 70 new files, one new folder (file 150 creates folder 3)
    const { ctx, rec } = makeCtx(account, { cursor: JSON.parse(JSON.stringify(first.cursor)) });
    const second = await run(connector, ctx);
    expect(second.failures).toEqual([]);
    expect(second.docs.map((d) => d.externalId).sort()).toEqual(ids(120, 190));
    expect(rec.stages).toEqual(["Reading changes in Box…", "Fetching changed files…"]);
    expect(rec.totals).toEqual([70, 70]); // counted before fetching, confirmed at the end
    const p = paths(rec);
    expect(p.filter(isListing)).toEqual([]); // no walk
    // Box re-sends events (chunks overlap, some events twice): each file is still fetched once.
    expect(p.filter(isFileInfo).sort()).toEqual(ids(120, 190).map((id) => `/2.0/files/${id}`));
    const positions = rec.requests.filter((r) => r.url.includes("/2.0/events")).map((r) => new URL(r.url).searchParams.get("stream_position"));
    expect(positions[0]).toBe(String(STREAM_BASE + 120));
    expect(positions).not.toContain("now");
    const doc = second.docs.find((d) => d.externalId === fileId(160))!;
    expect(doc.metadata).toMatchObject({ path: "/会議メモ", folderId: folderId(3) });
    expect(second.cursor!.streamPosition).toBe(String(STREAM_BASE + 190));

    // Nothing changed since: nothing fetched.
    const { ctx: ctx3, rec: rec3 } = makeCtx(account, { cursor: second.cursor });
    const third = await run(connector, ctx3);
    expect(third.docs).toEqual([]);
    expect(rec3.totals).toEqual([0, 0]);
    expect(paths(rec3)).toEqual(["/2.0/events", "/2.0/events"]);
    expect(third.cursor!.streamPosition).toBe(String(STREAM_BASE + 190));
  });

  it("resumes inside the change stream from any checkpoint without loss or repeats", async () => {
    const connector = createBoxConnector({ eventsLimit: 10, batchSize: 3 });
    const account = box.account({ items: 40 });
    const cursor: BoxCursor = { streamPosition: String(STREAM_BASE + 40), savedAt: new Date().toISOString() };
    account.set({ items: 75 });
    const whole = await run(connector, makeCtx(account, { cursor }).ctx);
    expect(whole.docs.map((d) => d.externalId).sort()).toEqual(ids(40, 75));
    for (const stopAfter of [1, 2, 5, 9]) {
      const partial = await run(connector, makeCtx(account, { cursor }).ctx, stopAfter);
      const checkpoint = JSON.parse(JSON.stringify(partial.pages.at(-1)!.checkpoint)) as BoxCheckpoint;
      expect(checkpoint).toMatchObject({ v: 1, mode: "events", handled: partial.docs.length });
      const { ctx, rec } = makeCtx(account, { cursor, checkpoint });
      const rest = await run(connector, ctx);
      const got = [...partial.docs, ...rest.docs].map((d) => d.externalId);
      expect(got).toHaveLength(35);
      expect(got.sort()).toEqual(ids(40, 75));
      expect(rec.totals.at(-1)).toBe(35);
      expect(rest.cursor!.streamPosition).toBe(String(STREAM_BASE + 75));
    }
  });

  it("expired_cursor: says the history expired and falls back to a full walk", async () => {
    const account = box.account({ items: 100 });
    const first = await run(boxConnector, makeCtx(account).ctx);
    account.set({ items: 130, fault: "expired_cursor" });
    const { ctx, rec } = makeCtx(account, { cursor: first.cursor });
    const second = await run(boxConnector, ctx);
    expect(rec.stages).toEqual(["Reading changes in Box…", "Change history expired — full resync"]);
    expect(second.docs.map((d) => d.externalId).sort()).toEqual(ids(0, 130));
    expect(rec.totals).toEqual([130]);
    expect(second.cursor!.streamPosition).toBe(String(STREAM_BASE + 130));
    const positions = rec.requests.filter((r) => r.url.includes("/2.0/events")).map((r) => new URL(r.url).searchParams.get("stream_position"));
    expect(positions).toEqual([String(STREAM_BASE + 100), "now"]);
  });

  it("a saved position older than Box keeps events is not even tried", async () => {
    const account = box.account({ items: 30 });
    const old: BoxCursor = { streamPosition: String(STREAM_BASE + 10), savedAt: new Date(Date.now() - 30 * 86_400_000).toISOString() };
    const { ctx, rec } = makeCtx(account, { cursor: old });
    const { docs } = await run(boxConnector, ctx);
    expect(rec.stages).toEqual(["Change history expired — full resync"]);
    expect(docs).toHaveLength(30);
    expect(rec.requests.map((r) => new URL(r.url).searchParams.get("stream_position")).filter(Boolean)).toEqual(["now"]);
  });

  it("acts on each kind of change: edits refetch, trash removes (no request), a renamed folder's subtree is re-read", async () => {
    const account = box.account({ items: 600 });
    const src = (id: string, type: "file" | "folder") => ({ type, id, etag: "0", name: "x" });
    const ev = (eventId: string, eventType: string, source: unknown) => ({ type: "event", event_id: eventId, event_type: eventType, source });
    const e1 = ev("e-1", "ITEM_MODIFY", src(fileId(7), "file"));
    eventOverrides.set("900001", {
      chunk_size: 6,
      next_stream_position: 900002,
      entries: [
        e1,
        e1, // a duplicate
        ev("e-2", "ITEM_RENAME", src(fileId(7), "file")), // same file again: fetched once
        ev("e-3", "ITEM_TRASH", src(fileId(8), "file")), // out of the library, no request
        ev("e-4", "ITEM_RENAME", src(folderId(8), "folder")), // 50 files with a new path
        ev("e-5", "ITEM_PREVIEW", src(fileId(9), "file")), // not a change
      ],
    });
    eventOverrides.set("900002", { chunk_size: 1, next_stream_position: 900003, entries: [ev("e-4", "ITEM_RENAME", src(folderId(8), "folder"))] });
    eventOverrides.set("900003", { chunk_size: 0, next_stream_position: 900003, entries: [] });
    try {
      const cursor: BoxCursor = { streamPosition: "900001", savedAt: new Date().toISOString() };
      const { ctx, rec } = makeCtx(account, { cursor });
      const { docs, cursor: next, pages } = await run(boxConnector, ctx);
      expect(pages.flatMap((p) => p.removed ?? [])).toEqual([fileId(8)]);
      const [s, e] = folderFileRange(8, 600);
      expect(docs.map((d) => d.externalId).sort()).toEqual([fileId(7), ...ids(s, e)].sort());
      expect(rec.stages).toEqual(["Reading changes in Box…", "Fetching changed files…", "Re-reading moved or renamed folders…"]);
      expect(rec.totals).toEqual([51]); // not claimed before the subtree was read
      expect(paths(rec).filter(isFileInfo)).toEqual([`/2.0/files/${fileId(7)}`]);
      expect(paths(rec).filter(isListing)).toEqual([`/2.0/folders/${folderId(8)}/items`]);
      expect(next).toEqual({ streamPosition: "900003", savedAt: expect.any(String), seen: ["e-4"] });
    } finally {
      eventOverrides.clear();
    }
  });
});

describe("box connector: tokens", () => {
  it("refresh() rotates: the new pair works, the old refresh token is refused, the new one works once", async () => {
    const account = box.account({ items: 3 });
    const rctx = { fetch: globalThis.fetch, signal: new AbortController().signal, tokenUrl: box.tokenUrl, clientId: "cid", clientSecret: "secret" };
    const started = Date.now();
    const fresh = await boxConnector.refresh!({ accessToken: account.accessToken, refreshToken: account.refreshToken }, rctx);
    expect(fresh.accessToken).not.toBe(account.accessToken);
    expect(fresh.refreshToken).toMatch(/^mem_refresh_/);
    expect(fresh.refreshToken).not.toBe(account.refreshToken);
    expect(Date.parse(fresh.expiresAt!) - started).toBeGreaterThanOrEqual(3_599_000);
    expect(Date.parse(fresh.expiresAt!) - started).toBeLessThanOrEqual(3_605_000);

    // The new access token works.
    const { ctx } = makeCtx(account);
    ctx.credentials = fresh;
    expect(await boxConnector.connect(ctx)).toEqual({ accountLabel: "sandbox-user@example.com" });

    // The old refresh token was spent.
    const refused = refreshBoxToken({ accessToken: "x", refreshToken: account.refreshToken }, rctx);
    await expect(refused).rejects.toBeInstanceOf(SyncError);
    await expect(refused).rejects.toMatchObject({ kind: "auth", message: "Box refused to renew access. Reconnect Box.", status: 400 });

    // The new one works exactly once.
    const again = await refreshBoxToken(fresh, rctx);
    expect(again.refreshToken).not.toBe(fresh.refreshToken);
    await expect(refreshBoxToken(fresh, rctx)).rejects.toMatchObject({ kind: "auth" });
    await expect(refreshBoxToken({ accessToken: "x" }, rctx)).rejects.toMatchObject({ kind: "auth" });
  });

  it("an expired access token: 401 with WWW-Authenticate, one refresh, and every later request uses the new token", async () => {
    const account = box.account({ items: 120 });
    box.auth.expireAccessTokens(account.key);
    const direct = await fetch(`${box.baseUrl}/2.0/users/me`, { headers: { authorization: `Bearer ${account.accessToken}` } });
    expect(direct.status).toBe(401);
    expect(direct.headers.get("www-authenticate")).toBe(
      'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
    );
    expect(await direct.text()).toBe("");

    // Without a refresh, the run fails with the 401.
    await expect(run(boxConnector, makeCtx(account).ctx)).rejects.toMatchObject({ status: 401 });

    // Like the engine: on 401, refresh once, update the credentials in place, retry with the new token.
    let refreshes = 0;
    const holder: { ctx?: SyncContext } = {};
    const engineLike: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status !== 401) return res;
      const c = holder.ctx!.credentials;
      refreshes++;
      const fresh = await boxConnector.refresh!(c, { fetch, signal: new AbortController().signal, tokenUrl: box.tokenUrl });
      Object.assign(c, fresh);
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${fresh.accessToken}`);
      return fetch(input, { ...init, headers });
    };
    const { ctx, rec } = makeCtx(account, { fetch: engineLike });
    holder.ctx = ctx;
    const { docs } = await run(boxConnector, ctx);
    expect(docs).toHaveLength(120);
    expect(refreshes).toBe(1);
    const tokens = new Set(rec.requests.map((r) => r.authorization).filter(Boolean));
    // The first request used the expired token; every later one the refreshed token.
    expect(rec.requests[0]!.authorization).toBe(`Bearer ${account.accessToken}`);
    expect(tokens).toEqual(new Set([`Bearer ${account.accessToken}`, `Bearer ${ctx.credentials.accessToken}`]));
    expect(rec.requests.slice(1).every((r) => r.authorization !== `Bearer ${account.accessToken}`)).toBe(true);
  });
});

describe("box connector: faults", () => {
  it("rate_limit: the 429 surfaces, and a fetch that waits out Retry-After completes the sync", async () => {
    const a = box.account({ items: 200, fault: "rate_limit" });
    await expect(run(boxConnector, makeCtx(a).ctx)).rejects.toMatchObject({ status: 429, code: "rate_limit_exceeded" });

    const b = box.account({ items: 30, fault: "rate_limit" }); // 1 + 1 + 15 API calls: 10 per 2 s
    let waits = 0;
    const waitingFetch: typeof fetch = async (input, init) => {
      for (;;) {
        const res = await fetch(input, init);
        if (res.status !== 429) return res;
        waits++;
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(2);
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, retryAfter * 1000));
      }
    };
    const started = performance.now();
    const { docs } = await run(boxConnector, makeCtx(b, { fetch: waitingFetch }).ctx);
    expect(docs).toHaveLength(30);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(performance.now() - started).toBeGreaterThan(900);
  }, 20_000);

  it("hang: aborting ctx.signal ends the sync promptly", async () => {
    const account = box.account({ items: 50, fault: "hang" });
    const controller = new AbortController();
    const { ctx } = makeCtx(account, { signal: controller.signal });
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("stalled")), 200);
    await expect(run(boxConnector, ctx)).rejects.toThrow("stalled");
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("malformed and server_error fail with readable errors", async () => {
    const m = box.account({ items: 50, fault: "malformed" });
    await expect(run(boxConnector, makeCtx(m).ctx)).rejects.toThrow(
      /^Box sent a malformed response for GET \/2\.0\/folders\/0\/items: broken JSON \(\d+ characters\)\.$/,
    );
    const s = box.account({ items: 50, fault: "server_error" });
    const err = await run(boxConnector, makeCtx(s).ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoxResponseError);
    expect((err as BoxResponseError).status).toBeOneOf([500, 503]);
    expect((err as BoxResponseError).message).toMatch(/^50[03] (Internal Server Error|Unavailable); Request ID: [0-9a-f]{14}$/);
  });

  it("declares Box's quota: 1,000 API calls a minute, downloads and tokens free", () => {
    expect(BOX_QUOTA.maxConcurrency).toBe(32);
    expect(BOX_QUOTA.capacity).toBeUndefined();
    const api = [{ key: "api", limit: 1_000, windowMs: 60_000 }];
    expect(BOX_QUOTA.windows!(new URL("https://api.box.com/2.0/folders/0/items"), "GET")).toEqual(api);
    expect(BOX_QUOTA.windows!(new URL("http://127.0.0.1:3000/sandbox/box/2.0/events"), "GET")).toEqual(api);
    expect(BOX_QUOTA.windows!(new URL("https://dl.boxcloud.com/d/1/abc/download"), "GET")).toEqual([]);
    expect(BOX_QUOTA.windows!(new URL("https://api.box.com/oauth2/token"), "POST")).toEqual([]);
    expect(boxConnector.type).toBe("box");
    expect(boxConnector.quota).toBe(BOX_QUOTA);
  });
});
