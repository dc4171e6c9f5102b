// A local stand-in for the GitHub REST API (the slice 2nd Brain uses), close enough that
// @octokit/rest pointed at it with `baseUrl` cannot tell the difference: same paths, query
// parameters, Link pagination, rate-limit headers, ETag / If-None-Match, and error bodies.
// Web-standard Request/Response only, so it mounts both in a Next.js route handler and in the
// node:http adapter of ../http.ts.
import { createHash } from "node:crypto";
import type { SandboxChange, SandboxScenario } from "@/lib/contract";
import { bearerToken, malformedBody, passFaults, providerState, retryAfterSeconds, type SandboxHandler } from "@/lib/sandbox/fault-layer";
import { fixedWindowFor, takeFixedWindow, type FixedWindow } from "@/lib/sandbox/quota";
import { DEFAULT_LOGIN, userIdFor } from "./data";
import { liveData } from "./live";
import { DOCS, HttpError, route, type RouteCtx, type RouteResult } from "./routes";

export type { SandboxHandler } from "@/lib/sandbox/fault-layer";
export { githubLinkHeader } from "./routes";

export interface SandboxAccount {
  /** Rate-limit bucket, e.g. the connection id. */
  key: string;
  scenario: SandboxScenario;
  /** Defaults to "sandbox-user". */
  login?: string;
  /** The dataset's changes (POST .../sandbox/changes), oldest first: applied to every answer. */
  changes?: readonly SandboxChange[];
}

export interface GithubSandboxOptions {
  resolveToken(token: string): Promise<SandboxAccount | null>;
  /** Clock for rate-limit windows (ms since epoch). */
  now?: () => number;
}

const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

interface Quota {
  name: string;
  limit: number;
  windowMs: number;
}
/** GitHub's primary rate limit for a user token. */
const CORE_QUOTA: Quota = { name: "core", limit: 5_000, windowMs: 3_600_000 };
/** The `rate_limit` fault: a tiny window so a sync hits it within seconds. */
const FAULT_QUOTA: Quota = { name: "fault", limit: 10, windowMs: 3_000 };
/**
 * Unauthenticated requests (no token, or one GitHub does not accept): 60 an hour per originating
 * address ("Primary rate limit for unauthenticated users"); 401 answers carry these headers too.
 */
const UNAUTHENTICATED_QUOTA: Quota = { name: "unauthenticated", limit: 60, windowMs: 3_600_000 };
/**
 * Secondary rate limit: "No more than 900 points per minute are allowed for REST API endpoints"
 * (a GET is 1 point). Refused with 403, `retry-after` and the documented message.
 */
const SECONDARY_QUOTA = { limit: 900, windowMs: 60_000 };
const SECONDARY_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits";

function rateHeaders(bucket: FixedWindow, quota: Quota): Record<string, string> {
  return {
    "x-ratelimit-limit": String(quota.limit),
    "x-ratelimit-remaining": String(Math.max(0, quota.limit - bucket.used)),
    "x-ratelimit-used": String(Math.min(bucket.used, quota.limit)),
    "x-ratelimit-reset": String(Math.ceil((bucket.start + quota.windowMs) / 1000)),
    "x-ratelimit-resource": "core",
  };
}

/** Where an unauthenticated request comes from (GitHub keys its 60/h limit by address). */
function originOf(req: Request): string {
  return req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || "127.0.0.1";
}

function requestId(seq: number): string {
  const hex = (n: number, width: number) => (n >>> 0).toString(16).toUpperCase().padStart(width, "0").slice(-width);
  const rnd = () => Math.floor(Math.random() * 0x1_0000_0000);
  return `${hex(rnd(), 4)}:${hex(rnd(), 4)}:${hex(seq, 6)}:${hex(rnd(), 6)}:${hex(Math.floor(Date.now() / 1000), 8)}`;
}

function weakEtag(body: string): string {
  return `W/"${createHash("sha256").update(body).digest("hex")}"`;
}

function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//i, "");
  const want = opaque(etag);
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || opaque(t) === want);
}

export function createGithubSandbox(opts: GithubSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;
  const state = providerState("github");

  return async function githubSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId(++state.requestSeq);
    const base: Record<string, string> = {
      "x-github-request-id": id,
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
    };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json; charset=utf-8", ...base, ...headers },
      });
    const gone = () => json(499, { message: "Client Closed Request" });

    const token = bearerToken(req, "token|bearer");
    let account: SandboxAccount | null;
    try {
      account = token ? await opts.resolveToken(token) : null;
    } catch {
      return json(500, { message: "Server Error" });
    }
    const scenario = account?.scenario;

    // expired_cursor: GitHub has no expiring cursor (pagination is by page number and
    // incremental sync by `since`), so that fault behaves exactly like `none` here.
    // 401s count against the address's unauthenticated limit and carry its x-ratelimit-* headers;
    // past 60 an hour GitHub answers 403 "API rate limit exceeded for <address>".
    const unauthenticated = (status: 401, body: Record<string, unknown>) => {
      const address = originOf(req);
      const bucket = fixedWindowFor(state, `${UNAUTHENTICATED_QUOTA.name}:${address}`, UNAUTHENTICATED_QUOTA, now());
      const taken = takeFixedWindow(bucket, UNAUTHENTICATED_QUOTA, 1, now());
      const headers = { ...rateHeaders(bucket, UNAUTHENTICATED_QUOTA), "x-ratelimit-resource": "core" };
      if (!taken.ok) {
        return json(
          403,
          {
            message: `API rate limit exceeded for ${address}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)`,
            documentation_url: RATE_LIMIT_DOCS,
          },
          headers,
        );
      }
      return json(status, body, headers);
    };
    const badCredentials = () => unauthenticated(401, { message: "Bad credentials", documentation_url: DOCS });
    const stopped = await passFaults(scenario, req.signal, {
      timeout: () => json(504, { message: "We couldn't respond to your request in time. Sorry about that." }),
      gone,
      expiredToken: badCredentials,
      serverError: () => json(502, { message: "Server Error" }),
    });
    if (stopped) return stopped;
    if (!account || !scenario) {
      // No token at all, to an endpoint that needs one (every endpoint the sandbox serves does).
      return token ? badCredentials() : unauthenticated(401, { message: "Requires authentication", documentation_url: "https://docs.github.com/rest" });
    }

    const login = account.login ?? DEFAULT_LOGIN;
    const quota = scenario.fault === "rate_limit" ? FAULT_QUOTA : CORE_QUOTA;
    const bucketKey = `${quota.name}:${account.key}`;
    const t = now();
    const bucketFor = () => fixedWindowFor(state, bucketKey, quota, t);
    const url = new URL(req.url);
    const ctx: RouteCtx = {
      url,
      login,
      scenario,
      live: liveData(login, scenario, account.changes),
      basePath: url.pathname.endsWith(subpath) ? url.pathname.slice(0, url.pathname.length - subpath.length) : "",
      rate: () => {
        const b = bucketFor();
        const core = {
          limit: quota.limit,
          remaining: Math.max(0, quota.limit - b.used),
          reset: Math.ceil((b.start + quota.windowMs) / 1000),
          used: Math.min(b.used, quota.limit),
        };
        const fresh = (limit: number, windowS: number) => ({ limit, remaining: limit, reset: Math.ceil(t / 1000) + windowS, used: 0 });
        return {
          resources: {
            core,
            search: fresh(30, 60),
            graphql: fresh(5_000, 3_600),
            integration_manifest: fresh(5_000, 3_600),
            code_search: fresh(10, 60),
          },
          rate: core,
        };
      },
    };

    let result: RouteResult;
    try {
      result = route(req.method.toUpperCase(), subpath, ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const bucket = bucketFor();
      takeFixedWindow(bucket, quota, 1, t);
      return json(err.status, err.body, { ...rateHeaders(bucket, quota), ...err.headers });
    }

    const body = malformedBody(JSON.stringify(result.body), scenario, result.list);
    // Over the body and the Link header: a listing whose first page stays the same while more
    // pages appear behind it is a different answer too.
    const etag = weakEtag(result.link ? `${body}\n${result.link}` : body);
    const common: Record<string, string> = {
      "cache-control": "private, max-age=60, s-maxage=60",
      vary: "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
      "x-oauth-scopes": "repo, read:user",
      "x-accepted-oauth-scopes": result.list ? "repo" : "",
      ...(result.link ? { link: result.link } : {}),
    };

    // A conditional request answered with 304 does not count against the rate limit.
    if (etagMatches(req.headers.get("if-none-match"), etag)) {
      const bucket = bucketFor();
      return new Response(null, { status: 304, headers: { ...base, ...common, etag, ...rateHeaders(bucket, quota) } });
    }

    const bucket = bucketFor();
    if (!result.free) {
      const secondary = takeFixedWindow(fixedWindowFor(state, `secondary:${account.key}`, SECONDARY_QUOTA, t), SECONDARY_QUOTA, 1, t);
      if (!secondary.ok) {
        return json(
          403,
          {
            message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
            documentation_url: SECONDARY_DOCS,
          },
          { ...rateHeaders(bucket, quota), "retry-after": String(retryAfterSeconds(secondary.retryAfterMs)) },
        );
      }
      const taken = takeFixedWindow(bucket, quota, 1, t);
      if (!taken.ok) {
        const retry: Record<string, string> = scenario.fault === "rate_limit" ? { "retry-after": String(retryAfterSeconds(taken.retryAfterMs)) } : {};
        return json(
          403,
          { message: `API rate limit exceeded for user ID ${userIdFor(login)}.`, documentation_url: RATE_LIMIT_DOCS },
          { ...rateHeaders(bucket, quota), ...retry },
        );
      }
    }

    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "application/json; charset=utf-8",
        ...base,
        ...common,
        etag,
        ...rateHeaders(bucket, quota),
      },
    });
  };
}
