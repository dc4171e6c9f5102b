// How the GitHub connector learns that issues and pull requests it holds were deleted or
// transferred away. GitHub's REST API has no change feed for that: `since` never lists a deleted
// or transferred issue, the issue events of the repository go with the issue, and "Get an
// issue" answers 410 (deleted) / 301 (transferred) / 404 (no longer visible) only when asked
// about one issue at a time ("To receive webhook events for transferred and deleted issues,
// subscribe to the issues webhook", GitHub REST docs, Issues > Get an issue). A poller can only
// compare what is listed with what it holds. Asking about every issue would cost one request
// each; this costs one per repository and run:
//
// A run whose listing of a repository had no `since` (a first sync, or a repository that fits in
// one page, whose final-page request never has one) saw every live issue: whatever number is
// missing is gone, and no request is needed. Otherwise:
// Issue numbers only grow and are never reused, and `GET /repos/{o}/{r}/issues?state=all&
// sort=created&direction=asc` lists issues and pull requests in number order. The tally says
// that `known` issues numbered up to `top` were live, so the issue at position `known` of that
// listing is `top` (the probe: per_page=1&page=known, conditional on the last probe's ETag, a
// 304 costs no quota). Any other answer means one of them is gone: the repository's numbers are
// then listed in full (per_page=100 pages of that one repository) and every number up to `top`
// that is missing leaves the library. Limits: the probe notices a deletion the run it happens;
// finding which costs a listing of that repository (ceil(issues / 100) requests); a deletion
// and a transfer-in cannot hide each other (a transferred-in issue gets a new, higher number).
import type { Octokit } from "@octokit/rest";
import { conditional, etagOf, expectArray, hasMore, isGone, isNotModified } from "./client";
import { githubExternalId } from "./transform";
import type { GithubTally, RepoRef } from "./types";

const LOCATE_PER_PAGE = 100;

function numberOf(raw: unknown): number | undefined {
  const n = typeof raw === "object" && raw !== null ? (raw as { number?: unknown }).number : undefined;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface DeletionCheck {
  tally: GithubTally;
  /** External ids no longer in the repository (deleted, transferred away, or hidden). */
  removed: string[];
  /** Requests it sent. */
  requests: number;
}

/**
 * After a repository's listing: `prev` is the last run's tally (undefined: none), `listed` the
 * issue numbers this run's listing returned, `wholeRepo` whether that listing covered every
 * issue of the repository (no `since`): then what is missing is known without asking (a
 * deleted issue changes that listing, so its ETag too). `probeNext`: the next run will not
 * list the whole repository again, so learn the probe's ETag now.
 */
export async function checkDeletions(
  octokit: Octokit,
  repo: RepoRef,
  prev: GithubTally | undefined,
  listed: ReadonlySet<number>,
  opts: { wholeRepo: boolean; probeNext: boolean },
  signal: AbortSignal,
): Promise<DeletionCheck> {
  let top = prev?.top ?? 0;
  for (const n of listed) top = Math.max(top, n);
  if (opts.wholeRepo) {
    const { removed, known } = missing(repo, top, listed);
    if (!opts.probeNext || known === 0) return { tally: { top, known }, removed, requests: 0 };
    const probe = await probeAt(octokit, repo, known, undefined, signal);
    const etag = probe.kind === "match" && probe.number === top ? probe.etag : undefined;
    return { tally: { top, known, ...(etag ? { etag } : {}) }, removed, requests: 1 };
  }
  // No tally and only part of the repository listed: learn it from a full listing of numbers.
  if (!prev) return locate(octokit, repo, top, signal, 0);
  let fresh = 0;
  for (const n of listed) if (n > prev.top) fresh++;
  const known = prev.known + fresh;
  if (known === 0) return { tally: { top, known: 0 }, removed: [], requests: 0 };
  const sameProbe = prev.known === known && prev.top === top ? prev.etag : undefined;
  const probe = await probeAt(octokit, repo, known, sameProbe, signal);
  if (probe.kind === "unchanged") return { tally: prev, removed: [], requests: 1 };
  if (probe.kind === "gone") return { tally: { top, known }, removed: [], requests: 1 };
  if (probe.number === top) return { tally: { top, known, ...(probe.etag ? { etag: probe.etag } : {}) }, removed: [], requests: 1 };
  return locate(octokit, repo, top, signal, 1);
}

/** A page of the repository's issues and pull requests in creation order (numbers never reused). */
function creationOrder(octokit: Octokit, repo: RepoRef, page: { per_page: number; page: number; headers?: Record<string, string> }) {
  return octokit.rest.issues.listForRepo({ owner: repo.owner, repo: repo.name, state: "all", sort: "created", direction: "asc", ...page });
}

type Probe = { kind: "unchanged" } | { kind: "gone" } | { kind: "match"; number: number | undefined; etag: string | undefined };

/** The issue at `position` (1-based) in creation order: per_page=1&page=position. */
async function probeAt(octokit: Octokit, repo: RepoRef, position: number, etag: string | undefined, signal: AbortSignal): Promise<Probe> {
  signal.throwIfAborted();
  try {
    const res = await creationOrder(octokit, repo, { per_page: 1, page: position, ...conditional(etag) });
    const data = expectArray(res.data, `the issues of ${repo.fullName}`);
    return { kind: "match", number: data.length === 1 ? numberOf(data[0]) : undefined, etag: etagOf(res.headers) };
  } catch (err) {
    if (isNotModified(err) && etag) return { kind: "unchanged" };
    if (isGone(err)) return { kind: "gone" };
    throw err;
  }
}

/** Numbers up to `top` not in `live` (as external ids), and how many are. */
function missing(repo: RepoRef, top: number, live: ReadonlySet<number>): { removed: string[]; known: number } {
  const removed: string[] = [];
  let known = 0;
  for (let n = 1; n <= top; n++) {
    if (live.has(n)) known++;
    else removed.push(githubExternalId(repo.fullName, n));
  }
  return { removed, known };
}

/** Lists every number of the repository (creation order) and reports those up to `top` that are gone. */
async function locate(octokit: Octokit, repo: RepoRef, top: number, signal: AbortSignal, spent: number): Promise<DeletionCheck> {
  const live = new Set<number>();
  let requests = spent;
  for (let page = 1; ; page++) {
    signal.throwIfAborted();
    let data: unknown[];
    let link: string | undefined;
    try {
      const res = await creationOrder(octokit, repo, { per_page: LOCATE_PER_PAGE, page });
      requests++;
      data = expectArray(res.data, `the issues of ${repo.fullName} (page ${page})`);
      link = res.headers.link;
    } catch (err) {
      if (isGone(err)) return { tally: { top, known: 0 }, removed: [], requests: requests + 1 };
      throw err;
    }
    for (const raw of data) {
      const n = numberOf(raw);
      if (n !== undefined) live.add(n);
    }
    if (!hasMore(data, link, LOCATE_PER_PAGE)) break;
  }
  // The listing may show issues newer than `top` (created meanwhile): the next run reads them.
  const { removed, known } = missing(repo, top, live);
  return { tally: { top, known }, removed, requests };
}
