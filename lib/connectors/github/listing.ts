// The GitHub listings a run starts with (the connector's survey): how many items this run covers, per repository (the total on
// the progress bar), and the first page of each repository kept for the fetch that follows. A
// repository with a final-page ETag is asked with exactly that request: 304 = nothing new (or
// edited); 200 = that page with the news. See connector.ts for the whole order of work.
import type { Octokit } from "@octokit/rest";
import { mapLimit } from "@/lib/connectors/kit/concurrency";
import { countItems, hasMore, isGone, isNotModified, listIssuesPage } from "./client";
import { rawItemKey } from "./transform";
import { timeOf, type GithubRepoState, type RepoRef, type Survey } from "./types";

/** Items of surveyed first pages kept in memory for the fetch phase (the rest are requested again). */
const SURVEY_CACHE_ITEMS = 2_000;

export interface SurveyInput {
  octokit: Octokit;
  repos: readonly RepoRef[];
  concurrency: number;
  perPage: number;
  /** Repositories before it are not fetched by this run (a resumed one): their pages are not kept. */
  startIndex: number;
  signal: AbortSignal;
  prevState(fullName: string): GithubRepoState;
  startOf(st: GithubRepoState): { since: string | undefined; page: number; etag: string | undefined };
  isOld(st: GithubRepoState, key: string, t: { ms: number } | undefined): boolean;
}

export async function surveyRepos(input: SurveyInput): Promise<Array<{ count: number; survey: Survey }>> {
  const { octokit, perPage, signal } = input;
  let cacheBudget = SURVEY_CACHE_ITEMS;
  return mapLimit(input.repos, input.concurrency, async (repo, ri): Promise<{ count: number; survey: Survey }> => {
    signal.throwIfAborted();
    const st = input.prevState(repo.fullName);
    const start = input.startOf(st);
    if (!start.etag) {
      const c = await countItems(octokit, repo, st.since, signal);
      return { count: Math.max(0, c - (st.keys?.length ?? 0)), survey: { kind: "none" } };
    }
    try {
      const { data, link, etag } = await listIssuesPage(octokit, repo, { since: start.since, page: start.page, perPage, etag: start.etag });
      let count = data.filter((raw) => !input.isOld(st, rawItemKey(raw, repo.fullName), timeOf(raw))).length;
      if (hasMore(data, link, perPage)) {
        const c = await countItems(octokit, repo, st.since, signal);
        count = Math.max(count, c - (st.keys?.length ?? 0));
      }
      const keep = ri >= input.startIndex && data.length <= cacheBudget;
      if (keep) cacheBudget -= data.length;
      return { count, survey: keep ? { kind: "page", since: start.since, page: start.page, data, link, etag } : { kind: "none" } };
    } catch (err) {
      if (isNotModified(err)) return { count: 0, survey: { kind: "unchanged" } };
      if (isGone(err)) return { count: 0, survey: { kind: "gone" } };
      throw err;
    }
  });
}
