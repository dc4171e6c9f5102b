// How the GitHub connector learns that issues and pull requests it holds were deleted or
// transferred away. GitHub's REST API has no change feed for that: `since` never lists a deleted
// or transferred issue, the issue events of the repository go with the issue, and "Get an
// issue" answers 410 (deleted) / 301 (transferred) / 404 (no longer visible) only when asked
// about one issue at a time ("To receive webhook events for transferred and deleted issues,
// subscribe to the issues webhook", GitHub REST docs, Issues > Get an issue). A poller can only
// compare what is listed with what it holds. Asking about every issue would cost one request
// each; this costs one per repository and run:
//
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
 * issue of the repository (no `since`).
 */
export async function checkDeletions(
  octokit: Octokit,
  repo: RepoRef,
  prev: GithubTally | undefined,
  listed: ReadonlySet<number>,
  wholeRepo: boolean,
  signal: AbortSignal,
): Promise<DeletionCheck> {
  let top = prev?.top ?? 0;
  let fresh = 0;
  for (const n of listed) if (n > (prev?.top ?? 0)) fresh++;
  for (const n of listed) top = Math.max(top, n);
  // No tally and only part of the repository listed: learn it from a full listing of numbers.
  if (!prev && !wholeRepo) return locate(octokit, repo, top, signal, 0);
  const known = (prev?.known ?? 0) + fresh;
  if (known === 0) return { tally: { top, known: 0 }, removed: [], requests: 0 };
  const sameProbe = prev !== undefined && prev.known === known && prev.top === top ? prev.etag : undefined;
  signal.throwIfAborted();
  try {
    const res = await octokit.rest.issues.listForRepo({
      owner: repo.owner,
      repo: repo.name,
      state: "all",
      sort: "created",
      direction: "asc",
      per_page: 1,
      page: known,
      ...conditional(sameProbe),
    });
    const data = expectArray(res.data, `the issues of ${repo.fullName}`);
    if (data.length === 1 && numberOf(data[0]) === top) {
      const etag = etagOf(res.headers);
      return { tally: { top, known, ...(etag ? { etag } : {}) }, removed: [], requests: 1 };
    }
  } catch (err) {
    if (isNotModified(err) && prev) return { tally: prev, removed: [], requests: 1 };
    if (isGone(err)) return { tally: { top, known }, removed: [], requests: 1 };
    throw err;
  }
  return locate(octokit, repo, top, signal, 1);
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
      const res = await octokit.rest.issues.listForRepo({
        owner: repo.owner,
        repo: repo.name,
        state: "all",
        sort: "created",
        direction: "asc",
        per_page: LOCATE_PER_PAGE,
        page,
      });
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
  const removed: string[] = [];
  let known = 0;
  for (let n = 1; n <= top; n++) {
    if (live.has(n)) known++;
    else removed.push(githubExternalId(repo.fullName, n));
  }
  // The listing may show issues newer than `top` (created meanwhile): the next run reads them.
  return { tally: { top, known }, removed, requests };
}
