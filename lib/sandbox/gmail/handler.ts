// A local stand-in for the Gmail API (the slice 2nd Brain uses), close enough that
// @googleapis/gmail pointed at it with `rootUrl` cannot tell the difference: same paths and
// query parameters, Google's JSON error bodies, 401 with WWW-Authenticate, per-user quota in
// units (15,000 per minute, refilled at 250 per second) answered with 429 + Retry-After, and an
// OAuth token endpoint for refresh. Web-standard Request/Response only, so it mounts both in a
// Next.js route handler and in the node:http adapter of ../http.ts.
//
// Mounted at /sandbox/gmail: the SDK's rootUrl is `<origin>/sandbox/gmail/` and the subpaths are
// the real ones (`/gmail/v1/users/me/messages`, …). The token endpoint is `POST /token`.
import type { SandboxAuth, SandboxAccount } from "@/lib/sandbox/accounts";
import type { SandboxScenario } from "@/lib/contract";
import {
  DEFAULT_LOGIN,
  HISTORY_DEFAULT_PAGE,
  HISTORY_MAX_PAGE,
  HISTORY_TOKEN_SALT,
  LIST_DEFAULT_PAGE,
  LIST_MAX_PAGE,
  LIST_TOKEN_SALT,
  brokenKindOf,
  decodePageToken,
  isBrokenMessage,
  isWellFormedId,
  listHistoryPage,
  listMessagesPage,
  mailboxAddress,
  mailboxHistoryId,
  makeMessage,
  makeProfile,
  messageIndexOf,
  type MessageFormat,
} from "./data";
import { sleep } from "@/lib/sandbox/sleep";

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

export interface GmailSandboxOptions {
  auth: SandboxAuth;
  /** Clock for the quota buckets (ms since epoch). */
  now?: () => number;
}

const HANG_CAP_MS = 10 * 60_000;
const SLOW_MIN_MS = 1_500;
const SCOPE = "https://www.googleapis.com/auth/gmail.readonly";

/** Gmail's published per-user quota: 15,000 units a minute, i.e. 250 units a second. */
export const GMAIL_USER_QUOTA = { capacity: 15_000, refillPerSecond: 250 } as const;
/** The `rate_limit` fault: a small fixed window so a sync runs into it within seconds. */
export const FAULT_QUOTA = { units: 250, windowMs: 2_000 } as const;

/** Quota units per method (developers.google.com/gmail/api/reference/quota). */
export const GMAIL_COSTS = { "messages.get": 5, "messages.list": 5, "history.list": 2, "getProfile": 1 } as const;
type Method = keyof typeof GMAIL_COSTS;

// ---------------------------------------------------------------- shared state (globalThis)

interface Bucket {
  /** Token bucket (normal quota): units left and when they were counted. */
  tokens: number;
  at: number;
  /** Fixed window (rate_limit fault). */
  windowStart: number;
  used: number;
  /** Refusals so far: they alternate between 429 and 403 under the rate_limit fault. */
  refusals: number;
}
interface SandboxState {
  buckets: Map<string, Bucket>;
}
const STATE_KEY = Symbol.for("2nd-brain.sandbox.gmail.state");
const MAX_BUCKETS = 10_000;

/** Next.js can load this module more than once; the quota state must still be one. */
function sharedState(): SandboxState {
  const g = globalThis as typeof globalThis & { [STATE_KEY]?: SandboxState };
  return (g[STATE_KEY] ??= { buckets: new Map() });
}

/** The bucket of a key (Map order = least recently used first; bounded). */
function bucketFor(key: string, now: number): Bucket {
  const { buckets } = sharedState();
  let bucket = buckets.get(key);
  if (bucket) buckets.delete(key);
  bucket ??= { tokens: GMAIL_USER_QUOTA.capacity, at: now, windowStart: now, used: 0, refusals: 0 };
  buckets.set(key, bucket);
  while (buckets.size > MAX_BUCKETS) {
    const oldest = buckets.keys().next();
    if (oldest.done) break;
    buckets.delete(oldest.value);
  }
  return bucket;
}

/** Takes `cost` units; returns 0 when granted, else the ms until they would be there. */
function takeUserQuota(bucket: Bucket, cost: number, now: number): number {
  const { capacity, refillPerSecond } = GMAIL_USER_QUOTA;
  bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * refillPerSecond);
  bucket.at = Math.max(bucket.at, now);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return 0;
  }
  return Math.ceil(((cost - bucket.tokens) / refillPerSecond) * 1000);
}

function takeFaultQuota(bucket: Bucket, cost: number, now: number): number {
  if (now >= bucket.windowStart + FAULT_QUOTA.windowMs) {
    bucket.windowStart = now;
    bucket.used = 0;
  }
  if (bucket.used + cost <= FAULT_QUOTA.units) {
    bucket.used += cost;
    return 0;
  }
  return bucket.windowStart + FAULT_QUOTA.windowMs - now;
}

// ---------------------------------------------------------------- Google's error bodies

interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export function googleError(code: number, status: string, message: string, item: Partial<GoogleErrorItem> = {}, details?: unknown[]) {
  const err: GoogleErrorItem = { message, domain: "global", reason: "backendError", ...item };
  return { error: { code, message, errors: [err], status, ...(details ? { details } : {}) } };
}

class HttpError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export const NOT_FOUND_BODY = googleError(404, "NOT_FOUND", "Requested entity was not found.", { reason: "notFound" });

function notFound(): HttpError {
  return new HttpError(404, NOT_FOUND_BODY);
}

function invalidArgument(message: string): HttpError {
  return new HttpError(400, googleError(400, "INVALID_ARGUMENT", message, { reason: "invalidArgument" }));
}

function unauthenticated(missing: boolean): Response {
  const body = missing
    ? googleError(
        401,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        { message: "Login Required.", reason: "required", location: "Authorization", locationType: "header" },
      )
    : googleError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        { message: "Invalid Credentials", reason: "authError", location: "Authorization", locationType: "header" },
      );
  return json(401, body, {
    "www-authenticate": missing ? 'Bearer realm="https://accounts.google.com/"' : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  });
}

function rateLimited(retryAfterMs: number, now: number, as403: boolean): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const headers = { "retry-after": String(seconds) };
  if (as403) {
    const message = `User-rate limit exceeded.  Retry after ${new Date(now + seconds * 1000).toISOString()}`;
    return json(403, googleError(403, "PERMISSION_DENIED", message, { domain: "usageLimits", reason: "userRateLimitExceeded" }), headers);
  }
  const message =
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:000000000000'.";
  return json(
    429,
    googleError(429, "RESOURCE_EXHAUSTED", message, { reason: "rateLimitExceeded" }, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "RATE_LIMIT_EXCEEDED",
        domain: "googleapis.com",
        metadata: {
          service: "gmail.googleapis.com",
          quota_metric: "gmail.googleapis.com/default",
          quota_limit: "QueriesPerMinutePerUser",
          quota_limit_value: String(GMAIL_USER_QUOTA.capacity),
          consumer: "projects/000000000000",
        },
      },
    ]),
    headers,
  );
}

const GOOGLE_HEADERS: Record<string, string> = {
  vary: "Origin, X-Origin, Referer",
  server: "ESF",
  "x-xss-protection": "0",
  "x-frame-options": "SAMEORIGIN",
  "x-content-type-options": "nosniff",
  "cache-control": "private",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}, raw?: string): Response {
  return new Response(raw ?? JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...GOOGLE_HEADERS, ...headers },
  });
}

/** Google's front end answers unknown paths with an HTML page, not JSON. */
function htmlNotFound(path: string): Response {
  const body =
    `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n` +
    `  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path.replace(/[<>&"]/g, "")}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
  return new Response(body, { status: 404, headers: { "content-type": "text/html; charset=UTF-8", ...GOOGLE_HEADERS } });
}

// ---------------------------------------------------------------- small helpers


function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw invalidArgument(`Invalid value '${raw}'. Values must match the following regular expression: '[0-9]+'`);
  const n = Number(raw);
  if (n < min) return fallback;
  return Math.min(n, max);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null) return false;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw invalidArgument(`Invalid value at '${name}' (TYPE_BOOL), "${raw}"`);
}

const FORMATS: readonly MessageFormat[] = ["full", "metadata", "minimal"];
const HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"];

// ---------------------------------------------------------------- routes

interface RouteCtx {
  url: URL;
  login: string;
  scenario: SandboxScenario;
}

interface RouteResult {
  body: unknown;
  /** messages.list / messages.get: the `malformed` fault truncates these. */
  malformable?: boolean;
}

interface Route {
  method: Method;
  handle(): RouteResult;
}

function matchRoute(httpMethod: string, subpath: string, ctx: RouteCtx): Route | null {
  const m = /^\/gmail\/v1\/users\/([^/]+)\/(profile|messages|history)(?:\/([^/]+))?$/.exec(subpath);
  if (!m || httpMethod !== "GET") return null;
  let userId: string;
  let id: string | undefined;
  try {
    userId = decodeURIComponent(m[1]!);
    id = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
  } catch {
    return null;
  }
  const resource = m[2]!;
  const checkUser = () => {
    if (userId !== "me" && userId.toLowerCase() !== mailboxAddress(ctx.login).toLowerCase()) {
      const message = `Delegation denied for ${mailboxAddress(ctx.login)}`;
      throw new HttpError(403, googleError(403, "PERMISSION_DENIED", message, { reason: "forbidden" }));
    }
  };
  const q = ctx.url.searchParams;
  const items = ctx.scenario.items;

  if (resource === "profile" && id === undefined) {
    return { method: "getProfile", handle: () => (checkUser(), { body: makeProfile(items, ctx.login) }) };
  }
  if (resource === "messages" && id === undefined) {
    return {
      method: "messages.list",
      handle: () => {
        checkUser();
        const maxResults = intParam(q, "maxResults", LIST_DEFAULT_PAGE, 1, LIST_MAX_PAGE);
        boolParam(q, "includeSpamTrash"); // validated; the sandbox has no spam or trash
        // `q` and `labelIds` filters are accepted and ignored.
        const token = q.get("pageToken");
        let startIndex: number | undefined;
        if (token) {
          const decoded = decodePageToken(token, LIST_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          startIndex = decoded;
        }
        return { body: listMessagesPage(items, { startIndex, maxResults }), malformable: true };
      },
    };
  }
  if (resource === "messages" && id !== undefined) {
    return {
      method: "messages.get",
      handle: () => {
        checkUser();
        const rawFormat = q.get("format") ?? "full";
        const format = rawFormat.toLowerCase() as MessageFormat;
        if (!FORMATS.includes(format)) {
          throw invalidArgument(
            rawFormat.toLowerCase() === "raw" ? "format=raw is not supported by the 2nd Brain sandbox" : `Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), "${rawFormat}"`,
          );
        }
        if (!isWellFormedId(id)) throw invalidArgument("Invalid id value");
        const i = messageIndexOf(id);
        if (i < 0 || i >= items) throw notFound();
        const broken = ctx.scenario.fault === "item_errors" && isBrokenMessage(i);
        if (broken && brokenKindOf(i) === "deleted") throw notFound();
        const message = makeMessage(i, { format, login: ctx.login, metadataHeaders: q.getAll("metadataHeaders"), broken });
        return { body: message, malformable: true };
      },
    };
  }
  if (resource === "history" && id === undefined) {
    return {
      method: "history.list",
      handle: () => {
        checkUser();
        const rawStart = q.get("startHistoryId");
        if (rawStart === null || rawStart === "") throw invalidArgument("Missing required parameter: startHistoryId");
        if (!/^\d{1,19}$/.test(rawStart)) throw invalidArgument("Invalid startHistoryId");
        const start = Number(rawStart);
        // Too old (or, under the expired_cursor fault, any): Gmail answers 404 and the client
        // must do a full sync. History ids below the empty mailbox's (999) never existed.
        if (ctx.scenario.fault === "expired_cursor" || start < mailboxHistoryId(0)) throw notFound();
        const types = q.getAll("historyTypes");
        for (const t of types) if (!HISTORY_TYPES.includes(t)) throw invalidArgument(`Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType), "${t}"`);
        const maxResults = intParam(q, "maxResults", HISTORY_DEFAULT_PAGE, 1, HISTORY_MAX_PAGE);
        const token = q.get("pageToken");
        let startIndex: number | undefined;
        if (token) {
          const decoded = decodePageToken(token, HISTORY_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          startIndex = decoded;
        }
        // `labelId` is accepted and ignored. Only messageAdded records exist in the sandbox.
        const includeAdded = types.length === 0 || types.includes("messageAdded");
        return { body: listHistoryPage(items, { startHistoryId: start, startIndex, maxResults, includeAdded, login: ctx.login }) };
      },
    };
  }
  return null;
}

// ---------------------------------------------------------------- OAuth token endpoint

async function tokenEndpoint(req: Request, auth: SandboxAuth): Promise<Response> {
  const oauthError = (status: number, error: string, description: string) =>
    new Response(JSON.stringify({ error, error_description: description }), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" },
    });
  if (req.method !== "POST") return oauthError(405, "invalid_request", "Only POST is supported.");
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    return oauthError(400, "invalid_request", "Request must be application/x-www-form-urlencoded.");
  }
  const form = new URLSearchParams(await req.text());
  const grant = form.get("grant_type");
  if (!grant) return oauthError(400, "unsupported_grant_type", "Invalid grant_type: ");
  if (grant !== "refresh_token") return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${grant}`);
  const refreshToken = form.get("refresh_token");
  if (!refreshToken) return oauthError(400, "invalid_request", "Missing required parameter: refresh_token");
  let issued;
  try {
    issued = await auth.refresh(refreshToken, { rotate: false });
  } catch {
    return oauthError(500, "internal_failure", "Internal failure.");
  }
  if (!issued) return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
  return new Response(
    JSON.stringify({ access_token: issued.accessToken, expires_in: issued.expiresIn, scope: SCOPE, token_type: "Bearer" }),
    { status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" } },
  );
}

// ---------------------------------------------------------------- the handler

export function createGmailSandbox(opts: GmailSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;
  let serverErrors = 0;

  return async function gmailSandbox(req: Request, subpath: string): Promise<Response> {
    const path = subpath.replace(/\/+$/, "") || "/";
    if (path === "/token") return tokenEndpoint(req, opts.auth);
    if (!path.startsWith("/gmail/v1/")) return htmlNotFound(new URL(req.url).pathname);

    const token = bearerToken(req);
    let account: SandboxAccount | null = null;
    if (token) {
      try {
        const check = await opts.auth.checkAccessToken(token);
        account = check.status === "ok" ? check.account : null;
      } catch {
        return json(500, googleError(500, "INTERNAL", "Internal error encountered."));
      }
    }
    const scenario = account?.scenario;
    const gone = () => new Response(null, { status: 499 });

    if (scenario?.fault === "hang") {
      const finished = await sleep(HANG_CAP_MS, req.signal);
      return finished ? json(504, googleError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")) : gone();
    }
    const latency = scenario ? (scenario.fault === "slow" ? Math.max(scenario.latency_ms * 10, SLOW_MIN_MS) : scenario.latency_ms) : 0;
    if (!(await sleep(latency, req.signal))) return gone();

    // expired_token needs nothing here: the auth expires the tokens, and refresh works.
    if (!account || !scenario) return unauthenticated(token === null);

    if (scenario.fault === "server_error") {
      serverErrors++;
      return serverErrors % 2 === 1
        ? json(500, googleError(500, "INTERNAL", "Internal error encountered."))
        : json(503, googleError(503, "UNAVAILABLE", "The service is currently unavailable."));
    }

    const login = account.login ?? DEFAULT_LOGIN;
    const ctx: RouteCtx = { url: new URL(req.url), login, scenario };
    const route = matchRoute(req.method.toUpperCase(), path, ctx);
    if (!route) return htmlNotFound(ctx.url.pathname);

    // Quota: every request of a known method costs its units, errors included.
    const t = now();
    const cost = GMAIL_COSTS[route.method];
    if (scenario.fault === "rate_limit") {
      const bucket = bucketFor(`fault:${account.key}`, t);
      const wait = takeFaultQuota(bucket, cost, t);
      // Gmail says "slow down" both ways: 429 rateLimitExceeded and 403 userRateLimitExceeded.
      if (wait > 0) return rateLimited(wait, t, bucket.refusals++ % 2 === 1);
    } else {
      const bucket = bucketFor(`user:${account.key}`, t);
      const wait = takeUserQuota(bucket, cost, t);
      if (wait > 0) return rateLimited(wait, t, false);
    }

    let result: RouteResult;
    try {
      result = route.handle();
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return json(err.status, err.body, err.headers);
    }
    const full = JSON.stringify(result.body);
    if (scenario.fault === "malformed" && result.malformable) {
      return json(200, null, {}, full.slice(0, Math.max(1, Math.floor(full.length / 2))));
    }
    return json(200, null, {}, full);
  };
}
