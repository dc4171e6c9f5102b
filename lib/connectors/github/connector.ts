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
// Resuming: the checkpoint says where to continue and carries the state of every repository
// read so far in this run (its position, boundary and final ETag), so a resumed run ends with
// the same cursor as an uninterrupted one. ETags of the repositories read before the
// interruption describe what was read then: if they changed since, the next run sees a 200.
import { z } from "zod";
import type { Octokit } from "@octokit/rest";
import type {
  Connector,
  ConnectorCredentials,
  DocumentInput,
  ItemFailure,
  QuotaSpec,
  SyncContext,
  SyncPage,
} from "@/lib/connectors/types";
import { makeOctokit } from "./client";
import { rawItemKey, transformIssue } from "./transform";

/** The exact listing request an ETag belongs to (state=all&sort=updated&direction=asc). */
export interface GithubListingEtag {
  etag: string;
  /** null: the request had no `since`. */
  since: string | null;
  page: number;
  perPage: number;
}

export interface GithubRepoPageEtag {
  etag: string;
  /** full_name of the repositories on that page, in GitHub's order. */
  repos: string[];
  /** Whether another page was (or may be) there. */
  more: boolean;
}

export interface GithubEtags {
  user?: { etag: string; login: string };
  /** GET /user/repos?per_page=100&page=k, k = 1…; absent when the list was too long to keep. */
  repoPages?: GithubRepoPageEtag[];
  issues: Record<string, GithubListingEtag>;
}

export interface GithubCursor {
  since: string | null;
  /** Newest updated_at read, per repository. */
  repos: Record<string, string>;
  /** Items read at exactly repos[name] (at most MAX_BOUNDARY_KEYS per repository). */
  boundary: Record<string, string[]>;
  etags: GithubEtags;
}

/** What the run knows of one repository: read position, boundary items, final listing ETag. */
export interface GithubRepoState {
  since?: string;
  keys?: string[];
  last?: GithubListingEtag;
}

/**
 * Where to resume. `repoIndex` and `page` say "continue at this repository (in full_name order)
 * and this page". `repo` (resume inside that repository) or `after` (resume at the first
 * repository sorting after it) make that robust to repositories appearing or disappearing in
 * between; `since` and `boundary` are the keyset position inside the repository; `state` is
 * what this run has read so far per repository (`seen`: the newest updated_at only, the shape
 * of older checkpoints), so the cursor of a resumed run is exact.
 */
export interface GithubCheckpoint {
  repoIndex: number;
  page: number;
  since: string | null;
  repo?: string;
  after?: string;
  boundary?: string[];
  state?: Record<string, GithubRepoState>;
  seen?: Record<string, string>;
}

export interface GithubConnectorOptions {
  /** Issues per request (GitHub's maximum is 100). */
  perPage?: number;
  /** Parallel survey requests. */
  countConcurrency?: number;
}

/**
 * GitHub's REST limits for a user token: 5,000 requests per hour (primary), at most 100
 * concurrent requests and 900 points per minute per endpoint (secondary; a GET is 1 point).
 * A burst of 500 lets a typical first sync run unpaced and stays well under 900 a minute;
 * after it, requests are paced to the hourly rate. A conditional request answered 304 costs
 * GitHub nothing, but whether the answer will be 304 is unknown up front: every request
 * costs 1 here.
 */
export const GITHUB_QUOTA: QuotaSpec = {
  capacity: 500,
  refillPerSecond: 5_000 / 3_600,
  cost: () => 1,
  maxConcurrency: 20,
};

const etagEntrySchema = z.object({
  etag: z.string().min(1),
  since: z.string().nullable(),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1).max(100),
});

const fullNameSchema = z.string().regex(/^[^/\s]+\/[^/\s]+$/);

const cursorSchema = z.object({
  since: z.string().nullish(),
  repos: z.record(z.string(), z.string()).nullish(),
  boundary: z.record(z.string(), z.array(z.string())).nullish().catch(undefined),
  etags: z
    .object({
      user: z.object({ etag: z.string().min(1), login: z.string().min(1) }).nullish(),
      repoPages: z.array(z.object({ etag: z.string().min(1), repos: z.array(fullNameSchema), more: z.boolean() })).nullish(),
      issues: z.record(z.string(), etagEntrySchema).nullish(),
    })
    .nullish()
    .catch(undefined),
});

const repoStateSchema = z.object({
  since: z.string().optional(),
  keys: z.array(z.string()).optional(),
  last: etagEntrySchema.optional(),
});

const checkpointSchema = z.object({
  repoIndex: z.number().int().min(0),
  page: z.number().int().min(1),
  since: z.string().nullish(),
  repo: z.string().optional(),
  after: z.string().optional(),
  boundary: z.array(z.string()).optional(),
  state: z.record(z.string(), repoStateSchema).optional(),
  seen: z.record(z.string(), z.string()).optional(),
});

const repoSchema = z.looseObject({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.looseObject({ login: z.string().min(1) }),
});

interface RepoRef {
  owner: string;
  name: string;
  fullName: string;
}

interface Position {
  since: string | undefined;
  page: number;
  boundary: Set<string>;
}

/** Live per-repository state during a run. */
interface RepoRun {
  since: string | undefined;
  keys: Set<string>;
  last: GithubListingEtag | undefined;
}

/** What the survey learnt about a repository, for the fetch phase. */
type Survey =
  | { kind: "unchanged" }
  | { kind: "gone" }
  /** The first page at the repository's start position, kept so it is not requested twice. */
  | { kind: "page"; since: string | undefined; page: number; data: unknown[]; link: string | undefined; etag: string | undefined }
  | { kind: "none" };

const REPOS_PER_PAGE = 100;
const DEFAULT_MAX_PAGES = 1_000;
/** Repository-list pages whose ETags the cursor keeps (2,000 repositories). */
const MAX_CACHED_REPO_PAGES = 20;
/** Items at one boundary time kept in the cursor (beyond: they may come once more, harmlessly). */
const MAX_BOUNDARY_KEYS = 100;
/** Items of surveyed first pages kept in memory for the fetch phase (the rest are requested again). */
const SURVEY_CACHE_ITEMS = 2_000;

/** full_name order, case-insensitive like GitHub, ties by code point; used for sorting and for resuming. */
function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function linkTarget(link: string | undefined, rel: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^<>]+)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (m && m[2]!.split(/\s+/).includes(rel)) return m[1];
  }
  return undefined;
}

function expectArray(data: unknown, what: string): unknown[] {
  if (Array.isArray(data)) return data;
  const got = typeof data === "string" ? `${data.length} characters of unparseable text` : data === null ? "null" : typeof data;
  throw new Error(`GitHub sent a malformed response for ${what}: expected a JSON array, got ${got}`);
}

function statusOf(err: unknown): unknown {
  return typeof err === "object" && err !== null ? (err as { status?: unknown }).status : undefined;
}

/** 404 / 410 on a repository's issues: it was deleted, hidden from us, or has issues disabled. */
function isGone(err: unknown): boolean {
  const status = statusOf(err);
  return status === 404 || status === 410;
}

/** Octokit throws a RequestError with status 304 for "Not modified". */
function isNotModified(err: unknown): boolean {
  return statusOf(err) === 304;
}

function etagOf(headers: Record<string, unknown>): string | undefined {
  const v = headers.etag;
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function conditional(etag: string | undefined): { headers?: { "if-none-match": string } } {
  return etag ? { headers: { "if-none-match": etag } } : {};
}

function timeOf(raw: unknown): { ms: number; iso: string } | undefined {
  const v = typeof raw === "object" && raw !== null ? (raw as { updated_at?: unknown }).updated_at : undefined;
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? { ms, iso: v } : undefined;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** A page is the last one when it is neither full nor followed by rel="next". */
function hasMore(data: unknown[], link: string | undefined, perPage: number): boolean {
  return data.length > 0 && (linkTarget(link, "next") !== undefined || data.length >= perPage);
}

function refOf(fullName: string): RepoRef {
  const k = fullName.indexOf("/");
  return { owner: fullName.slice(0, k), name: fullName.slice(k + 1), fullName };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const k = next++;
      try {
        out[k] = await fn(items[k]!, k);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

interface RepoListing {
  repos: RepoRef[];
  /** ETags per page for the cursor (undefined: not kept). */
  pages: GithubRepoPageEtag[] | undefined;
  capped: boolean;
}

async function listRepositories(
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

async function countItems(octokit: Octokit, repo: RepoRef, since: string | undefined, signal: AbortSignal): Promise<number> {
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

interface ParsedCursor {
  since: string | undefined;
  repos: Record<string, string> | undefined;
  boundary: Record<string, string[]>;
  user: { etag: string; login: string } | undefined;
  repoPages: GithubRepoPageEtag[] | undefined;
  issues: Record<string, GithubListingEtag>;
}

function parseCursor(raw: unknown): ParsedCursor {
  const parsed = cursorSchema.safeParse(raw);
  const empty: ParsedCursor = { since: undefined, repos: undefined, boundary: {}, user: undefined, repoPages: undefined, issues: {} };
  if (!parsed.success) return empty;
  const c = parsed.data;
  return {
    since: c.since ?? undefined,
    repos: c.repos ?? undefined,
    boundary: c.boundary ?? {},
    user: c.etags?.user ?? undefined,
    repoPages: c.etags?.repoPages ?? undefined,
    issues: c.etags?.issues ?? {},
  };
}

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
    quota: GITHUB_QUOTA,

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
        return { ...(since !== undefined ? { since } : {}), ...(keys ? { keys } : {}), ...(last ? { last } : {}) };
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
        runState.set(name, { since: s.since, keys: new Set(s.keys ?? []), last: s.last });
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
          };
        }
        return out;
      };

      // Survey: the total of everything this run covers (on a resumed run too, so it matches the
      // first attempt). A repository with a final-page ETag is asked with exactly that request:
      // 304 = nothing new; 200 = that page with the news, kept for the fetch below.
      ctx.progress.stage("Counting issues and pull requests…");
      let cacheBudget = SURVEY_CACHE_ITEMS;
      const surveys = await mapLimit(repos, concurrency, async (repo, ri): Promise<{ count: number; survey: Survey }> => {
        signal.throwIfAborted();
        const st = prevState(repo.fullName);
        const start = startOf(st);
        if (!start.etag) {
          const c = await countItems(octokit, repo, st.since, signal);
          return { count: Math.max(0, c - (st.keys?.length ?? 0)), survey: { kind: "none" } };
        }
        try {
          const res = await octokit.rest.issues.listForRepo({
            owner: repo.owner,
            repo: repo.name,
            state: "all",
            sort: "updated",
            direction: "asc",
            per_page: perPage,
            page: start.page,
            ...(start.since ? { since: start.since } : {}),
            ...conditional(start.etag),
          });
          const data = expectArray(res.data, `the issues of ${repo.fullName} (page ${start.page})`);
          const link = res.headers.link;
          let count = data.filter((raw) => !isOld(st, rawItemKey(raw, repo.fullName), timeOf(raw))).length;
          if (hasMore(data, link, perPage)) {
            const c = await countItems(octokit, repo, st.since, signal);
            count = Math.max(count, c - (st.keys?.length ?? 0));
          }
          const keep = ri >= startIndex && data.length <= cacheBudget;
          if (keep) cacheBudget -= data.length;
          return {
            count,
            survey: keep
              ? { kind: "page", since: start.since, page: start.page, data, link, etag: etagOf(res.headers) }
              : { kind: "none" },
          };
        } catch (err) {
          if (isNotModified(err)) return { count: 0, survey: { kind: "unchanged" } };
          if (isGone(err)) return { count: 0, survey: { kind: "gone" } };
          throw err;
        }
      });
      ctx.progress.total(surveys.reduce((a, s) => a + s.count, 0));

      ctx.progress.stage("Fetching issues and pull requests…");
      for (let ri = startIndex; ri < repos.length; ri++) {
        const repo = repos[ri]!;
        const resuming = ri === startIndex && resumeAt !== undefined;
        let survey = surveys[ri]!.survey;
        // 304: exactly as the last complete run left it; its cursor entry carries over.
        if (survey.kind === "unchanged" && !resuming) continue;

        const prior = prevState(repo.fullName);
        const run: RepoRun = runState.get(repo.fullName) ?? { since: prior.since, keys: new Set(prior.keys ?? []), last: undefined };
        run.last = undefined;
        runState.set(repo.fullName, run);
        const start = startOf(prior);
        let pos: Position = resuming && resumeAt ? resumeAt : { since: start.since, page: start.page, boundary: new Set() };
        resumeAt = undefined;
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
              const res = await octokit.rest.issues.listForRepo({
                owner: repo.owner,
                repo: repo.name,
                state: "all",
                sort: "updated",
                direction: "asc",
                per_page: perPage,
                page: pos.page,
                ...(pos.since ? { since: pos.since } : {}),
              });
              data = expectArray(res.data, `the issues of ${repo.fullName} (page ${pos.page})`);
              link = res.headers.link;
              etag = etagOf(res.headers);
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
            // Already handled by the last complete run, unchanged since.
            if (isOld(prior, key, t)) continue;
            const result = transformIssue(raw, repo.fullName);
            if (result.ok) {
              documents.push(result.document);
              labels.push(result.label);
            } else {
              failures.push(result.failure);
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
          yield { documents, failures, labels, checkpoint: next };
          if (!more) break;
        }
      }

      // The cursor: this run's state where it read a repository, the last run's elsewhere.
      const cursor: GithubCursor = { since: null, repos: {}, boundary: {}, etags: { issues: {} } };
      let newestSeen: string | undefined;
      for (const r of repos) {
        const live = runState.get(r.fullName);
        const st: GithubRepoState = live
          ? { since: live.since, keys: [...live.keys], ...(live.last ? { last: live.last } : {}) }
          : prevState(r.fullName);
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
      cursor.since = newestSeen ?? prev.since ?? null;
      if (listing.pages) cursor.etags.repoPages = listing.pages;
      const fresh = connectedUsers.get(ctx.credentials);
      const user = fresh && fresh.token === ctx.credentials.accessToken ? { etag: fresh.etag, login: fresh.login } : prev.user;
      if (user) cursor.etags.user = user;
      return { cursor };
    },
  };
}

export const githubConnector: Connector = createGithubConnector();
