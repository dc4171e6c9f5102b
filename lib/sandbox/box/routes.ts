// The API routes under /2.0 (users/me, events, folders and their items, files and their content)
// over the generated tree with the account's changes applied (./state.ts): `fields` selection,
// marker and offset paging, the event stream, If-None-Match, trashed files.
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import type { SandboxScenario } from "@/lib/contract";
import {
  brokenDownload,
  contentEdits,
  fileExtension,
  fileFolder,
  fileIndexById,
  folderIndexById,
  folderMini,
  isBrokenFile,
  isTextExtension,
  listingEntry,
  listingLength,
  listingPosition,
  makeFile,
  makeFolder,
  makeUser,
  type BoxUserMini,
  type ListingEntry,
} from "./data";
import { DOWNLOAD_URL_TTL_MS, signTicket, type DownloadTicket } from "./download";
import { BoxError, invalidParameter, notFound, trashed } from "./errors";
import { datasetEventsChunk, fileState, isTrashed, streamEnd, type BoxDataset } from "./state";

/**
 * A new upload (a new file or a new version) is not downloadable for this long: GET
 * /files/{id}/content answers 202 with Retry-After meanwhile, as Box's OpenAPI describes ("This
 * response can occur when the file was uploaded immediately before the download request").
 */
export const NOT_READY_AFTER_UPLOAD_MS = 1_000;
/** Retry-After of the item_errors fault's downloads that never become ready. */
export const NEVER_READY_RETRY_AFTER_S = 1;

const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 100;
const EVENTS_MAX_LIMIT = 500;
const EVENTS_DEFAULT_LIMIT = 100;

function clampInt(raw: string | null, fallback: number, min: number, max: number): number | null {
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) return null;
  const n = Number.parseInt(raw, 10);
  if (n < min) return null;
  return Math.min(n, max);
}

export interface RouteCtx {
  url: URL;
  req: Request;
  account: SandboxAccount;
  scenario: SandboxScenario;
  user: BoxUserMini;
  /** e.g. "http://127.0.0.1:1234/sandbox/box": where this sandbox is mounted. */
  root: string;
  now: number;
  secret: Buffer;
  /** The dataset with the account's changes applied. */
  ds: BoxDataset;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  /** A list endpoint: the `malformed` fault truncates it. */
  list?: boolean;
  headers?: Record<string, string>;
}

const FILE_MINI_FIELDS = ["type", "id", "sequence_id", "etag", "name", "sha1", "file_version"] as const;
const FOLDER_MINI_FIELDS = ["type", "id", "sequence_id", "etag", "name"] as const;

function parseFields(raw: string | null): string[] | null {
  if (raw === null || raw.trim() === "") return null;
  return raw.split(",").map((f) => f.trim()).filter(Boolean);
}

/** Box's `fields`: the mini representation plus exactly the fields asked for (that exist). */
function selectFields<T extends object>(full: T, mini: readonly string[], fields: string[] | null): Partial<T> {
  if (!fields) return full;
  const out: Record<string, unknown> = {};
  const src = full as Record<string, unknown>;
  for (const key of [...mini, ...fields]) if (key in src) out[key] = src[key];
  return out as Partial<T>;
}

function miniFolderEntry(n: number): Record<string, unknown> {
  return { ...folderMini(n) };
}

function entryJson(ctx: RouteCtx, entry: ListingEntry, fields: string[] | null): unknown {
  if (entry.kind === "folder") {
    return fields ? selectFields(makeFolder(entry.n, ctx.ds.count, ctx.user), FOLDER_MINI_FIELDS, fields) : miniFolderEntry(entry.n);
  }
  const file = makeFile(entry.i, ctx.user, fileState(ctx.ds, entry.i));
  return selectFields(file, FILE_MINI_FIELDS, fields ?? [...FILE_MINI_FIELDS]);
}

/** Trashed files leave their folder's listing (Box lists them under /folders/trash/items). */
function listed(ctx: RouteCtx, entry: ListingEntry): boolean {
  return entry.kind === "folder" || !isTrashed(ctx.ds, entry.i);
}

/** Up to `limit` listed entries of folder n from position k on, and the first listed entry after them. */
function listedFrom(ctx: RouteCtx, n: number, k: number, limit: number): { entries: ListingEntry[]; next: ListingEntry | undefined } {
  const entries: ListingEntry[] = [];
  for (let e = listingEntry(n, ctx.ds.count, k); e; e = listingEntry(n, ctx.ds.count, ++k)) {
    if (!listed(ctx, e)) continue;
    if (entries.length === limit) return { entries, next: e };
    entries.push(e);
  }
  return { entries, next: undefined };
}

/** Listed entries of folder n: all of them but its trashed files. */
function listedCount(ctx: RouteCtx, n: number): number {
  let gone = 0;
  for (const [i, s] of ctx.ds.states) if (s.trashedAt !== undefined && i < ctx.ds.count && fileFolder(i) === n) gone++;
  return listingLength(n, ctx.ds.count) - gone;
}

/** Box's conditional GET: If-None-Match with the item's current etag answers 304 and no body. */
function notModified(ctx: RouteCtx, etag: string | null): boolean {
  const header = ctx.req.headers.get("if-none-match");
  if (!header || etag === null) return false;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "").replace(/^"|"$/g, "") === etag);
}

/** Markers are opaque to clients: base64url of the first entry of the next page. */
function encodeMarker(entry: ListingEntry): string {
  return Buffer.from(entry.kind === "folder" ? `d:${entry.n}` : `f:${entry.i}`).toString("base64url");
}

function decodeMarker(raw: string): ListingEntry | null {
  const m = /^([df]):(\d{1,9})$/.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!m) return null;
  const v = Number(m[2]);
  return m[1] === "d" ? { kind: "folder", n: v } : { kind: "file", i: v };
}

function folderItems(ctx: RouteCtx, id: string): RouteResult {
  const items = ctx.ds.count;
  const n = folderIndexById(id, items);
  if (n < 0) throw notFound("folder", id);
  const q = ctx.url.searchParams;
  const limit = clampInt(q.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (limit === null) throw invalidParameter("limit", q.get("limit") ?? "");
  const fields = parseFields(q.get("fields"));
  const useMarker = q.get("usemarker") === "true";
  const order = [
    { by: "type", direction: "ASC" },
    { by: "name", direction: "ASC" },
  ];

  if (useMarker) {
    const rawMarker = q.get("marker");
    let start = 0;
    if (rawMarker !== null && rawMarker !== "" && rawMarker !== "0") {
      const entry = decodeMarker(rawMarker);
      if (!entry) throw invalidParameter("marker", rawMarker, `Invalid value '${rawMarker}'. 'marker' is not valid`);
      start = listingPosition(n, items, entry);
    }
    const page = listedFrom(ctx, n, start, limit);
    const entries = page.entries.map((e) => entryJson(ctx, e, fields));
    return { body: { entries, limit, next_marker: page.next ? encodeMarker(page.next) : null, prev_marker: null, order }, list: true };
  }

  const offset = clampInt(q.get("offset"), 0, 0, Number.MAX_SAFE_INTEGER);
  if (offset === null) throw invalidParameter("offset", q.get("offset") ?? "");
  // Box caps offset paging at 10,000 entries: deeper pages need marker paging.
  if (offset > 10_000) throw invalidParameter("offset", String(offset), "Invalid value for offset: the maximum offset is 10000; use marker-based paging");
  // Offsets count listed entries: skip `offset` of them (at most 10,000), then take a page.
  const skipped = listedFrom(ctx, n, 0, offset);
  const from = skipped.next ? listingPosition(n, items, skipped.next) : listingLength(n, items);
  const entries = listedFrom(ctx, n, from, limit).entries.map((e) => entryJson(ctx, e, fields));
  return { body: { total_count: listedCount(ctx, n), entries, offset, limit, order }, list: true };
}

function folderInfo(ctx: RouteCtx, id: string): RouteResult {
  const items = ctx.ds.count;
  const n = folderIndexById(id, items);
  if (n < 0) throw notFound("folder", id);
  const fields = parseFields(ctx.url.searchParams.get("fields"));
  const full = makeFolder(n, items, ctx.user);
  if (notModified(ctx, full.etag)) return { status: 304 };
  const first = listedFrom(ctx, n, 0, 100).entries.map((e) => entryJson(ctx, e, null));
  const withCollection = {
    ...full,
    item_collection: { total_count: listedCount(ctx, n), entries: first, offset: 0, limit: 100, order: [{ by: "type", direction: "ASC" }, { by: "name", direction: "ASC" }] },
  };
  return { body: selectFields(withCollection, FOLDER_MINI_FIELDS, fields) };
}

/** A file that exists and is not in the trash (a trashed one answers 404 "trashed", GET /files/{id} in Box). */
function fileFor(ctx: RouteCtx, id: string): number {
  const i = fileIndexById(id, ctx.ds.count);
  if (i < 0) throw notFound("file", id);
  if (isTrashed(ctx.ds, i)) throw trashed();
  return i;
}

function fileInfo(ctx: RouteCtx, id: string): RouteResult {
  const i = fileFor(ctx, id);
  const file = makeFile(i, ctx.user, fileState(ctx.ds, i));
  if (notModified(ctx, file.etag)) return { status: 304 };
  return { body: selectFields(file, FILE_MINI_FIELDS, parseFields(ctx.url.searchParams.get("fields"))) };
}

/** When file i's current content was uploaded, if the change log uploaded it (a new file or a new version). */
function uploadedAt(ctx: RouteCtx, i: number): number | undefined {
  const state = fileState(ctx.ds, i);
  if (contentEdits(i, state.edits) > 0) return state.editedAt;
  return i >= ctx.ds.seeded ? ctx.ds.log.find((c) => c.kind === "add" && c.index === i)?.at : undefined;
}

function fileContent(ctx: RouteCtx, id: string): RouteResult {
  const i = fileFor(ctx, id);
  if (ctx.scenario.fault === "item_errors" && isBrokenFile(i) && isTextExtension(fileExtension(i))) {
    const { status } = brokenDownload(i);
    if (status === 403) throw new BoxError(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission");
    return { status: 202, headers: { "retry-after": String(NEVER_READY_RETRY_AFTER_S) } };
  }
  const uploaded = uploadedAt(ctx, i);
  if (uploaded !== undefined && ctx.now < uploaded + NOT_READY_AFTER_UPLOAD_MS) {
    return { status: 202, headers: { "retry-after": String(Math.max(1, Math.ceil((uploaded + NOT_READY_AFTER_UPLOAD_MS - ctx.now) / 1000))) } };
  }
  const ticket: DownloadTicket = {
    k: ctx.account.key,
    i,
    e: fileState(ctx.ds, i).edits,
    x: ctx.now + DOWNLOAD_URL_TTL_MS,
    l: ctx.scenario.latency_ms,
    f: ctx.scenario.fault,
  };
  // Like https://dl.boxcloud.com/d/1/[long-random-string]/download
  const location = `${ctx.root}/dl/d/1/${signTicket(ticket, ctx.secret)}/download`;
  return { status: 302, headers: { location } };
}

function events(ctx: RouteCtx): RouteResult {
  const q = ctx.url.searchParams;
  const type = q.get("stream_type") ?? "all";
  if (type === "admin_logs" || type === "admin_logs_streaming") {
    throw new BoxError(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission");
  }
  if (!["all", "changes", "sync"].includes(type)) throw invalidParameter("stream_type", type);
  const limit = clampInt(q.get("limit"), EVENTS_DEFAULT_LIMIT, 1, EVENTS_MAX_LIMIT);
  if (limit === null) throw invalidParameter("limit", q.get("limit") ?? "");
  const raw = q.get("stream_position");
  if (raw === "now") return { body: { chunk_size: 0, next_stream_position: streamEnd(ctx.ds), entries: [] } };
  let position = 0;
  if (raw !== null && raw !== "" && raw !== "null") {
    if (!/^\d{1,19}$/.test(raw)) throw invalidParameter("stream_position", raw);
    position = Number(raw);
  }
  // expired_cursor: every saved position is out of date, as after Box's event retention
  // (21 days for the changes stream) has dropped the events it pointed at. Box documents no
  // error code for this; the sandbox answers the 400 invalid_parameter shape Box uses for
  // unusable query values. Position 0 (everything still kept) stays valid.
  if (ctx.scenario.fault === "expired_cursor" && position > 0) {
    throw invalidParameter(
      "stream_position",
      raw ?? "",
      `Invalid value '${raw}'. 'stream_position' is out of date: the events it points at are no longer kept. Start again from stream_position=now`,
    );
  }
  return { body: datasetEventsChunk(ctx.ds, position, limit, ctx.user), list: true };
}

export function route(method: string, subpath: string, ctx: RouteCtx): RouteResult {
  const segments = subpath.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return "\u0000";
    }
  });
  const [version, resource, id, sub, ...rest] = segments;
  if (version !== "2.0" || rest.length) throw new BoxError(404, "not_found", "Not Found");
  const allow = (ok: boolean) => {
    if (!ok) throw new BoxError(405, "method_not_allowed", "Method Not Allowed");
  };
  const isGet = method === "GET" || method === "HEAD";
  if (resource === "users" && id === "me" && sub === undefined) {
    allow(isGet);
    return { body: selectFields(makeUser(ctx.account.login, ctx.ds.count), ["type", "id", "name", "login"], parseFields(ctx.url.searchParams.get("fields"))) };
  }
  if (resource === "events" && id === undefined) {
    allow(isGet);
    return events(ctx);
  }
  if (resource === "folders" && id !== undefined) {
    if (sub === undefined) {
      allow(isGet);
      return folderInfo(ctx, id);
    }
    if (sub === "items") {
      allow(isGet);
      return folderItems(ctx, id);
    }
  }
  if (resource === "files" && id !== undefined) {
    if (sub === undefined) {
      allow(isGet);
      return fileInfo(ctx, id);
    }
    if (sub === "content") {
      allow(isGet);
      return fileContent(ctx, id);
    }
  }
  throw new BoxError(404, "not_found", "Not Found");
}
