import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoxClient, BoxDeveloperTokenAuth } from "box-typescript-sdk-gen";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createBoxSandbox } from "./handler";
import { STREAM_BASE, editKind, fileExtension, fileId, fileName, fileSize, fileText, folderFileRange, folderId, isTextExtension } from "./data";
import { startBoxSandbox, type BoxSandboxFixture } from "./test-helpers";

let box: BoxSandboxFixture;
beforeAll(async () => {
  box = await startBoxSandbox();
});
afterAll(async () => {
  await box.close();
});

type Json = Record<string, unknown>;

function get(path: string, token?: string, init: RequestInit = {}) {
  return fetch(`${box.baseUrl}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
}

async function body(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

const firstText = (from: number) => {
  for (let i = from; ; i++) if (isTextExtension(fileExtension(i))) return i;
};

describe("box sandbox: auth and errors", () => {
  it("answers 401 with an empty body and Box's WWW-Authenticate", async () => {
    const cases: Array<[Response, string]> = [
      [await get("/2.0/users/me"), 'Bearer realm="Service", error="invalid_request", error_description="The access token was not found."'],
      [await get("/2.0/users/me", "nope"), 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."'],
      [await get("/2.0/users/me", undefined, { headers: { authorization: "Basic abc" } }), 'Bearer realm="Service", error="invalid_request", error_description="The Authorization header is malformed."'],
    ];
    const a = box.account({ items: 3 });
    box.auth.expireAccessTokens(a.key);
    cases.push([await get("/2.0/users/me", a.accessToken), 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."']);
    for (const [res, challenge] of cases) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe(challenge);
      expect(await res.text()).toBe("");
    }
  });

  it("answers unknown paths, methods and ids with Box's error bodies", async () => {
    const { accessToken: t } = box.account({ items: 600 });
    const nf = await get("/2.0/nope", t);
    expect(nf.status).toBe(404);
    expect(await body(nf)).toEqual({ type: "error", status: 404, code: "not_found", help_url: "http://developers.box.com/docs/#errors", message: "Not Found", request_id: expect.stringMatching(/^[0-9a-f]{14}$/) });
    expect(nf.headers.get("box-request-id")).toMatch(/^0[0-9a-f]{14}$/);

    const folder = await get(`/2.0/folders/${folderId(12)}/items`, t); // 12 folders at 600 files: 0..11
    expect(folder.status).toBe(404);
    expect(await body(folder)).toMatchObject({
      code: "not_found",
      context_info: { errors: [{ reason: "invalid_parameter", name: "folder", message: `Invalid value 'd_${folderId(12)}'. 'folder' with value 'd_${folderId(12)}' not found` }] },
    });
    expect((await get(`/2.0/files/${fileId(600)}`, t)).status).toBe(404);
    const post = await get("/2.0/users/me", t, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(await body(post)).toMatchObject({ code: "method_not_allowed", status: 405 });
    const bad = await get("/2.0/folders/0/items?limit=abc", t);
    expect(bad.status).toBe(400);
    expect(await body(bad)).toMatchObject({ code: "bad_request", context_info: { errors: [{ reason: "invalid_parameter", name: "limit" }] } });
  });
});

describe("box sandbox: folders and files", () => {
  it("pages folder items by marker (keyset), with Box's shapes and `fields` selection", async () => {
    const { accessToken: t } = box.account({ items: 1_000 });
    // Folder 4: subfolders 17, 18, 19, then files 200..299 (folder 5 is empty and gives it its block).
    const expected = [17, 18, 19].map(folderId).concat(Array.from({ length: 100 }, (_, k) => fileId(200 + k)));
    const got: string[] = [];
    let marker: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/2.0/folders/${folderId(4)}/items?usemarker=true&limit=7&fields=name,size${marker ? `&marker=${marker}` : ""}`, t);
      expect(res.status).toBe(200);
      const page = await body(res);
      expect(page).toMatchObject({ limit: 7, prev_marker: null, order: [{ by: "type", direction: "ASC" }, { by: "name", direction: "ASC" }] });
      expect(page.total_count).toBeUndefined(); // marker paging has no total
      const entries = page.entries as Json[];
      for (const e of entries) {
        got.push(e.id as string);
        expect(Object.keys(e).sort()).toEqual(e.type === "folder" ? ["etag", "id", "name", "sequence_id", "size", "type"] : ["etag", "file_version", "id", "name", "sequence_id", "sha1", "size", "type"]);
      }
      marker = page.next_marker as string | null;
      pages++;
    } while (marker);
    expect(got).toEqual(expected);
    expect(pages).toBe(Math.ceil(103 / 7));

    // Offset paging, with total_count; limit above 1,000 is capped.
    const off = await body(await get(`/2.0/folders/${folderId(4)}/items?offset=100&limit=5000`, t));
    expect(off).toMatchObject({ total_count: 103, offset: 100, limit: 1_000 });
    expect((off.entries as Json[]).map((e) => e.id)).toEqual([297, 298, 299].map(fileId));
    expect(Object.keys((off.entries as Json[])[0]!).sort()).toEqual(["etag", "file_version", "id", "name", "sequence_id", "sha1", "type"]);
    expect((await get(`/2.0/folders/0/items?offset=20000`, t)).status).toBe(400);
    expect((await get(`/2.0/folders/0/items?usemarker=true&marker=garbage`, t)).status).toBe(400);
  });

  it("serves files and folders in full, and `fields` as mini + the fields asked for", async () => {
    const { accessToken: t } = box.account({ items: 600 });
    const file = await body(await get(`/2.0/files/${fileId(420)}`, t));
    expect(file).toMatchObject({
      type: "file",
      id: fileId(420),
      name: fileName(420),
      size: fileSize(420),
      extension: fileExtension(420),
      parent: { type: "folder", id: folderId(8) },
      path_collection: { total_count: 3, entries: [{ id: "0", name: "All Files" }, { id: folderId(1), name: "Q3 — Planning" }, { id: folderId(8), name: "Финансы" }] },
      item_status: "active",
      owned_by: { type: "user", name: "Zoë Ångström", login: "zoe.angstrom@example.com" }, // folder 8 is a colleague's
    });
    const some = await body(await get(`/2.0/files/${fileId(420)}?fields=size,owned_by`, t));
    expect(Object.keys(some).sort()).toEqual(["etag", "file_version", "id", "name", "owned_by", "sequence_id", "sha1", "size", "type"]);
    const root = await body(await get(`/2.0/folders/0`, t));
    expect(root).toMatchObject({ id: "0", name: "All Files", parent: null, item_collection: { total_count: 54, limit: 100 } }); // 4 folders + 50 files
  });

  it("answers downloads with a 302 to a short-lived URL that serves the bytes, ranges too", async () => {
    let clock = Date.now();
    const auth = new MemorySandboxAuth();
    const handler = createBoxSandbox({ auth, now: () => clock });
    const { accessToken: t } = auth.account("dl-test", { items: 600, latency_ms: 0, fault: "none" });
    const call = (url: string, headers: Record<string, string> = {}) => handler(new Request(url, { headers }), new URL(url).pathname.replace(/^\/box/, ""));

    const i = firstText(0);
    const res = await call(`http://sandbox.test/box/2.0/files/${fileId(i)}/content`, { authorization: `Bearer ${t}` });
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^http:\/\/sandbox\.test\/box\/dl\/d\/1\/[\w-]+\.[\w-]+\/download$/);
    const dl = await call(location); // no token needed, like dl.boxcloud.com
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-length")).toBe(String(fileSize(i)));
    expect(dl.headers.get("accept-ranges")).toBe("bytes");
    expect(dl.headers.get("content-type")).toBe("application/octet-stream");
    expect(dl.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent(fileName(i))}`);
    expect(await dl.text()).toBe(fileText(i));

    const part = await call(location, { range: "bytes=0-9" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-9/${fileSize(i)}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(Buffer.from(fileText(i)).subarray(0, 10));
    expect((await call(location, { range: `bytes=${fileSize(i)}-` })).status).toBe(416);

    const tampered = location.replace(/\/dl\/d\/1\/([\w-]+)\./, (_m, p: string) => `/dl/d/1/${p.slice(0, -2)}AA.`);
    expect((await call(tampered)).status).toBe(404);
    clock += 16 * 60_000; // download URLs live 15 minutes
    expect((await call(location)).status).toBe(404);
  });
});

describe("box sandbox: the event stream", () => {
  it("answers now, chunks from a position, and refuses admin streams", async () => {
    const { accessToken: t } = box.account({ items: 300 });
    expect(await body(await get("/2.0/events?stream_type=changes&stream_position=now", t))).toEqual({ chunk_size: 0, next_stream_position: STREAM_BASE + 300, entries: [] });
    const chunk = await body(await get(`/2.0/events?stream_type=changes&stream_position=${STREAM_BASE + 280}&limit=5`, t));
    expect(chunk.chunk_size).toBe(5);
    expect((chunk.entries as Json[]).map((e) => (e.source as Json).id)).toEqual([280, 281, 282, 283, 284].map(fileId));
    expect(chunk.next_stream_position).toBe(STREAM_BASE + 284); // overlaps the next chunk by one
    // File 294's upload comes twice (at least once delivery), so a chunk of 5 from 290 holds 4 positions.
    const dup = await body(await get(`/2.0/events?stream_type=changes&stream_position=${STREAM_BASE + 290}&limit=6`, t));
    expect((dup.entries as Json[]).map((e) => (e.source as Json).id)).toEqual([290, 291, 292, 293, 294, 294].map(fileId));
    expect((dup.entries as Json[])[4]!.event_id).toBe((dup.entries as Json[])[5]!.event_id);
    const all = await body(await get(`/2.0/events?stream_position=0&limit=500`, t));
    expect(all.next_stream_position).toBe(STREAM_BASE + 300); // 300 uploads, 5 folder creations, 18 repeats: one chunk
    expect((all.entries as Json[]).length).toBe(300 + 5 + 18);
    const { accessToken: t2 } = box.account({ items: 1_000 });
    const big = await body(await get(`/2.0/events?stream_position=0&limit=5000`, t2));
    expect((big.entries as Json[]).length).toBeLessThanOrEqual(500);
    expect((big.entries as Json[]).length).toBeGreaterThan(490);
    const admin = await get("/2.0/events?stream_type=admin_logs", t);
    expect(admin.status).toBe(403);
    expect(await body(admin)).toMatchObject({ code: "access_denied_insufficient_permissions" });
    expect((await get("/2.0/events?stream_position=abc", t)).status).toBe(400);
  });

  it("expired_cursor: a saved position is refused with a 400, `now` still works", async () => {
    const { accessToken: t } = box.account({ items: 300, fault: "expired_cursor" });
    const res = await get(`/2.0/events?stream_type=changes&stream_position=${STREAM_BASE + 100}`, t);
    expect(res.status).toBe(400);
    expect(await body(res)).toMatchObject({
      type: "error",
      status: 400,
      code: "bad_request",
      context_info: { errors: [{ reason: "invalid_parameter", name: "stream_position", message: expect.stringContaining("out of date") }] },
    });
    expect((await get("/2.0/events?stream_position=now", t)).status).toBe(200);
  });
});

describe("box sandbox: tokens", () => {
  it("rotates refresh tokens: each works once", async () => {
    const a = box.account({ items: 3 });
    const post = (form: Record<string, string>) =>
      fetch(box.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
    const ok = await post({ grant_type: "refresh_token", refresh_token: a.refreshToken, client_id: "c", client_secret: "s" });
    expect(ok.status).toBe(200);
    const tokens = await body(ok);
    expect(tokens).toEqual({ access_token: expect.stringMatching(/^mem_access_/), expires_in: 3600, restricted_to: [], refresh_token: expect.stringMatching(/^mem_refresh_/), token_type: "bearer" });
    expect((await get("/2.0/users/me", tokens.access_token as string)).status).toBe(200);
    const again = await post({ grant_type: "refresh_token", refresh_token: a.refreshToken });
    expect(again.status).toBe(400);
    expect(await body(again)).toEqual({ error: "invalid_grant", error_description: "Invalid refresh token" });
    expect((await post({ grant_type: "refresh_token", refresh_token: tokens.refresh_token as string })).status).toBe(200);
    expect(await body(await post({ grant_type: "password" }))).toEqual({ error: "invalid_request", error_description: "Invalid grant_type parameter or parameter missing" });
    expect((await fetch(box.tokenUrl)).status).toBe(405);
  });
});

describe("box sandbox: quota and faults", () => {
  function direct(fault: "none" | "rate_limit", clock: { t: number }) {
    const auth = new MemorySandboxAuth();
    const handler = createBoxSandbox({ auth, now: () => clock.t });
    const { accessToken } = auth.account(`quota-${fault}-${Math.random()}`, { items: 3, latency_ms: 0, fault });
    return () => handler(new Request("http://sandbox.test/box/2.0/users/me", { headers: { authorization: `Bearer ${accessToken}` } }), "/2.0/users/me");
  }

  it("enforces 1,000 requests per minute per user as a sliding window, with 429 + Retry-After", async () => {
    const clock = { t: 1_700_000_000_000 };
    const call = direct("none", clock);
    for (let k = 0; k < 500; k++) expect((await call()).status).toBe(200);
    clock.t += 30_000;
    for (let k = 0; k < 500; k++) expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(await body(refused)).toMatchObject({ type: "error", status: 429, code: "rate_limit_exceeded", message: "Request rate limit exceeded, please try again later" });
    clock.t += 29_000;
    expect((await call()).headers.get("retry-after")).toBe("1");
    clock.t += 1_000; // the first 500 have left the window
    for (let k = 0; k < 500; k++) expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
  });

  it("rate_limit fault: 10 requests per 2 s", async () => {
    const clock = { t: 1_700_000_000_000 };
    const call = direct("rate_limit", clock);
    for (let k = 0; k < 10; k++) expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("2");
    clock.t += 2_000;
    expect((await call()).status).toBe(200);
  });

  it("server_error, malformed, item_errors and latency", async () => {
    const s = box.account({ items: 50, fault: "server_error" });
    const codes = new Set<number>();
    for (let k = 0; k < 4; k++) {
      const res = await get("/2.0/users/me", s.accessToken);
      codes.add(res.status);
      expect(await body(res)).toMatchObject({ type: "error", code: res.status === 500 ? "internal_server_error" : "unavailable" });
    }
    expect([...codes].sort()).toEqual([500, 503]);

    const m = box.account({ items: 50, fault: "malformed" });
    expect((await body(await get("/2.0/users/me", m.accessToken))).login).toBe("sandbox-user@example.com");
    for (const path of ["/2.0/folders/0/items?usemarker=true", "/2.0/events?stream_position=0"]) {
      const res = await get(path, m.accessToken);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith("{")).toBe(true);
      expect(() => JSON.parse(text)).toThrow();
    }

    const e = box.account({ items: 100, fault: "item_errors" });
    const listing = (await body(await get("/2.0/folders/0/items?usemarker=true&limit=1000&fields=name", e.accessToken))).entries as Json[];
    const byId = new Map(listing.map((x) => [x.id, x]));
    // Records stay valid (Box's FileFull has no null name); only downloads fail, as Box's do.
    expect(byId.get(fileId(3))!.name).toBe(fileName(3));
    expect((await body(await get(`/2.0/files/${fileId(3)}`, e.accessToken))).name).toBe(fileName(3));
    expect(byId.get(fileId(13))!.name).toBe(fileName(13)); // md: the record is fine...
    const denied = await get(`/2.0/files/${fileId(63)}/content`, e.accessToken, { redirect: "manual" }); // 63: html, 403
    expect(denied.status).toBe(403);
    expect(await body(denied)).toMatchObject({ code: "access_denied_insufficient_permissions", message: "Access denied - insufficient permission" });
    const notReady = await get(`/2.0/files/${fileId(13)}/content`, e.accessToken, { redirect: "manual" }); // ...its download is never ready
    expect(notReady.status).toBe(202);
    expect(notReady.headers.get("retry-after")).toBe("1");
    expect(await notReady.text()).toBe("");
    expect((await get(`/2.0/files/${fileId(1)}/content`, e.accessToken, { redirect: "manual" })).status).toBe(302);
    expect(folderFileRange(0, 100)).toEqual([0, 50]);

    const slow = box.account({ items: 5, latency_ms: 120 });
    const started = performance.now();
    expect((await get("/2.0/users/me", slow.accessToken)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});

describe("box sandbox: the official SDK with its own network client", () => {
  it("lists, reads events and downloads through the SDK's BoxNetworkClient", async () => {
    const a = box.account({ items: 120 });
    const client = new BoxClient({ auth: new BoxDeveloperTokenAuth({ token: a.accessToken }) }).withCustomBaseUrls({
      baseUrl: box.baseUrl,
      uploadUrl: `${box.baseUrl}/upload`,
      oauth2Url: `${box.baseUrl}/oauth2`,
    });
    expect((await client.users.getUserMe()).login).toBe("sandbox-user@example.com");
    const first = await client.folders.getFolderItems("0", { queryParams: { usemarker: true, limit: 2 } });
    expect(first.entries!.map((e) => e.id)).toEqual([folderId(1), folderId(2)]);
    const rest = await client.folders.getFolderItems("0", { queryParams: { usemarker: true, limit: 1000, marker: first.nextMarker! } });
    expect(rest.entries!.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, k) => fileId(k)));
    expect(rest.nextMarker).toBeUndefined();
    const events = await client.events.getEvents({ streamType: "changes", streamPosition: String(STREAM_BASE + 118), limit: 10 });
    expect(events.entries!.map((e) => e.eventType)).toEqual(["ITEM_UPLOAD", "ITEM_UPLOAD"]);
    expect(events.nextStreamPosition).toBe(STREAM_BASE + 120);
    const i = firstText(0);
    const stream = await client.downloads.downloadFile(fileId(i));
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString("utf8")).toBe(fileText(i));
  });
});

describe("box sandbox: changes (POST .../sandbox/changes applied to every answer)", () => {
  const firstOfKind = (kind: "version" | "rename", from = 0) => {
    for (let i = from; ; i++) if (editKind(i) === kind) return i;
  };

  it("trashed files leave listings, answer 404 trashed, and the event stream reports every change", async () => {
    const a = box.account({ items: 60 });
    const past = Date.now() - 60_000;
    const added = a.change("add", undefined, past);
    const text = firstOfKind("version");
    const binary = firstOfKind("rename");
    a.change("edit", text, past);
    a.change("edit", binary, past);
    a.change("delete", 4, past);

    const listing = (await body(await get("/2.0/folders/0/items?usemarker=true&limit=1000", a.accessToken))).entries as Json[];
    const ids = listing.filter((e) => e.type === "file").map((e) => e.id);
    expect(ids).not.toContain(fileId(4));
    expect(ids).toHaveLength(49);
    const byOffset = await body(await get(`/2.0/folders/${folderId(1)}/items?limit=5&offset=10`, a.accessToken));
    expect(byOffset.total_count).toBe(11); // files 50-59, and the added 60
    expect((byOffset.entries as Json[]).map((e) => e.id)).toEqual([fileId(added)]);
    const offsetRoot = await body(await get("/2.0/folders/0/items?limit=3&offset=3", a.accessToken));
    expect((offsetRoot.entries as Json[]).map((e) => e.id)).toEqual([fileId(2), fileId(3), fileId(5)]);

    const gone = await get(`/2.0/files/${fileId(4)}`, a.accessToken);
    expect(gone.status).toBe(404);
    expect(await body(gone)).toMatchObject({ type: "error", status: 404, code: "trashed" });
    expect((await get(`/2.0/files/${fileId(4)}/content`, a.accessToken, { redirect: "manual" })).status).toBe(404);

    const renamed = await body(await get(`/2.0/files/${fileId(binary)}`, a.accessToken));
    expect(renamed.name).toMatch(/\(edited\)/);
    const dl = await get(`/2.0/files/${fileId(text)}/content`, a.accessToken, { redirect: "manual" });
    expect(dl.status).toBe(302);
    const edited = await (await fetch(dl.headers.get("location")!)).text();
    expect(edited).toBe(fileText(text, Infinity, 1));
    expect(edited).toContain("edited");

    const now = await body(await get("/2.0/events?stream_position=now", a.accessToken));
    expect(now.next_stream_position).toBe(STREAM_BASE + 60 + 4);
    const events = await body(await get(`/2.0/events?stream_type=changes&stream_position=${STREAM_BASE + 60}`, a.accessToken));
    const seen = new Map<string, Json>();
    for (const e of events.entries as Json[]) seen.set(e.event_id as string, e);
    expect([...seen.values()].filter((e) => (e.source as Json).type === "file").map((e) => [e.event_type, (e.source as Json).id])).toEqual([
      ["ITEM_UPLOAD", fileId(added)],
      ["ITEM_UPLOAD", fileId(text)],
      ["ITEM_RENAME", fileId(binary)],
      ["ITEM_TRASH", fileId(4)],
    ]);
    for (const e of events.entries as Json[]) expect(e).not.toHaveProperty("additional_details");
    expect(events.next_stream_position).toBe(STREAM_BASE + 64);
  });

  it("a just-uploaded file or version answers 202 with Retry-After until it is ready", async () => {
    const a = box.account({ items: 20 });
    const text = firstOfKind("version");
    a.change("edit", text, Date.now());
    const early = await get(`/2.0/files/${fileId(text)}/content`, a.accessToken, { redirect: "manual" });
    expect(early.status).toBe(202);
    expect(Number(early.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, Number(early.headers.get("retry-after")) * 1000));
    expect((await get(`/2.0/files/${fileId(text)}/content`, a.accessToken, { redirect: "manual" })).status).toBe(302);
  });

  it("If-None-Match with the current etag answers 304 (files and folders); an edit changes the etag", async () => {
    const a = box.account({ items: 120 });
    const file = await body(await get(`/2.0/files/${fileId(10)}`, a.accessToken));
    const same = await get(`/2.0/files/${fileId(10)}`, a.accessToken, { headers: { "if-none-match": String(file.etag) } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    expect((await get(`/2.0/files/${fileId(10)}`, a.accessToken, { headers: { "if-none-match": "999" } })).status).toBe(200);
    const folder = await body(await get(`/2.0/folders/${folderId(1)}`, a.accessToken));
    expect((await get(`/2.0/folders/${folderId(1)}`, a.accessToken, { headers: { "if-none-match": `"${String(folder.etag)}"` } })).status).toBe(304);
    a.change("edit", 10, Date.now() - 60_000);
    expect((await get(`/2.0/files/${fileId(10)}`, a.accessToken, { headers: { "if-none-match": String(file.etag) } })).status).toBe(200);
  });
});
