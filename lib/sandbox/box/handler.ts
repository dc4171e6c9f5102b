// A local stand-in for the Box API (the slice 2nd Brain uses), close enough that
// box-typescript-sdk-gen pointed at it with `withCustomBaseUrls` cannot tell the difference:
// the real paths under /2.0, marker and offset pagination of folder items, `fields`
// selection, the event stream, downloads answered with a 302 to a short-lived download URL,
// the OAuth token endpoint with rotating refresh tokens, Box's error bodies, 401s with
// WWW-Authenticate, and 429 + Retry-After at Box's published 1,000 requests per minute per user.
// Web-standard Request/Response only, so it mounts both in a Next.js route handler and in the
// node:http adapter of ../http.ts.
//
// Faults (scenario.fault): hang, slow, rate_limit, server_error, malformed, expired_cursor and
// item_errors are served here; expired_token needs nothing special (the app expires the access
// tokens, and this handler answers 401 for them like for any invalid token).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { SandboxAccount, SandboxAuth } from "@/lib/sandbox/accounts";
import type { SandboxScenario } from "@/lib/contract";
import {
  STREAM_BASE,
  brokenDownload,
  eventsChunk,
  fileBytes,
  fileExtension,
  fileIndexById,
  fileName,
  fileSize,
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
  sandboxUser,
  type BoxUserMini,
  type ListingEntry,
} from "./data";
import { sleep } from "@/lib/sandbox/sleep";

export interface BoxSandboxOptions {
  auth: SandboxAuth;
  /** Clock for quota windows and download-URL expiry (ms since epoch). */
  now?: () => number;
  /**
   * Signs the download URLs this sandbox hands out. Defaults to a random secret per process;
   * set it when several processes serve the same sandbox behind one origin.
   */
  downloadSecret?: string;
}

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

const HELP_URL = "http://developers.box.com/docs/#errors";
const HANG_CAP_MS = 10 * 60_000;
const SLOW_MIN_MS = 1_500;
const DOWNLOAD_URL_TTL_MS = 15 * 60_000;
const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 100;
const EVENTS_MAX_LIMIT = 500;
const EVENTS_DEFAULT_LIMIT = 100;

interface Quota {
  name: string;
  limit: number;
  windowMs: number;
  slots: number;
}
/** Box: 1,000 API requests per minute per user (a sliding window, one-second slots). */
export const BOX_USER_QUOTA: Quota = { name: "user", limit: 1_000, windowMs: 60_000, slots: 60 };
/** The `rate_limit` fault: a tiny window so a sync hits it within seconds. */
export const FAULT_QUOTA: Quota = { name: "fault", limit: 10, windowMs: 2_000, slots: 20 };

// ---------------------------------------------------------------- shared state (globalThis)

interface Window {
  counts: number[];
  /** Absolute slot number of the newest slot in `counts`. */
  head: number;
  total: number;
}
interface SandboxState {
  windows: Map<string, Window>;
  requestSeq: number;
  secret: Buffer;
}
const STATE_KEY = Symbol.for("2nd-brain.sandbox.box.state");
const MAX_WINDOWS = 10_000;

/** Next.js can load this module more than once; the quota state must still be one. */
function sharedState(): SandboxState {
  const g = globalThis as typeof globalThis & { [STATE_KEY]?: SandboxState };
  return (g[STATE_KEY] ??= { windows: new Map(), requestSeq: 0, secret: randomBytes(32) });
}

/** The sliding window of `key`, moved forward to `now`. Map order = least recently used first. */
function windowFor(key: string, quota: Quota, now: number): Window {
  const { windows } = sharedState();
  const slotMs = quota.windowMs / quota.slots;
  const slot = Math.floor(now / slotMs);
  let w = windows.get(key);
  if (w) windows.delete(key);
  if (!w || slot - w.head >= quota.slots) {
    w = { counts: new Array<number>(quota.slots).fill(0), head: slot, total: 0 };
  } else {
    for (let s = w.head + 1; s <= slot; s++) {
      const k = s % quota.slots;
      w.total -= w.counts[k]!;
      w.counts[k] = 0;
    }
    w.head = Math.max(w.head, slot);
  }
  windows.set(key, w);
  while (windows.size > MAX_WINDOWS) {
    const oldest = windows.keys().next();
    if (oldest.done) break;
    windows.delete(oldest.value);
  }
  return w;
}

/** Counts one request; or, when the window is full, how many ms until one is allowed again. */
function admit(key: string, quota: Quota, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
  const w = windowFor(key, quota, now);
  if (w.total < quota.limit) {
    const k = w.head % quota.slots;
    w.counts[k] = (w.counts[k] ?? 0) + 1;
    w.total += 1;
    return { ok: true };
  }
  // The oldest slots leave the window first: find when enough have left.
  const slotMs = quota.windowMs / quota.slots;
  let remaining = w.total;
  for (let s = w.head - quota.slots + 1; s <= w.head; s++) {
    remaining -= w.counts[((s % quota.slots) + quota.slots) % quota.slots]!;
    if (remaining < quota.limit) return { ok: false, retryAfterMs: Math.max(1, (s + quota.slots) * slotMs - now) };
  }
  return { ok: false, retryAfterMs: quota.windowMs };
}

function requestId(): string {
  const seq = ++sharedState().requestSeq;
  return `${(seq % 0xffff).toString(16).padStart(4, "0")}${randomBytes(5).toString("hex")}`;
}

// ---------------------------------------------------------------- small helpers


function bearerToken(req: Request): string | null | undefined {
  const header = req.headers.get("authorization");
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number | null {
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) return null;
  const n = Number.parseInt(raw, 10);
  if (n < min) return null;
  return Math.min(n, max);
}

function latencyOf(scenario: SandboxScenario): number {
  return scenario.fault === "slow" ? Math.max(scenario.latency_ms * 10, SLOW_MIN_MS) : scenario.latency_ms;
}

class BoxError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly contextInfo?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {}
}

function invalidParameter(name: string, value: string, detail?: string): BoxError {
  return new BoxError(400, "bad_request", "Bad Request", {
    errors: [{ reason: "invalid_parameter", name, message: detail ?? `Invalid value '${value}'. '${name}' with value '${value}' is not valid` }],
  });
}

function notFound(kind: "folder" | "file", id: string): BoxError {
  const prefix = kind === "folder" ? "d" : "f";
  return new BoxError(404, "not_found", "Not Found", {
    errors: [{ reason: "invalid_parameter", name: kind, message: `Invalid value '${prefix}_${id}'. '${kind}' with value '${prefix}_${id}' not found` }],
  });
}

// ---------------------------------------------------------------- download URLs

interface DownloadTicket {
  /** Account key. */
  k: string;
  /** File index. */
  i: number;
  /** Expiry, ms since epoch. */
  x: number;
  /** Scenario latency and fault at the time the URL was handed out (a real URL is as short-lived). */
  l: number;
  f: SandboxScenario["fault"];
}

function signTicket(ticket: DownloadTicket, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify(ticket)).toString("base64url");
  const mac = createHmac("sha256", secret).update(payload).digest("base64url");
  return `${payload}.${mac}`;
}

function readTicket(raw: string, secret: Buffer): DownloadTicket | null {
  const [payload, mac, ...rest] = raw.split(".");
  if (!payload || !mac || rest.length) return null;
  const want = createHmac("sha256", secret).update(payload).digest();
  let got: Buffer;
  try {
    got = Buffer.from(mac, "base64url");
  } catch {
    return null;
  }
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try {
    const t = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as DownloadTicket;
    return typeof t.i === "number" && typeof t.x === "number" && typeof t.k === "string" ? t : null;
  } catch {
    return null;
  }
}

/** "bytes=a-b" / "bytes=a-" / "bytes=-n" for a body of `size` bytes; null = no (usable) range. */
function parseRange(header: string | null, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start) return "unsatisfiable";
  return { start, end };
}

function streamBytes(i: number, start: number, end: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  const pieces = fileBytes(i, start, end);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (signal.aborted) {
        controller.close();
        return;
      }
      const next = pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      pieces.return(undefined);
    },
  });
}

// ---------------------------------------------------------------- routes

interface RouteCtx {
  url: URL;
  req: Request;
  account: SandboxAccount;
  scenario: SandboxScenario;
  user: BoxUserMini;
  /** e.g. "http://127.0.0.1:1234/sandbox/box": where this sandbox is mounted. */
  root: string;
  now: number;
  secret: Buffer;
}

interface RouteResult {
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
  const breakItems = ctx.scenario.fault === "item_errors";
  if (entry.kind === "folder") {
    return fields ? selectFields(makeFolder(entry.n, ctx.scenario.items, ctx.user), FOLDER_MINI_FIELDS, fields) : miniFolderEntry(entry.n);
  }
  const broken = breakItems && isBrokenFile(entry.i) && !isTextExtension(fileExtension(entry.i));
  const file = makeFile(entry.i, ctx.user, broken);
  return selectFields(file, FILE_MINI_FIELDS, fields ?? [...FILE_MINI_FIELDS]);
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
  const items = ctx.scenario.items;
  const n = folderIndexById(id, items);
  if (n < 0) throw notFound("folder", id);
  const q = ctx.url.searchParams;
  const limit = clampInt(q.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (limit === null) throw invalidParameter("limit", q.get("limit") ?? "");
  const fields = parseFields(q.get("fields"));
  const total = listingLength(n, items);
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
    const entries: unknown[] = [];
    for (let k = start; k < Math.min(total, start + limit); k++) entries.push(entryJson(ctx, listingEntry(n, items, k)!, fields));
    const nextEntry = start + limit < total ? listingEntry(n, items, start + limit) : undefined;
    return { body: { entries, limit, next_marker: nextEntry ? encodeMarker(nextEntry) : null, prev_marker: null, order }, list: true };
  }

  const offset = clampInt(q.get("offset"), 0, 0, Number.MAX_SAFE_INTEGER);
  if (offset === null) throw invalidParameter("offset", q.get("offset") ?? "");
  // Box caps offset paging at 10,000 entries: deeper pages need marker paging.
  if (offset > 10_000) throw invalidParameter("offset", String(offset), "Invalid value for offset: the maximum offset is 10000; use marker-based paging");
  const entries: unknown[] = [];
  for (let k = offset; k < Math.min(total, offset + limit); k++) entries.push(entryJson(ctx, listingEntry(n, items, k)!, fields));
  return { body: { total_count: total, entries, offset, limit, order }, list: true };
}

function folderInfo(ctx: RouteCtx, id: string): RouteResult {
  const items = ctx.scenario.items;
  const n = folderIndexById(id, items);
  if (n < 0) throw notFound("folder", id);
  const fields = parseFields(ctx.url.searchParams.get("fields"));
  const full = makeFolder(n, items, ctx.user);
  const total = listingLength(n, items);
  const first = Array.from({ length: Math.min(100, total) }, (_, k) => entryJson(ctx, listingEntry(n, items, k)!, null));
  const withCollection = {
    ...full,
    item_collection: { total_count: total, entries: first, offset: 0, limit: 100, order: [{ by: "type", direction: "ASC" }, { by: "name", direction: "ASC" }] },
  };
  return { body: selectFields(withCollection, FOLDER_MINI_FIELDS, fields) };
}

function fileFor(ctx: RouteCtx, id: string): number {
  const i = fileIndexById(id, ctx.scenario.items);
  if (i < 0) throw notFound("file", id);
  return i;
}

function fileInfo(ctx: RouteCtx, id: string): RouteResult {
  const i = fileFor(ctx, id);
  const broken = ctx.scenario.fault === "item_errors" && isBrokenFile(i) && !isTextExtension(fileExtension(i));
  return { body: selectFields(makeFile(i, ctx.user, broken), FILE_MINI_FIELDS, parseFields(ctx.url.searchParams.get("fields"))) };
}

function fileContent(ctx: RouteCtx, id: string): RouteResult {
  const i = fileFor(ctx, id);
  if (ctx.scenario.fault === "item_errors" && isBrokenFile(i) && isTextExtension(fileExtension(i))) {
    const { status } = brokenDownload(i);
    if (status === 403) throw new BoxError(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission");
    throw notFound("file", id);
  }
  const ticket: DownloadTicket = {
    k: ctx.account.key,
    i,
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
  const items = ctx.scenario.items;
  if (raw === "now") return { body: { chunk_size: 0, next_stream_position: STREAM_BASE + items, entries: [] } };
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
  return { body: eventsChunk(items, position, limit, ctx.user, ctx.scenario.fault === "item_errors"), list: true };
}

function route(method: string, subpath: string, ctx: RouteCtx): RouteResult {
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
    return { body: selectFields(makeUser(ctx.account.login, ctx.scenario.items), ["type", "id", "name", "login"], parseFields(ctx.url.searchParams.get("fields"))) };
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

// ---------------------------------------------------------------- the handler

export function createBoxSandbox(opts: BoxSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;
  const secret = () => (opts.downloadSecret !== undefined ? Buffer.from(opts.downloadSecret) : sharedState().secret);

  return async function boxSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId();
    const base: Record<string, string> = { "box-request-id": `0${id}`, "cache-control": "no-cache, no-store" };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...base, ...headers } });
    const error = (e: BoxError) =>
      json(
        e.status,
        {
          type: "error",
          status: e.status,
          code: e.code,
          ...(e.contextInfo ? { context_info: e.contextInfo } : {}),
          help_url: HELP_URL,
          message: e.message,
          request_id: id,
        },
        e.headers,
      );
    const gone = () => json(499, { type: "error", status: 499, code: "client_closed_request", message: "Client Closed Request", request_id: id });
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    const root = `${url.origin}${url.pathname.endsWith(subpath) ? url.pathname.slice(0, url.pathname.length - subpath.length) : ""}`;

    // ---- the OAuth token endpoint (no bearer token; no scenario)
    if (subpath === "/oauth2/token") {
      if (method !== "POST") return error(new BoxError(405, "method_not_allowed", "Method Not Allowed"));
      const params = new URLSearchParams(await req.text().catch(() => ""));
      const oauthError = (description: string, code = "invalid_request") =>
        json(400, { error: code, error_description: description });
      if (params.get("grant_type") !== "refresh_token") return oauthError("Invalid grant_type parameter or parameter missing");
      const refreshToken = params.get("refresh_token");
      if (!refreshToken) return oauthError("The refresh_token parameter is missing", "invalid_request");
      let issued;
      try {
        issued = await opts.auth.refresh(refreshToken, { rotate: true });
      } catch {
        return error(new BoxError(500, "internal_server_error", "Internal Server Error"));
      }
      if (!issued) return oauthError("Invalid refresh token", "invalid_grant");
      return json(200, {
        access_token: issued.accessToken,
        expires_in: issued.expiresIn,
        restricted_to: [],
        refresh_token: issued.refreshToken,
        token_type: "bearer",
      });
    }

    // ---- download URLs (like dl.boxcloud.com: signed, short-lived, no bearer token)
    const dl = /^\/dl\/d\/1\/([^/]+)\/download$/.exec(subpath);
    if (dl) {
      if (method !== "GET" && method !== "HEAD") return error(new BoxError(405, "method_not_allowed", "Method Not Allowed"));
      const ticket = readTicket(dl[1]!, secret());
      if (!ticket || ticket.x < now()) {
        return new Response("Not Found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", ...base } });
      }
      if (ticket.f === "hang") {
        return (await sleep(HANG_CAP_MS, req.signal)) ? error(new BoxError(504, "gateway_timeout", "Gateway Timeout")) : gone();
      }
      if (!(await sleep(latencyOf({ items: 0, latency_ms: ticket.l, fault: ticket.f }), req.signal))) return gone();
      const size = fileSize(ticket.i);
      const range = parseRange(req.headers.get("range"), size);
      const headers: Record<string, string> = {
        ...base,
        // Box documents the content as "binary format": octet-stream, whatever the file is.
        "content-type": "application/octet-stream",
        "accept-ranges": "bytes",
        "content-disposition": `attachment;filename="${fileName(ticket.i).replace(/[^\x20-\x7e]/g, "_").replace(/"/g, "'")}";filename*=UTF-8''${encodeURIComponent(fileName(ticket.i))}`,
      };
      if (range === "unsatisfiable") {
        return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
      }
      const { start, end } = range ?? { start: 0, end: size };
      headers["content-length"] = String(end - start);
      if (range) headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
      const body = method === "HEAD" ? null : streamBytes(ticket.i, start, end, req.signal);
      return new Response(body, { status: range ? 206 : 200, headers });
    }

    if (!subpath.startsWith("/2.0/")) return error(new BoxError(404, "not_found", "Not Found"));

    // ---- the API: Bearer auth first (Box answers 401 with an empty body and WWW-Authenticate)
    const token = bearerToken(req);
    if (!token) {
      const challenge =
        token === undefined
          ? `Bearer realm="Service", error="invalid_request", error_description="The access token was not found."`
          : `Bearer realm="Service", error="invalid_request", error_description="The Authorization header is malformed."`;
      return new Response(null, { status: 401, headers: { ...base, "www-authenticate": challenge } });
    }
    let account: SandboxAccount;
    try {
      const check = await opts.auth.checkAccessToken(token);
      if (check.status !== "ok") {
        return new Response(null, {
          status: 401,
          headers: {
            ...base,
            "www-authenticate": `Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."`,
          },
        });
      }
      account = check.account;
    } catch {
      return error(new BoxError(500, "internal_server_error", "Internal Server Error"));
    }
    const scenario = account.scenario;

    if (scenario.fault === "hang") {
      return (await sleep(HANG_CAP_MS, req.signal)) ? error(new BoxError(504, "gateway_timeout", "Gateway Timeout")) : gone();
    }
    if (!(await sleep(latencyOf(scenario), req.signal))) return gone();

    if (scenario.fault === "server_error") {
      return sharedState().requestSeq % 2 === 0
        ? error(new BoxError(500, "internal_server_error", "Internal Server Error"))
        : error(new BoxError(503, "unavailable", "Unavailable"));
    }

    const t = now();
    const quota = scenario.fault === "rate_limit" ? FAULT_QUOTA : BOX_USER_QUOTA;
    const admitted = admit(`${quota.name}:${account.key}`, quota, t);
    if (!admitted.ok) {
      const retryAfter = String(Math.max(1, Math.ceil(admitted.retryAfterMs / 1000)));
      return error(
        new BoxError(429, "rate_limit_exceeded", "Request rate limit exceeded, please try again later", undefined, { "retry-after": retryAfter }),
      );
    }

    const ctx: RouteCtx = { url, req, account, scenario, user: sandboxUser(account.login), root, now: t, secret: secret() };
    let result: RouteResult;
    try {
      result = route(method, subpath, ctx);
    } catch (err) {
      if (err instanceof BoxError) return error(err);
      throw err;
    }
    if (result.status === 302) return new Response(null, { status: 302, headers: { ...base, ...result.headers } });

    const full = JSON.stringify(result.body);
    const body = scenario.fault === "malformed" && result.list ? full.slice(0, Math.max(1, Math.floor(full.length / 2))) : full;
    return new Response(method === "HEAD" ? null : body, {
      status: result.status ?? 200,
      headers: { "content-type": "application/json", ...base, ...result.headers },
    });
  };
}
