// The GitHub connector's cursor at the end of a run: this run's state where it read a
// repository, the last complete run's elsewhere (see connector.ts for what each part means).
import { later, type GithubCursor, type GithubRepoPageEtag, type GithubRepoState, type RepoRef, type RepoRun } from "./types";

/** Items at one boundary time kept in the cursor (beyond: they may come once more, harmlessly). */
export const MAX_BOUNDARY_KEYS = 100;

export function buildCursor(
  repos: readonly RepoRef[],
  runState: ReadonlyMap<string, RepoRun>,
  prevState: (fullName: string) => GithubRepoState,
  prevSince: string | undefined,
  repoPages: GithubRepoPageEtag[] | undefined,
): GithubCursor {
  const cursor: GithubCursor = { since: null, repos: {}, tally: {}, boundary: {}, etags: { issues: {} } };
  let newestSeen: string | undefined;
  for (const r of repos) {
    const live = runState.get(r.fullName);
    const st: GithubRepoState = live
      ? { since: live.since, keys: [...live.keys], ...(live.last ? { last: live.last } : {}), ...(live.tally ? { tally: live.tally } : {}) }
      : prevState(r.fullName);
    if (st.tally) (cursor.tally ??= {})[r.fullName] = st.tally;
    if (st.since === undefined) continue;
    cursor.repos[r.fullName] = st.since;
    newestSeen = later(newestSeen, st.since);
    if (st.keys?.length) cursor.boundary[r.fullName] = st.keys.slice(0, MAX_BOUNDARY_KEYS);
    if (st.last) cursor.etags.issues[r.fullName] = st.last;
  }
  // An empty repository has no `since` but may still have a final-page ETag.
  for (const r of repos) {
    if (cursor.repos[r.fullName] !== undefined) continue;
    const live = runState.get(r.fullName);
    const last = live ? live.last : prevState(r.fullName).last;
    if (last && last.since === null) cursor.etags.issues[r.fullName] = last;
  }
  cursor.since = newestSeen ?? prevSince ?? null;
  if (repoPages) cursor.etags.repoPages = repoPages;
  return cursor;
}
