// A local stand-in for the GitHub REST API (the slice 2nd Brain uses), close enough that
// @octokit/rest pointed at it with `baseUrl` cannot tell the difference: same paths, query
// parameters, Link pagination, rate-limit headers, ETag / If-None-Match, and error bodies.
// Web-standard Request/Response only, so it mounts both in a Next.js route handler and in the
// node:http adapter of ../http.ts.
import { createHash } from "node:crypto";
import type { SandboxScenario } from "@/lib/contract";
import {
  DEFAULT_LOGIN,
  issuesPage,
  listRepos,
  repoIndexByName,
  sandboxUser,
  userIdFor,
  type GithubRateLimitOverview,
  type GithubRepo,
  type IssueState,
} from "./data";
import { sleep } from "@/lib/sandbox/sleep";

export interface SandboxAccount {
  /** Rate-limit bucket, e.g. the connection id. */
  key: string;
  scenario: SandboxScenario;
  /** Defaults to "sandbox-user". */
  login?: string;
}

export interface GithubSandboxOptions {
  resolveToken(token: string): Promise<SandboxAccount | null>;
  /** Clock for rate-limit windows (ms since epoch). */
  now?: () => number;
}

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

const DOCS = "https://docs.github.com/rest";
const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const HANG_CAP_MS = 10 * 60_000;
const SLOW_MIN_MS = 1_500;

interface Quota {
  name: string;
  limit: number;
  windowMs: number;
}
/** GitHub's primary rate limit for a user token. */
const CORE_QUOTA: Quota = { name: "core", limit: 5_000, windowMs: 3_600_000 };
/** The `rate_limit` fault: a tiny window so a sync hits it within seconds. */
const FAULT_QUOTA: Quota = { name: "fault", limit: 10, windowMs: 3_000 };

// ---------------------------------------------------------------- shared state (globalThis)

interface Bucket {
  start: number;
  used: number;
}
interface SandboxState {
  buckets: Map<string, Bucket>;
  requestSeq: number;
}
const STATE_KEY = Symbol.for("2nd-brain.sandbox.github.state");
const MAX_BUCKETS = 10_000;

/** Next.js can load this module more than once; the quota state must still be one. */
function sharedState(): SandboxState {
  const g = globalThis as typeof globalThis & { [STATE_KEY]?: SandboxState };
  return (g[STATE_KEY] ??= { buckets: new Map(), requestSeq: 0 });
}

/** The live bucket for a key (a fresh one when the window is over). Map order = least recently used first. */
function bucketFor(key: string, quota: Quota, now: number): Bucket {
  const { buckets } = sharedState();
  let bucket = buckets.get(key);
  if (bucket) buckets.delete(key);
  if (!bucket || now >= bucket.start + quota.windowMs) bucket = { start: now, used: 0 };
  buckets.set(key, bucket);
  while (buckets.size > MAX_BUCKETS) {
    const oldest = buckets.keys().next();
    if (oldest.done) break;
    buckets.delete(oldest.value);
  }
  return bucket;
}

function rateHeaders(bucket: Bucket, quota: Quota): Record<string, string> {
  return {
    "x-ratelimit-limit": String(quota.limit),
    "x-ratelimit-remaining": String(Math.max(0, quota.limit - bucket.used)),
    "x-ratelimit-used": String(Math.min(bucket.used, quota.limit)),
    "x-ratelimit-reset": String(Math.ceil((bucket.start + quota.windowMs) / 1000)),
    "x-ratelimit-resource": "core",
  };
}

function requestId(): string {
  const seq = ++sharedState().requestSeq;
  const hex = (n: number, width: number) => (n >>> 0).toString(16).toUpperCase().padStart(width, "0").slice(-width);
  const rnd = () => Math.floor(Math.random() * 0x1_0000_0000);
  return `${hex(rnd(), 4)}:${hex(rnd(), 4)}:${hex(seq, 6)}:${hex(rnd(), 6)}:${hex(Math.floor(Date.now() / 1000), 8)}`;
}

// ---------------------------------------------------------------- small helpers


function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const m = /^\s*(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
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

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw.trim() === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < min) return fallback;
  return Math.min(n, max);
}

/** GitHub's Link header: prev, next, last, first (only the ones that apply); null for a single page. */
export function githubLinkHeader(requestUrl: string, page: number, lastPage: number): string | null {
  if (page <= 1 && lastPage <= 1) return null;
  const at = (p: number) => {
    const u = new URL(requestUrl);
    u.searchParams.set("page", String(p));
    return u.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`);
  if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`);
  if (page < lastPage || (page > lastPage && lastPage >= 1)) links.push(`<${at(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${at(1)}>; rel="first"`);
  return links.join(", ");
}

class HttpError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

function notFound(): HttpError {
  return new HttpError(404, { message: "Not Found", documentation_url: DOCS });
}

function validationFailed(resource: string, field: string, value: string, docs: string): HttpError {
  return new HttpError(422, {
    message: "Validation Failed",
    errors: [{ resource, field, value, code: "invalid" }],
    documentation_url: docs,
  });
}

function pick<T extends string>(raw: string | null, allowed: readonly T[], fallback: T, err: () => HttpError): T {
  if (raw === null) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw err();
}

// ---------------------------------------------------------------- routes

interface RouteResult {
  body: unknown;
  link?: string | null;
  /** A list endpoint: the `malformed` fault truncates it. */
  list?: boolean;
  /** /rate_limit does not count against the quota. */
  free?: boolean;
}

interface RouteCtx {
  url: URL;
  login: string;
  scenario: SandboxScenario;
  rate: () => GithubRateLimitOverview;
}

const REPO_SORTS = ["created", "updated", "pushed", "full_name"] as const;
const ISSUE_SORTS = ["created", "updated", "comments"] as const;
const DIRECTIONS = ["asc", "desc"] as const;
const STATES = ["open", "closed", "all"] as const;

function compareRepos(sort: (typeof REPO_SORTS)[number]): (a: GithubRepo, b: GithubRepo) => number {
  const key = (r: GithubRepo): string =>
    sort === "full_name" ? r.full_name.toLowerCase() : String(sort === "created" ? r.created_at : sort === "updated" ? r.updated_at : r.pushed_at);
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : 1;
  };
}

function listUserRepos(ctx: RouteCtx): RouteResult {
  const q = ctx.url.searchParams;
  const docs = "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user";
  const sort = pick(q.get("sort"), REPO_SORTS, "full_name", () => validationFailed("Repository", "sort", q.get("sort") ?? "", docs));
  const direction = pick(q.get("direction"), DIRECTIONS, sort === "full_name" ? "asc" : "desc", () =>
    validationFailed("Repository", "direction", q.get("direction") ?? "", docs),
  );
  const perPage = clampInt(q.get("per_page"), 30, 1, 100);
  const page = clampInt(q.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  // At most 20 repositories: building them all is cheap.
  const repos = listRepos(ctx.login, ctx.scenario.items).sort(compareRepos(sort));
  if (direction === "desc") repos.reverse();
  const lastPage = Math.ceil(repos.length / perPage);
  const start = (page - 1) * perPage;
  return {
    body: start < repos.length ? repos.slice(start, start + perPage) : [],
    link: githubLinkHeader(ctx.url.toString(), page, lastPage),
    list: true,
  };
}

function listRepoIssues(ctx: RouteCtx, owner: string, repo: string): RouteResult {
  if (owner.toLowerCase() !== ctx.login.toLowerCase()) throw notFound();
  const j = repoIndexByName(ctx.scenario.items, repo);
  if (j < 0) throw notFound();
  const q = ctx.url.searchParams;
  const docs = "https://docs.github.com/rest/issues/issues#list-repository-issues";
  const bad = (field: string) => () => validationFailed("Issue", field, q.get(field) ?? "", docs);
  const state: IssueState = pick(q.get("state"), STATES, "open", bad("state"));
  // sort=comments is accepted but served in created order (comment counts are not indexed).
  pick(q.get("sort"), ISSUE_SORTS, "created", bad("sort"));
  const direction = pick(q.get("direction"), DIRECTIONS, "desc", bad("direction"));
  let sinceMs: number | undefined;
  const since = q.get("since");
  if (since !== null) {
    sinceMs = Date.parse(since);
    if (!Number.isFinite(sinceMs)) throw bad("since")();
  }
  // Filters we do not model (labels, assignee, creator, mentions, milestone) are ignored.
  const perPage = clampInt(q.get("per_page"), 30, 1, 100);
  const page = clampInt(q.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  const result = issuesPage(ctx.login, ctx.scenario.items, j, {
    state,
    sinceMs,
    direction,
    page,
    perPage,
    breakItems: ctx.scenario.fault === "item_errors",
  });
  return {
    body: result.data,
    link: githubLinkHeader(ctx.url.toString(), page, Math.ceil(result.total / perPage)),
    list: true,
  };
}

function route(method: string, subpath: string, ctx: RouteCtx): RouteResult {
  if (method !== "GET") throw notFound();
  if (subpath === "/user") return { body: sandboxUser(ctx.login) };
  if (subpath === "/user/repos") return listUserRepos(ctx);
  if (subpath === "/rate_limit") return { body: ctx.rate(), free: true };
  const m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(subpath);
  if (m) {
    let owner: string;
    let repo: string;
    try {
      owner = decodeURIComponent(m[1]!);
      repo = decodeURIComponent(m[2]!);
    } catch {
      throw notFound();
    }
    return listRepoIssues(ctx, owner, repo);
  }
  throw notFound();
}

// ---------------------------------------------------------------- the handler

export function createGithubSandbox(opts: GithubSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;

  return async function githubSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId();
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

    const token = bearerToken(req);
    let account: SandboxAccount | null;
    try {
      account = token ? await opts.resolveToken(token) : null;
    } catch {
      return json(500, { message: "Server Error" });
    }
    const scenario = account?.scenario;

    // expired_cursor: GitHub has no expiring cursor (pagination is by page number and
    // incremental sync by `since`), so that fault behaves exactly like `none` here.
    if (scenario?.fault === "hang") {
      const finished = await sleep(HANG_CAP_MS, req.signal);
      return finished ? json(504, { message: "We couldn't respond to your request in time. Sorry about that." }) : gone();
    }
    const latency = scenario ? (scenario.fault === "slow" ? Math.max(scenario.latency_ms * 10, SLOW_MIN_MS) : scenario.latency_ms) : 0;
    if (!(await sleep(latency, req.signal))) return gone();

    if (!account || !scenario || scenario.fault === "expired_token") {
      return json(401, { message: "Bad credentials", documentation_url: DOCS });
    }
    if (scenario.fault === "server_error") return json(502, { message: "Server Error" });

    const login = account.login ?? DEFAULT_LOGIN;
    const quota = scenario.fault === "rate_limit" ? FAULT_QUOTA : CORE_QUOTA;
    const bucketKey = `${quota.name}:${account.key}`;
    const t = now();
    const ctx: RouteCtx = {
      url: new URL(req.url),
      login,
      scenario,
      rate: () => {
        const b = bucketFor(bucketKey, quota, t);
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
      const bucket = bucketFor(bucketKey, quota, t);
      if (bucket.used < quota.limit) bucket.used++;
      return json(err.status, err.body, rateHeaders(bucket, quota));
    }

    const full = JSON.stringify(result.body);
    const body =
      scenario.fault === "malformed" && result.list ? full.slice(0, Math.max(1, Math.floor(full.length / 2))) : full;
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
      const bucket = bucketFor(bucketKey, quota, t);
      return new Response(null, { status: 304, headers: { ...base, ...common, etag, ...rateHeaders(bucket, quota) } });
    }

    const bucket = bucketFor(bucketKey, quota, t);
    if (!result.free) {
      if (bucket.used >= quota.limit) {
        const resetMs = bucket.start + quota.windowMs;
        const retry: Record<string, string> =
          scenario.fault === "rate_limit" ? { "retry-after": String(Math.max(1, Math.ceil((resetMs - t) / 1000))) } : {};
        return json(
          403,
          { message: `API rate limit exceeded for user ID ${userIdFor(login)}.`, documentation_url: RATE_LIMIT_DOCS },
          { ...rateHeaders(bucket, quota), ...retry },
        );
      }
      bucket.used++;
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
