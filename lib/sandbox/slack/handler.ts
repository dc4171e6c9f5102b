// A local stand-in for the slice of Slack's Web API that 2nd Brain uses, close enough that
// @slack/web-api's WebClient pointed at it with `slackApiUrl: <origin>/sandbox/slack/api/`
// cannot tell the difference: the same methods under /api/<method>, arguments as
// application/x-www-form-urlencoded POST bodies (what WebClient sends), JSON bodies or GET query
// strings, the token in `Authorization: Bearer` (or a `token` argument), cursor pagination with
// response_metadata.next_cursor, HTTP 200 + {ok:false,error} for every API error and HTTP 429 +
// Retry-After for rate limits. Web-standard Request/Response only, so it mounts both in a
// Next.js route handler and in the node:http adapter of ../http.ts.
//
// Rate limits: Slack publishes per-method tiers, counted per app per workspace; here per
// account key (one connection) and method, as a sliding 60-second window:
//   Tier 2 (20/min): conversations.list, users.list
//   Tier 3 (50/min): conversations.history, conversations.replies
//   Tier 4 (100/min): auth.test
// A small sync fits well inside them; a big one is paced by them (state on globalThis, bounded).
import type {
  ConversationsHistoryResponse,
  ConversationsListResponse,
  ConversationsRepliesResponse,
  UsersListResponse,
  WebAPICallResult,
} from "@slack/web-api";
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import type { SandboxScenario } from "@/lib/contract";
import {
  GHOST_CHANNEL,
  authTest,
  channelCount,
  channelIndexById,
  historyPage,
  isNonMemberChannel,
  listMembers,
  makeChannel,
  parseTs,
  rankOfTs,
  repliesPage,
} from "./data";
import { sleep } from "@/lib/sandbox/sleep";

export interface SlackSandboxOptions {
  auth: SandboxAuth;
  /** Clock for rate-limit windows and cursor ages (ms since epoch). */
  now?: () => number;
}

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

const HANG_CAP_MS = 10 * 60_000;
const SLOW_MIN_MS = 1_500;
/** The `expired_cursor` fault: cursors stop working this long after they were handed out. */
export const FAULT_CURSOR_TTL_MS = 1_000;
const MAX_RATE_KEYS = 10_000;

interface Tier {
  limit: number;
  windowMs: number;
}
export const TIERS = {
  tier2: { limit: 20, windowMs: 60_000 },
  tier3: { limit: 50, windowMs: 60_000 },
  tier4: { limit: 100, windowMs: 60_000 },
} as const satisfies Record<string, Tier>;
/** The `rate_limit` fault: a tiny window over all methods, so a sync hits it within seconds. */
export const FAULT_TIER: Tier = { limit: 5, windowMs: 2_000 };

const METHOD_TIERS: Record<string, Tier> = {
  "auth.test": TIERS.tier4,
  "conversations.list": TIERS.tier2,
  "users.list": TIERS.tier2,
  "conversations.history": TIERS.tier3,
  "conversations.replies": TIERS.tier3,
};

const SCOPES = "channels:history,channels:read,groups:history,groups:read,users:read";
const ACCEPTED_SCOPES: Record<string, string> = {
  "auth.test": "",
  "conversations.list": "channels:read,groups:read,im:read,mpim:read",
  "users.list": "users:read",
  "conversations.history": "channels:history,groups:history,im:history,mpim:history",
  "conversations.replies": "channels:history,groups:history,im:history,mpim:history",
};

// ---------------------------------------------------------------- shared state (globalThis)

interface SandboxState {
  /** "<account>:<method>" -> call times in the current window (oldest first). Map order = least recently used first. */
  calls: Map<string, number[]>;
  requestSeq: number;
}
const STATE_KEY = Symbol.for("2nd-brain.sandbox.slack.state");

/** Next.js can load this module more than once; the quota state must still be one. */
function sharedState(): SandboxState {
  const g = globalThis as typeof globalThis & { [STATE_KEY]?: SandboxState };
  return (g[STATE_KEY] ??= { calls: new Map(), requestSeq: 0 });
}

/** Records a call in a sliding window; returns the seconds to wait when the window is full. */
function takeCall(key: string, tier: Tier, now: number): { ok: true } | { ok: false; retryAfterS: number } {
  const { calls } = sharedState();
  let log = calls.get(key);
  if (log) calls.delete(key);
  else log = [];
  while (log.length > 0 && log[0]! <= now - tier.windowMs) log.shift();
  calls.set(key, log);
  while (calls.size > MAX_RATE_KEYS) {
    const oldest = calls.keys().next();
    if (oldest.done) break;
    calls.delete(oldest.value);
  }
  if (log.length >= tier.limit) {
    const freeAt = log[0]! + tier.windowMs;
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }
  log.push(now);
  return { ok: true };
}

function requestId(): string {
  const seq = ++sharedState().requestSeq;
  return `${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0")}${seq.toString(16).padStart(8, "0")}`;
}

// ---------------------------------------------------------------- small helpers


/** Arguments from the query string and a form-encoded or JSON body (the body wins), like Slack. */
async function readArgs(req: Request, url: URL): Promise<URLSearchParams> {
  const args = new URLSearchParams(url.search);
  if (req.method === "GET" || req.method === "HEAD") return args;
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const text = await req.text();
  if (!text) return args;
  if (type.includes("application/json")) {
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === "object" && !Array.isArray(body)) {
        for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
          if (v === undefined || v === null) continue;
          args.set(k, typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v));
        }
      }
    } catch {
      // Slack ignores a body it cannot read; the method then misses its arguments.
    }
    return args;
  }
  for (const [k, v] of new URLSearchParams(text)) args.set(k, v);
  return args;
}

function bearerToken(req: Request, args: URLSearchParams): string | null {
  const header = req.headers.get("authorization");
  const m = header ? /^\s*bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1]!;
  const t = args.get("token");
  return t && t.trim() ? t.trim() : null;
}

function intArg(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw.trim() === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  if (n < min) return fallback;
  return Math.min(n, max);
}

function boolArg(raw: string | null): boolean {
  return raw === "true" || raw === "1";
}

// Cursors are opaque to clients. Ours: base64("<kind>:<position>:<issued at ms>"), e.g.
// "next_ts:1767225660000123:1767225700000" (Slack's own decode to "next_ts:<ts micros>" or "team:C0…").
type CursorKind = "team" | "next_ts" | "user" | "reply_ts";

function encodeCursor(kind: CursorKind, position: string, issuedAt: number): string {
  return btoa(`${kind}:${position}:${issuedAt}`);
}

class ApiError {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

function decodeCursor(raw: string, kind: CursorKind, ctx: RouteCtx): string {
  let decoded: string;
  try {
    decoded = atob(raw);
  } catch {
    throw new ApiError("invalid_cursor");
  }
  const m = /^([a-z_]+):([^:]+):(\d+)$/.exec(decoded);
  if (!m || m[1] !== kind) throw new ApiError("invalid_cursor");
  const issuedAt = Number(m[3]);
  if (ctx.scenario.fault === "expired_cursor" && ctx.now - issuedAt > FAULT_CURSOR_TTL_MS) throw new ApiError("invalid_cursor");
  return m[2]!;
}

function tsArg(args: URLSearchParams, name: "oldest" | "latest"): number | undefined {
  const raw = args.get(name);
  if (raw === null || raw.trim() === "" || raw === "0") return undefined;
  const micros = parseTs(raw);
  if (micros === null) throw new ApiError(`invalid_ts_${name}`);
  return micros;
}

// ---------------------------------------------------------------- methods

interface RouteCtx {
  args: URLSearchParams;
  scenario: SandboxScenario;
  now: number;
}

interface MethodResult {
  body: WebAPICallResult;
  /** A list method: the `malformed` fault truncates it. */
  list?: boolean;
}

function channelArg(ctx: RouteCtx, withGhost: boolean): number {
  const id = ctx.args.get("channel");
  if (!id) throw new ApiError("channel_not_found");
  const j = channelIndexById(id, ctx.scenario.items, withGhost);
  if (j < 0) throw new ApiError("channel_not_found");
  return j;
}

function conversationsList(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const allowed = new Set(["public_channel", "private_channel", "mpim", "im"]);
  const types = (args.get("types") ?? "public_channel")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length === 0 || types.some((t) => !allowed.has(t))) throw new ApiError("invalid_types");
  const excludeArchived = boolArg(args.get("exclude_archived"));
  const limit = intArg(args.get("limit"), 100, 1, 1000);
  const cursor = args.get("cursor");
  const after = cursor ? decodeCursor(cursor, "team", ctx) : undefined;

  const indices = Array.from({ length: channelCount(scenario.items) }, (_, j) => j);
  if (scenario.fault === "item_errors") indices.push(GHOST_CHANNEL);
  const all = indices
    .map((j) => makeChannel(j, scenario.items))
    .filter((c) => (c.is_private ? types.includes("private_channel") : types.includes("public_channel")))
    .filter((c) => !(excludeArchived && c.is_archived));
  let start = 0;
  if (after !== undefined) {
    const k = all.findIndex((c) => c.id! > after);
    start = k < 0 ? all.length : k;
  }
  const channels = all.slice(start, start + limit);
  const more = start + limit < all.length;
  const body: ConversationsListResponse = {
    ok: true,
    channels,
    response_metadata: { next_cursor: more ? encodeCursor("team", channels.at(-1)!.id!, ctx.now) : "" },
  };
  return { body, list: true };
}

function usersList(ctx: RouteCtx): MethodResult {
  const { args } = ctx;
  const limit = intArg(args.get("limit"), 1000, 1, 1000) || 1000;
  const cursor = args.get("cursor");
  const all = listMembers();
  let start = 0;
  if (cursor) {
    const after = decodeCursor(cursor, "user", ctx);
    const k = all.findIndex((m) => m.id === after);
    if (k < 0) throw new ApiError("invalid_cursor");
    start = k + 1;
  }
  const members = all.slice(start, start + limit);
  const more = start + limit < all.length;
  const body: UsersListResponse = {
    ok: true,
    members,
    cache_ts: Math.floor(ctx.now / 1000),
    response_metadata: { next_cursor: more ? encodeCursor("user", members.at(-1)!.id!, ctx.now) : "" },
  };
  return { body, list: true };
}

function conversationsHistory(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const j = channelArg(ctx, scenario.fault === "item_errors");
  if (j === GHOST_CHANNEL) throw new ApiError("channel_not_found"); // deleted after it was listed
  if (isNonMemberChannel(j)) throw new ApiError("not_in_channel");
  const oldest = tsArg(args, "oldest");
  let latest = tsArg(args, "latest");
  const inclusive = boolArg(args.get("inclusive"));
  let latestInclusive = inclusive;
  const limit = intArg(args.get("limit"), 100, 1, 999);
  const cursor = args.get("cursor");
  if (cursor) {
    const pos = Number(decodeCursor(cursor, "next_ts", ctx));
    if (!Number.isSafeInteger(pos)) throw new ApiError("invalid_cursor");
    // The cursor continues below the last message handed out (exclusive), within the original range.
    if (latest === undefined || pos <= latest) {
      latest = pos;
      latestInclusive = false;
    }
  }
  const page = historyPage(scenario.items, j, {
    oldest,
    oldestInclusive: inclusive,
    latest,
    latestInclusive,
    limit,
    breakItems: scenario.fault === "item_errors",
  });
  const last = page.messages.at(-1);
  const lastMicros = last ? parseTs(String(last.ts)) : null;
  const more = page.hasMore && lastMicros !== null;
  const body: ConversationsHistoryResponse = {
    ok: true,
    messages: page.messages as ConversationsHistoryResponse["messages"],
    has_more: more,
    pin_count: j === 0 ? 2 : 0,
    channel_actions_count: 0,
    ...(more ? { response_metadata: { next_cursor: encodeCursor("next_ts", String(lastMicros), ctx.now) } } : {}),
  };
  return { body, list: true };
}

function conversationsReplies(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const j = channelArg(ctx, scenario.fault === "item_errors");
  if (j === GHOST_CHANNEL) throw new ApiError("channel_not_found");
  if (isNonMemberChannel(j)) throw new ApiError("not_in_channel");
  const tsRaw = args.get("ts");
  if (!tsRaw) throw new ApiError("thread_not_found");
  const micros = parseTs(tsRaw);
  if (micros === null) throw new ApiError("invalid_ts");
  const r = rankOfTs(scenario.items, j, micros);
  if (r < 0) throw new ApiError("thread_not_found");
  const oldest = tsArg(args, "oldest");
  const latest = tsArg(args, "latest");
  const inclusive = boolArg(args.get("inclusive"));
  const limit = intArg(args.get("limit"), 1000, 1, 1000);
  const cursor = args.get("cursor");
  let after: number | undefined;
  if (cursor) {
    after = Number(decodeCursor(cursor, "reply_ts", ctx));
    if (!Number.isSafeInteger(after)) throw new ApiError("invalid_cursor");
  }
  const page = repliesPage(scenario.items, j, r, {
    oldest,
    oldestInclusive: inclusive,
    latest,
    latestInclusive: inclusive,
    after,
    limit,
    breakItems: scenario.fault === "item_errors",
  });
  const last = page.messages.at(-1);
  const lastMicros = last ? parseTs(String(last.ts)) : null;
  const body: ConversationsRepliesResponse = {
    ok: true,
    messages: page.messages as ConversationsRepliesResponse["messages"],
    has_more: page.hasMore,
    ...(page.hasMore && lastMicros !== null ? { response_metadata: { next_cursor: encodeCursor("reply_ts", String(lastMicros), ctx.now) } } : {}),
  };
  return { body, list: true };
}

const METHODS: Record<string, (ctx: RouteCtx) => MethodResult> = {
  "auth.test": () => ({ body: authTest() }),
  "conversations.list": conversationsList,
  "users.list": usersList,
  "conversations.history": conversationsHistory,
  "conversations.replies": conversationsReplies,
};

// ---------------------------------------------------------------- the handler

export function createSlackSandbox(opts: SlackSandboxOptions): SandboxHandler {
  const clock = opts.now ?? Date.now;

  return async function slackSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId();
    const base: Record<string, string> = {
      "x-slack-req-id": id,
      "x-slack-backend": "r",
      "x-oauth-scopes": SCOPES,
      "access-control-allow-origin": "*",
    };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json; charset=utf-8", ...base, ...headers },
      });
    const gone = () => json(499, { ok: false, error: "request_cancelled" });

    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(subpath);
    const method = m?.[1];
    const handler = method !== undefined && Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!method || !handler) {
      return json(404, { ok: false, error: "unknown_method", req_method: method ?? subpath.replace(/^\/+/, "") });
    }
    if (req.method !== "GET" && req.method !== "POST") return json(405, { ok: false, error: "method_not_allowed" });

    const url = new URL(req.url);
    const args = await readArgs(req, url);
    const token = bearerToken(req, args);
    let check: Awaited<ReturnType<SandboxAuth["checkAccessToken"]>> | null = null;
    try {
      check = token ? await opts.auth.checkAccessToken(token) : null;
    } catch {
      return json(500, { ok: false, error: "internal_error" });
    }
    const account = check?.status === "ok" ? check.account : undefined;
    const scenario = account?.scenario;

    if (scenario?.fault === "hang") {
      const finished = await sleep(HANG_CAP_MS, req.signal);
      return finished
        ? new Response("<html><body><h1>504 Gateway Time-out</h1></body></html>", { status: 504, headers: { "content-type": "text/html", ...base } })
        : gone();
    }
    const latency = scenario ? (scenario.fault === "slow" ? Math.max(scenario.latency_ms * 10, SLOW_MIN_MS) : scenario.latency_ms) : 0;
    if (!(await sleep(latency, req.signal))) return gone();

    const accepted = { "x-accepted-oauth-scopes": ACCEPTED_SCOPES[method] ?? "" };
    if (!token) return json(200, { ok: false, error: "not_authed" }, accepted);
    if (check?.status === "expired") return json(200, { ok: false, error: "token_expired" }, accepted);
    if (!account || !scenario) return json(200, { ok: false, error: "invalid_auth" }, accepted);
    if (scenario.fault === "expired_token") return json(200, { ok: false, error: "token_expired" }, accepted);

    if (scenario.fault === "server_error") {
      // Slack's edge answers an HTML page for some outages and JSON for others.
      return sharedState().requestSeq % 2 === 0
        ? new Response("<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>Slack is having trouble</h1></body></html>", {
            status: 503,
            headers: { "content-type": "text/html; charset=utf-8", ...base },
          })
        : json(500, { ok: false, error: "internal_error" }, accepted);
    }

    const now = clock();
    const tier = scenario.fault === "rate_limit" ? FAULT_TIER : (METHOD_TIERS[method] ?? TIERS.tier2);
    const rateKey = scenario.fault === "rate_limit" ? `${account.key}:fault` : `${account.key}:${method}`;
    const taken = takeCall(rateKey, tier, now);
    if (!taken.ok) {
      return json(429, { ok: false, error: "ratelimited" }, { ...accepted, "retry-after": String(taken.retryAfterS) });
    }

    let result: MethodResult;
    try {
      result = handler({ args, scenario, now });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return json(200, { ok: false, error: err.error, ...err.extra }, accepted);
    }

    const full = JSON.stringify(result.body);
    const body = scenario.fault === "malformed" && result.list ? full.slice(0, Math.max(1, Math.floor(full.length / 2))) : full;
    return new Response(body, {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", ...base, ...accepted },
    });
  };
}

