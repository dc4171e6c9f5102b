// The REST routes the sandbox serves (/user, /user/repos, /repos/{owner}/{repo}/issues,
// /rate_limit) with GitHub's query validation, page-number pagination and Link header.
import type { SandboxScenario } from "@/lib/contract";
import { API_ORIGIN, countBelow, itemIndex, listRepos, repoIndexByName, sandboxUser, type GithubRateLimitOverview, type GithubRepo, type IssueState } from "./data";
import { isTransferred, itemCount, liveIssue, liveIssuesPage, TRANSFER_TARGET, type LiveData } from "./live";

export const DOCS = "https://docs.github.com/rest";

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

export class HttpError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
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

export interface RouteResult {
  body: unknown;
  link?: string | null;
  /** A list endpoint: the `malformed` fault truncates it. */
  list?: boolean;
  /** /rate_limit does not count against the quota. */
  free?: boolean;
}

export interface RouteCtx {
  url: URL;
  login: string;
  scenario: SandboxScenario;
  /** The dataset as it is now (seeded + the account's changes). */
  live: LiveData;
  /**
   * The sandbox's path prefix, for Location headers: relative ones, so a client follows them on
   * the origin it called (the app may see itself under another host name than its caller).
   */
  basePath: string;
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
  const repos = listRepos(ctx.login, itemCount(ctx.live)).sort(compareRepos(sort));
  if (direction === "desc") repos.reverse();
  const lastPage = Math.ceil(repos.length / perPage);
  const start = (page - 1) * perPage;
  return {
    body: start < repos.length ? repos.slice(start, start + perPage) : [],
    link: githubLinkHeader(ctx.url.toString(), page, lastPage),
    list: true,
  };
}

function repoOf(ctx: RouteCtx, owner: string, repo: string): number {
  if (owner.toLowerCase() !== ctx.login.toLowerCase()) throw notFound();
  const j = repoIndexByName(itemCount(ctx.live), repo);
  if (j < 0) throw notFound();
  return j;
}

function listRepoIssues(ctx: RouteCtx, owner: string, repo: string): RouteResult {
  const j = repoOf(ctx, owner, repo);
  const q = ctx.url.searchParams;
  const docs = "https://docs.github.com/rest/issues/issues#list-repository-issues";
  const bad = (field: string) => () => validationFailed("Issue", field, q.get(field) ?? "", docs);
  const state: IssueState = pick(q.get("state"), STATES, "open", bad("state"));
  // sort=comments is accepted but served in created order (comment counts are not indexed).
  const sort = pick(q.get("sort"), ISSUE_SORTS, "created", bad("sort"));
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
  const result = liveIssuesPage(ctx.live, j, { state, sinceMs, direction, page, perPage, sort });
  return {
    body: result.data,
    link: githubLinkHeader(ctx.url.toString(), page, Math.ceil(result.total / perPage)),
    list: true,
  };
}

/**
 * GET /repos/{owner}/{repo}/issues/{issue_number} ("Get an issue"): "The API returns a 301 Moved
 * Permanently status if the issue was transferred to another repository. If the issue was
 * transferred to or deleted from a repository where the authenticated user lacks read access, the
 * API returns a 404 Not Found status. If the issue was deleted from a repository where the
 * authenticated user has read access, the API returns a 410 Gone status."
 * The 301 follows GitHub's redirect shape (Location + { message, url, documentation_url }).
 */
function getIssue(ctx: RouteCtx, owner: string, repo: string, rawNumber: string): RouteResult {
  const j = repoOf(ctx, owner, repo);
  const n = /^\d{1,9}$/.test(rawNumber) ? Number(rawNumber) : 0;
  if (n < 1 || n > countBelow(j, itemCount(ctx.live))) throw notFound();
  const i = itemIndex(j, n - 1);
  if (ctx.live.view.deletes.has(i)) {
    throw new HttpError(410, { message: "This issue was deleted", documentation_url: "https://docs.github.com/rest/issues/issues#get-an-issue" });
  }
  if (isTransferred(ctx.live, i)) {
    const path = `/repositories/${TRANSFER_TARGET.id}/issues/${n}`;
    throw new HttpError(
      301,
      { message: "Moved Permanently", url: `${API_ORIGIN}${path}`, documentation_url: "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects" },
      { location: `${ctx.basePath}${path}` },
    );
  }
  return { body: liveIssue(ctx.live, j, n - 1) };
}

export function route(method: string, subpath: string, ctx: RouteCtx): RouteResult {
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
  const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/([^/]+)$/.exec(subpath);
  if (one) {
    let owner: string;
    let repo: string;
    try {
      owner = decodeURIComponent(one[1]!);
      repo = decodeURIComponent(one[2]!);
    } catch {
      throw notFound();
    }
    return getIssue(ctx, owner, repo, one[3]!);
  }
  // Where transferred issues went: a repository the caller cannot read (404, as GitHub answers).
  throw notFound();
}
