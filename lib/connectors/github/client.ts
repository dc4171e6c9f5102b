// The one place an Octokit is made for the GitHub connector, how its answers and errors are
// read (status, ETag, Link), and the listings the connector pages through.
import { Octokit } from "@octokit/rest";
import type { SyncContext } from "@/lib/connectors/types";
import { compareNames, refOf, repoSchema, type GithubRepoPageEtag, type RepoRef } from "./types";

const REPOS_PER_PAGE = 100;
/** Repository-list pages whose ETags the cursor keeps (2,000 repositories). */
const MAX_CACHED_REPO_PAGES = 20;

const noop = (): void => {};
/** Octokit logs request lines (and @octokit/request warns through `request.log`, falling back to console): silence both. */
const silentLog = { debug: noop, info: noop, warn: noop, error: noop };

export function makeOctokit(ctx: Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal">): Octokit {
  return new Octokit({
    baseUrl: ctx.baseUrl.replace(/\/+$/, ""),
    auth: ctx.credentials.accessToken,
    userAgent: "2nd-brain-sync",
    log: silentLog,
    request: {
      // Every request goes through the engine's fetch (timeouts, retries, rate-limit waits)...
      fetch: ctx.fetch,
      // ...and is aborted with the run (cancel, stall, whole-run timeout).
      signal: ctx.signal,
      log: silentLog,
    },
  });
}

// ---------------------------------------------------------------- answers and errors

export function linkTarget(link: string | undefined, rel: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^<>]+)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (m && m[2]!.split(/\s+/).includes(rel)) return m[1];
  }
  return undefined;
}

export function expectArray(data: unknown, what: string): unknown[] {
  if (Array.isArray(data)) return data;
  const got = typeof data === "string" ? `${data.length} characters of unparseable text` : data === null ? "null" : typeof data;
  throw new Error(`GitHub sent a malformed response for ${what}: expected a JSON array, got ${got}`);
}

export function statusOf(err: unknown): unknown {
  return typeof err === "object" && err !== null ? (err as { status?: unknown }).status : undefined;
}

/** 404 / 410 on a repository's issues: it was deleted, hidden from us, or has issues disabled. */
export function isGone(err: unknown): boolean {
  const status = statusOf(err);
  return status === 404 || status === 410;
}

/** Octokit throws a RequestError with status 304 for "Not modified". */
export function isNotModified(err: unknown): boolean {
  return statusOf(err) === 304;
}

export function etagOf(headers: Record<string, unknown>): string | undefined {
  const v = headers.etag;
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

export function conditional(etag: string | undefined): { headers?: { "if-none-match": string } } {
  return etag ? { headers: { "if-none-match": etag } } : {};
}

/** A page is the last one when it is neither full nor followed by rel="next". */
export function hasMore(data: unknown[], link: string | undefined, perPage: number): boolean {
  return data.length > 0 && (linkTarget(link, "next") !== undefined || data.length >= perPage);
}

// ---------------------------------------------------------------- listings

export interface RepoListing {
  repos: RepoRef[];
  /** ETags per page for the cursor (undefined: not kept). */
  pages: GithubRepoPageEtag[] | undefined;
  capped: boolean;
}

export async function listRepositories(
  octokit: Octokit,
  signal: AbortSignal,
  cached: GithubRepoPageEtag[] | undefined,
  maxPages: number,
): Promise<RepoListing> {
  const byName = new Map<string, RepoRef>();
  const pages: GithubRepoPageEtag[] = [];
  let keep = true;
  let capped = false;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      capped = true;
      break;
    }
    signal.throwIfAborted();
    const hit = cached?.[page - 1];
    let entry: { etag: string | undefined; repos: string[]; more: boolean };
    try {
      const res = await octokit.rest.repos.listForAuthenticatedUser({ per_page: REPOS_PER_PAGE, page, ...conditional(hit?.etag) });
      const data = expectArray(res.data, `the repository list (page ${page})`);
      const names: string[] = [];
      for (const raw of data) {
        const parsed = repoSchema.safeParse(raw);
        if (!parsed.success) throw new Error(`GitHub sent a malformed repository in the repository list (page ${page})`);
        const r = parsed.data;
        byName.set(r.full_name, { owner: r.owner.login, name: r.name, fullName: r.full_name });
        names.push(r.full_name);
      }
      entry = { etag: etagOf(res.headers), repos: names, more: hasMore(data, res.headers.link, REPOS_PER_PAGE) };
    } catch (err) {
      if (!hit || !isNotModified(err)) throw err;
      for (const name of hit.repos) byName.set(name, refOf(name));
      entry = hit;
    }
    if (entry.etag && keep && page <= MAX_CACHED_REPO_PAGES) pages.push({ etag: entry.etag, repos: entry.repos, more: entry.more });
    else keep = false;
    if (!entry.more) break;
  }
  return {
    repos: [...byName.values()].sort((a, b) => compareNames(a.fullName, b.fullName)),
    pages: keep && !capped ? pages : undefined,
    capped,
  };
}

export async function countItems(octokit: Octokit, repo: RepoRef, since: string | undefined, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted();
  try {
    const res = await octokit.rest.issues.listForRepo({
      owner: repo.owner,
      repo: repo.name,
      state: "all",
      per_page: 1,
      ...(since ? { since } : {}),
    });
    const data = expectArray(res.data, `the issues of ${repo.fullName}`);
    const last = linkTarget(res.headers.link, "last");
    if (last) {
      const page = Number(new URL(last).searchParams.get("page"));
      if (Number.isInteger(page) && page > 0) return page;
    }
    return data.length;
  } catch (err) {
    if (isGone(err)) return 0;
    throw err;
  }
}

/** One page of a repository's issues and pull requests, oldest update first (GitHub's `since` is inclusive). */
export async function listIssuesPage(
  octokit: Octokit,
  repo: RepoRef,
  at: { since: string | undefined; page: number; perPage: number; etag?: string },
): Promise<{ data: unknown[]; link: string | undefined; etag: string | undefined }> {
  const res = await octokit.rest.issues.listForRepo({
    owner: repo.owner,
    repo: repo.name,
    state: "all",
    sort: "updated",
    direction: "asc",
    per_page: at.perPage,
    page: at.page,
    ...(at.since ? { since: at.since } : {}),
    ...conditional(at.etag),
  });
  const data = expectArray(res.data, `the issues of ${repo.fullName} (page ${at.page})`);
  return { data, link: res.headers.link, etag: etagOf(res.headers) };
}
