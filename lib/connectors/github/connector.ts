// GitHub connector: the issues and pull requests of every repository the token can see.
//
// Order of work: list repositories (sorted by full_name) -> survey each repository (how many
// items this run will handle) -> for each repository, page through
// GET /repos/{owner}/{repo}/issues?state=all&sort=updated&direction=asc&per_page=100[&since].
//
// Paging is by `since` (keyset), not only by page number: after a full page whose newest item
// is newer than the current `since`, the next request is `since=<that updated_at>&page=1`.
// With sort=updated&direction=asc, an issue edited while we page moves to the end of the list;
// plain page numbers would then shift every later item down by one and silently skip one item
// per edit. GitHub's `since` is inclusive, so the boundary items (same updated_at, already seen)
// come back first; they are recognised by id and dropped, so nothing is processed twice.
// A listing is over when a page is neither full nor followed by a `rel="next"` link.
//
// Conditional requests (ETag / If-None-Match). A request GitHub answers 304 costs no quota.
// The cursor keeps, per repository, the last listing request of the run that read it (its
// `since`, page 1, per_page) and that response's ETag. That last page is never full, so it
// holds every item updated at or after its `since`: the next run sends exactly that request
// with If-None-Match, and a 304 proves nothing in the repository changed (any new or edited
// item would be on that page and change its body). A 200 is that page with the news on it:
// the items already read last time (updated before the cursor's position, or at it and listed
// in `boundary`) are dropped, the rest are new. The repository list (per page) and GET /user
// (in connect) are conditional the same way. So a re-sync with nothing new is one 304 per
// repository, one for the repository list and one for /user: no quota at all.
//
// Cursor (saved after a complete run):
//   { since,                                   newest updated_at seen anywhere (informational)
//     repos:    { "<owner>/<repo>": "<newest updated_at read>" },
//     boundary: { "<owner>/<repo>": ["<owner>/<repo>#<n>", …] },   items read at exactly that time
//     etags: { user?:      { etag, login },
//              repoPages?: [{ etag, repos: ["<owner>/<repo>", …], more }],   one per listing page
//              issues:     { "<owner>/<repo>": { etag, since, page: 1, perPage } } } }
// Everything is keyed by the repositories of this run's listing: a repository that vanished
// leaves the cursor. Per-repository positions (not one global time) because a global "max
// updated_at" would lose an edit made in an already-synced repository while a later one was
// still being read, and would skip the older items of a repository that became visible later.
// An ETag is only ever sent with the exact request it came from (same since, page, per_page).
//
// Edits (title, body, state) move updated_at, so the listing above brings them again: the page
// writer updates them in place by external id. Deletions and transfers never show in a `since`
// listing: ./deletions.ts finds them (one probe per repository, none when the run listed the
// whole repository) and they leave with the repository's last page (`removed`). Issues a
// listing shows as already transferred are read on their own (./moved.ts).
//
// Resuming: the checkpoint says where to continue and carries the state of every repository
// read so far in this run (its position, boundary and final ETag), so a resumed run ends with
// the same cursor as an uninterrupted one. ETags of the repositories read before the
// interruption describe what was read then: if they changed since, the next run sees a 200.
import type { Connector, ConnectorCredentials, DocumentInput, ItemFailure, SyncContext, SyncPage } from "@/lib/connectors/types";
import { githubManifest } from "./manifest";
import { conditional, etagOf, hasMore, isGone, isNotModified, listIssuesPage, listRepositories, makeOctokit } from "./client";
import { rawItemKey, transformIssue } from "./transform";
import { checkDeletions } from "./deletions";
import { listedElsewhere, readMovedIssue } from "./moved";
import { buildCursor, MAX_BOUNDARY_KEYS } from "./cursor";
import { surveyRepos } from "./listing";
import {
  checkpointSchema,
  compareNames,
  later,
  parseCursor,
  timeOf,
  type GithubCheckpoint,
  type GithubConnectorOptions,
  type GithubCursor,
  type GithubRepoState,
  type Position,
  type RepoRun,
  type Survey,
} from "./types";

export type {
  GithubCheckpoint,
  GithubConnectorOptions,
  GithubCursor,
  GithubEtags,
  GithubListingEtag,
  GithubRepoPageEtag,
  GithubRepoState,
} from "./types";
/** Kept here for the callers that read the quota beside the connector (bench, tests). */
export { GITHUB_QUOTA } from "./manifest";

const DEFAULT_MAX_PAGES = 1_000;

/**
 * connect() learns the freshest /user ETag; the sync that follows (the engine hands both the
 * same credentials object) keeps it in the cursor, where the next connect() finds it.
 */
const connectedUsers = new WeakMap<ConnectorCredentials, { token: string; etag: string; login: string }>();

function maxPagesOf(ctx: SyncContext): number {
  const n = (ctx as Partial<Pick<SyncContext, "limits">>).limits?.maxPages;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_PAGES;
}

export function createGithubConnector(options: GithubConnectorOptions = {}): Connector {
  const perPage = Math.min(100, Math.max(1, options.perPage ?? 100));
  const concurrency = Math.max(1, options.countConcurrency ?? 8);

  return {
    type: "github",
    quota: githubManifest.quota,

    async connect(ctx: SyncContext) {
      const octokit = makeOctokit(ctx);
      const cached = parseCursor(ctx.cursor).user;
      const token = ctx.credentials.accessToken;
      try {
        const res = await octokit.rest.users.getAuthenticated(conditional(cached?.etag));
        const login = (res.data as { login?: unknown }).login;
        if (typeof login !== "string" || !login) throw new Error("GitHub sent a malformed response for the signed-in user");
        const etag = etagOf(res.headers);
        if (etag) connectedUsers.set(ctx.credentials, { token, etag, login });
        else connectedUsers.delete(ctx.credentials);
        return { accountLabel: login };
      } catch (err) {
        // 304: the same user as last time (GitHub checks the token before the ETag).
        if (!cached || !isNotModified(err)) throw err;
        connectedUsers.set(ctx.credentials, { token, etag: cached.etag, login: cached.login });
        return { accountLabel: cached.login };
      }
    },

    async *sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: GithubCursor }, void> {
      const { signal } = ctx;
      const octokit = makeOctokit(ctx);
      const prev = parseCursor(ctx.cursor);
      const cpParsed = checkpointSchema.safeParse(ctx.checkpoint);
      const checkpoint = ctx.checkpoint != null && cpParsed.success ? cpParsed.data : undefined;
      const maxPages = maxPagesOf(ctx);

      /** The repository as the last complete run left it. */
      const prevState = (fullName: string): GithubRepoState => {
        // With a per-repository cursor, a repository missing from it is new to us: read it all.
        const since = prev.repos ? prev.repos[fullName] : prev.since;
        const keys = since !== undefined ? prev.boundary[fullName] : undefined;
        const last = prev.issues[fullName];
        const tally = prev.tally[fullName];
        return { ...(since !== undefined ? { since } : {}), ...(keys ? { keys } : {}), ...(last ? { last } : {}), ...(tally ? { tally } : {}) };
      };
      /** Where the next listing of a repository starts, and the ETag of exactly that request. */
      const startOf = (st: GithubRepoState): { since: string | undefined; page: number; etag: string | undefined } => {
        const l = st.last;
        const usable =
          l !== undefined &&
          l.page === 1 &&
          l.perPage === perPage &&
          (l.since === null || (st.since !== undefined && Date.parse(l.since) <= Date.parse(st.since)));
        return usable ? { since: l.since ?? undefined, page: 1, etag: l.etag } : { since: st.since, page: 1, etag: undefined };
      };
      /** Read by the last complete run, unchanged since: updated before its position, or at it and listed. */
      const isOld = (st: GithubRepoState, key: string, t: { ms: number } | undefined): boolean => {
        if (st.since === undefined || !t) return false;
        const sinceMs = Date.parse(st.since);
        return t.ms < sinceMs || (t.ms === sinceMs && (st.keys?.includes(key) ?? false));
      };

      ctx.progress.stage("Listing repositories…");
      const listing = await listRepositories(octokit, signal, prev.repoPages, maxPages);
      const repos = listing.repos;
      if (listing.capped) {
        ctx.progress.capped(`Stopped at ${repos.length.toLocaleString("en-US")} repositories (SYNC_MAX_PAGES)`);
      }

      // Where to start (a resumed run continues from its checkpoint).
      let startIndex = 0;
      let resumeAt: Position | undefined;
      if (checkpoint) {
        const fromCheckpoint = (): Position => ({
          since: checkpoint.since ?? undefined,
          page: checkpoint.page,
          boundary: new Set(checkpoint.boundary ?? []),
        });
        if (checkpoint.repo !== undefined) {
          const k = repos.findIndex((r) => r.fullName === checkpoint.repo);
          if (k >= 0) {
            startIndex = k;
            resumeAt = fromCheckpoint();
          } else {
            const name = checkpoint.repo;
            const after = repos.findIndex((r) => compareNames(r.fullName, name) > 0);
            startIndex = after < 0 ? repos.length : after;
          }
        } else if (checkpoint.after !== undefined) {
          const name = checkpoint.after;
          const after = repos.findIndex((r) => compareNames(r.fullName, name) > 0);
          startIndex = after < 0 ? repos.length : after;
        } else {
          startIndex = Math.min(checkpoint.repoIndex, repos.length);
          if (checkpoint.page > 1 || checkpoint.since) resumeAt = fromCheckpoint();
        }
      }

      // What this run has read, per repository (the previous attempts' part from the checkpoint).
      const runState = new Map<string, RepoRun>();
      for (const [name, s] of Object.entries(checkpoint?.state ?? {})) {
        runState.set(name, { since: s.since, keys: new Set(s.keys ?? []), last: s.last, ...(s.tally ? { tally: s.tally } : {}) });
      }
      for (const [name, seenAt] of Object.entries(checkpoint?.seen ?? {})) {
        if (runState.has(name)) continue;
        const p = prevState(name);
        const since = later(p.since, seenAt);
        runState.set(name, { since, keys: new Set(since === p.since ? (p.keys ?? []) : []), last: undefined });
      }
      const snapshot = (): Record<string, GithubRepoState> => {
        const out: Record<string, GithubRepoState> = {};
        for (const [name, r] of runState) {
          out[name] = {
            ...(r.since !== undefined ? { since: r.since } : {}),
            ...(r.keys.size ? { keys: [...r.keys].slice(0, MAX_BOUNDARY_KEYS) } : {}),
            ...(r.last ? { last: r.last } : {}),
            ...(r.tally ? { tally: r.tally } : {}),
          };
        }
        return out;
      };

      // Survey: the total of everything this run covers (on a resumed run too, so it matches the
      // first attempt). A repository with a final-page ETag is asked with exactly that request:
      // 304 = nothing new; 200 = that page with the news, kept for the fetch below.
      ctx.progress.stage("Counting issues and pull requests…");
      const surveys = await surveyRepos({ octokit, repos, concurrency, perPage, startIndex, signal, prevState, startOf, isOld });
      ctx.progress.total(surveys.reduce((a, s) => a + s.count, 0));

      ctx.progress.stage("Fetching issues and pull requests…");
      for (let ri = startIndex; ri < repos.length; ri++) {
        const repo = repos[ri]!;
        const resuming = ri === startIndex && resumeAt !== undefined;
        let survey = surveys[ri]!.survey;
        const prior = prevState(repo.fullName);
        // 304: nothing new or edited, exactly as the last complete run left it; its cursor entry
        // carries over. Deletions do not show in that listing: the deletion check still runs.
        if (survey.kind === "unchanged" && !resuming) {
          // A 304 on a listing of the whole repository (no `since`) also says nothing was deleted.
          const check =
            prior.last?.since === null
              ? { tally: prior.tally, removed: [] }
              : await checkDeletions(octokit, repo, prior.tally, new Set(), { wholeRepo: false, probeNext: true }, signal);
          runState.set(repo.fullName, { since: prior.since, keys: new Set(prior.keys ?? []), last: prior.last, tally: check.tally });
          if (check.removed.length) {
            yield { documents: [], failures: [], removed: check.removed, checkpoint: { repoIndex: ri + 1, page: 1, since: null, after: repo.fullName, state: snapshot() } };
          }
          continue;
        }

        const run: RepoRun = runState.get(repo.fullName) ?? { since: prior.since, keys: new Set(prior.keys ?? []), last: undefined };
        run.last = undefined;
        runState.set(repo.fullName, run);
        const start = startOf(prior);
        let pos: Position = resuming && resumeAt ? resumeAt : { since: start.since, page: start.page, boundary: new Set() };
        resumeAt = undefined;
        // Issue numbers this run's listing returned (for the deletion check), and whether it covers all.
        const listed = new Set<number>();
        const wholeRepo = pos.since === undefined && pos.page === 1;
        if (survey.kind === "page" && (survey.since !== pos.since || survey.page !== pos.page)) survey = { kind: "none" };

        for (let pages = 1; ; pages++) {
          signal.throwIfAborted();
          let data: unknown[];
          let link: string | undefined;
          let etag: string | undefined;
          if (survey.kind === "page") {
            ({ data, link, etag } = survey);
          } else if (survey.kind === "gone") {
            data = [];
            link = undefined;
            etag = undefined;
          } else {
            try {
              ({ data, link, etag } = await listIssuesPage(octokit, repo, { since: pos.since, page: pos.page, perPage }));
            } catch (err) {
              if (!isGone(err)) throw err;
              data = [];
              link = undefined;
              etag = undefined;
            }
          }
          survey = { kind: "none" };

          const sinceMs = pos.since !== undefined ? Date.parse(pos.since) : undefined;
          const documents: DocumentInput[] = [];
          const failures: ItemFailure[] = [];
          const labels: string[] = [];
          const removed: string[] = [];
          const moved: Array<{ number: number; title: string | undefined }> = [];
          let newest: string | undefined;
          const keysAt = new Map<string, number>(); // item key -> updated_at ms, for the boundary
          for (const raw of data) {
            const key = rawItemKey(raw, repo.fullName);
            const t = timeOf(raw);
            if (t) {
              keysAt.set(key, t.ms);
              newest = later(newest, t.iso);
              // The repository's read position and the items read at exactly it.
              const runMs = run.since !== undefined ? Date.parse(run.since) : undefined;
              if (runMs === undefined || t.ms > runMs) {
                run.since = t.iso;
                run.keys = new Set([key]);
              } else if (t.ms === runMs && run.keys.size < MAX_BOUNDARY_KEYS) {
                run.keys.add(key);
              }
            }
            // Already handled on the previous page of this run (inclusive `since`, unchanged since).
            if (t && sinceMs !== undefined && t.ms === sinceMs && pos.boundary.has(key)) continue;
            const number = (raw as { number?: unknown } | null)?.number;
            if (typeof number === "number" && Number.isInteger(number) && number > 0) listed.add(number);
            // Already handled by the last complete run, unchanged since.
            if (isOld(prior, key, t)) continue;
            if (typeof number === "number" && listedElsewhere(raw, repo)) {
              const title = (raw as { title?: unknown }).title;
              moved.push({ number, title: typeof title === "string" ? title : undefined });
              continue;
            }
            const result = transformIssue(raw, repo.fullName);
            if (result.ok) {
              documents.push(result.document);
              labels.push(result.label);
            } else {
              failures.push(result.failure);
            }
          }

          // Transferred while listed: read each on its own (./moved.ts).
          for (const m of moved) {
            signal.throwIfAborted();
            const outcome = await readMovedIssue(octokit, repo, m.number, m.title);
            if (outcome.removed) removed.push(outcome.removed);
            if (outcome.kind === "document") {
              documents.push(outcome.document);
              labels.push(outcome.label);
            } else {
              failures.push(outcome.failure);
            }
          }

          let more = hasMore(data, link, perPage);
          const cap = more && pages >= maxPages;
          if (cap) {
            more = false;
            ctx.progress.capped(`Stopped at ${maxPages.toLocaleString("en-US")} pages of issues in ${repo.fullName} (SYNC_MAX_PAGES); the next sync continues from there`);
          }
          let next: GithubCheckpoint;
          if (!more) {
            // The final page: the next run starts with exactly this request (never a full page).
            if (!cap && etag && pos.page === 1) run.last = { etag, since: pos.since ?? null, page: 1, perPage };
            // Deleted or transferred since the last run: they leave the library with this page.
            if (!cap) {
              // The next run re-reads the whole repository when this final page had no `since`.
              const probeNext = run.last?.since !== null;
              const check = await checkDeletions(octokit, repo, prior.tally, listed, { wholeRepo, probeNext }, signal);
              run.tally = check.tally;
              removed.push(...check.removed);
            }
            next = { repoIndex: ri + 1, page: 1, since: null, after: repo.fullName };
          } else {
            const newestMs = newest !== undefined ? Date.parse(newest) : undefined;
            if (newest !== undefined && newestMs !== undefined && (sinceMs === undefined || newestMs > sinceMs)) {
              const boundary = [...keysAt].filter(([, ms]) => ms === newestMs).map(([k]) => k);
              pos = { since: newest, page: 1, boundary: new Set(boundary) };
            } else {
              // The whole page shares one updated_at: step by page number at the same `since`.
              const boundary = new Set(pos.boundary);
              for (const [k, ms] of keysAt) if (ms === sinceMs) boundary.add(k);
              pos = { since: pos.since, page: pos.page + 1, boundary };
            }
            next = {
              repoIndex: ri,
              page: pos.page,
              since: pos.since ?? null,
              repo: repo.fullName,
              boundary: [...pos.boundary],
            };
          }
          next.state = snapshot();
          yield { documents, failures, labels, ...(removed.length ? { removed } : {}), checkpoint: next };
          if (!more) break;
        }
      }

      const cursor = buildCursor(repos, runState, prevState, prev.since, listing.pages);
      const fresh = connectedUsers.get(ctx.credentials);
      const user = fresh && fresh.token === ctx.credentials.accessToken ? { etag: fresh.etag, login: fresh.login } : prev.user;
      if (user) cursor.etags.user = user;
      return { cursor };
    },
  };
}

export const githubConnector: Connector = createGithubConnector();
