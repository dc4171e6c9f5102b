// The GitHub sandbox's dataset as it is now: the seeded items of ./data.ts with the account's
// change log (POST .../sandbox/changes, lib/contract/sandbox.ts) applied. Pure, like data.ts.
//
// What GitHub does, and so what this models (GitHub REST docs, "Issues"):
// - an "add" is a new issue or pull request with the next number of its repository, created and
//   updated at the change's time;
// - an "edit" changes the title and body (they gain the word "edited") and moves updated_at to
//   the change's time, so `GET /repos/{o}/{r}/issues?since=…&sort=updated` lists it again and the
//   listing's ETag changes;
// - a "delete" removes the issue from every listing; "Get an issue" answers 410 Gone ("If the
//   issue was deleted from a repository where the authenticated user has read access, the API
//   returns a 410 Gone status"). Numbers are never reused: the others keep theirs.
// A repository without any change is served by data.ts's O(page) arithmetic; one with changes is
// materialised (its items' indices and times only, O(items of that repository)).
import { sandboxChangeView, type SandboxChange, type SandboxChangeView, type SandboxScenario } from "@/lib/contract";
import {
  countBelow,
  isBrokenItemIndex,
  issuesPage,
  isClosedRank,
  isoSeconds,
  itemIndex,
  makeIssue,
  repoCount,
  repoOfItem,
  updatedAtMs,
  type GithubIssue,
  type IssuePage,
  type IssueQuery,
} from "./data";

export interface LiveData {
  login: string;
  scenario: Pick<SandboxScenario, "items" | "fault">;
  view: SandboxChangeView;
  /** Repositories with at least one change (add, edit, delete). */
  changedRepos: ReadonlySet<number>;
}

export function liveData(login: string, scenario: Pick<SandboxScenario, "items" | "fault">, changes: readonly SandboxChange[] | undefined): LiveData {
  const view = sandboxChangeView(scenario, changes ?? []);
  const changedRepos = new Set<number>();
  for (const c of view.log) changedRepos.add(repoOfItem(c.index));
  return { login, scenario, view, changedRepos };
}

/** Items in the dataset (seeded + added, deleted ones included): what data.ts calls `items`. */
export function itemCount(d: LiveData): number {
  return d.view.count;
}

/**
 * The `item_errors` fault: these issues were transferred to a repository the user cannot see
 * while the listing still showed them (see ./routes.ts "Get an issue"). Never picked by changes.
 */
export function isTransferred(d: Pick<LiveData, "scenario">, i: number): boolean {
  return d.scenario.fault === "item_errors" && isBrokenItemIndex(i);
}

/** Where a transferred issue went: a private repository of another owner (the caller cannot read it). */
export const TRANSFER_TARGET = { owner: "acme-archive", repo: "private-tracker", id: 977_000_123 } as const;

/** Item i as it is now, or null when deleted / not (yet) in the dataset. */
export function liveIssue(d: LiveData, j: number, r: number): GithubIssue | null {
  const i = itemIndex(j, r);
  if (i >= d.view.count || d.view.deletes.has(i)) return null;
  const issue = makeIssue(d.login, j, r);
  const added = d.view.adds.get(i);
  if (added) {
    // New: open, created and updated now.
    issue.created_at = isoSeconds(added.at);
    issue.updated_at = isoSeconds(added.at);
    issue.state = "open";
    issue.closed_at = null;
    issue.state_reason = null;
    if (issue.pull_request) {
      issue.pull_request.merged_at = null;
      issue.draft = false;
    }
  }
  const edit = d.view.edits.get(i);
  if (edit) {
    issue.title = `${issue.title} (edited)`;
    const note = edit.times > 1 ? `edited ${edit.times} times` : "edited";
    issue.body = issue.body ? `${issue.body}\n\n_${note}_` : `_${note}_`;
    issue.updated_at = isoSeconds(edit.at);
    if (issue.state === "closed") issue.closed_at = issue.closed_at ?? issue.updated_at;
  }
  return isTransferred(d, i) ? asTransferred(issue) : issue;
}

/** The listing's last view of a transferred issue: its API links already point at its new home. */
function asTransferred(issue: GithubIssue): GithubIssue {
  const api = `https://api.github.com/repos/${TRANSFER_TARGET.owner}/${TRANSFER_TARGET.repo}`;
  return { ...issue, repository_url: api, url: `${api}/issues/${issue.number}` };
}

function updatedMsOf(d: LiveData, i: number): number {
  return d.view.edits.get(i)?.at ?? d.view.adds.get(i)?.at ?? updatedAtMs(i);
}

/** One page of `GET /repos/{owner}/{repo}/issues` for repository j, changes applied. */
export function liveIssuesPage(d: LiveData, j: number, q: IssueQuery & { sort?: "created" | "updated" | "comments" }): IssuePage {
  if (!d.changedRepos.has(j)) {
    const page = issuesPage(d.login, d.view.count, j, q);
    return { total: page.total, data: page.data.map((issue) => (isTransferred(d, itemIndex(j, issue.number - 1)) ? asTransferred(issue) : issue)) };
  }
  const n = countBelow(j, d.view.count);
  const rows: Array<{ r: number; i: number; key: number }> = [];
  for (let r = 0; r < n; r++) {
    const i = itemIndex(j, r);
    if (d.view.deletes.has(i)) continue;
    const updated = updatedMsOf(d, i);
    if (q.sinceMs !== undefined && Math.floor(updated / 1000) * 1000 < q.sinceMs) continue;
    const closed = !d.view.adds.has(i) && isClosedRank(r);
    if (q.state === "open" && closed) continue;
    if (q.state === "closed" && !closed) continue;
    // Created order is number order; updated order is by updated_at (second precision), then number.
    rows.push({ r, i, key: q.sort === "updated" ? Math.floor(updated / 1000) : 0 });
  }
  rows.sort((a, b) => a.key - b.key || a.r - b.r);
  if (q.direction === "desc") rows.reverse();
  const start = (q.page - 1) * q.perPage;
  const data = rows.slice(start, start + q.perPage).map((row) => liveIssue(d, j, row.r)!);
  return { total: rows.length, data };
}

export function repoCountNow(d: LiveData): number {
  return repoCount(d.view.count);
}
