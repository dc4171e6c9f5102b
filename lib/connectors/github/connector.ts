// GitHub connector: the issues and pull requests of every repository the token can see.
//
// Order of work: list repositories (sorted by full_name) -> count items per repository
// (per_page=1 + Link rel="last") -> for each repository, page through
// GET /repos/{owner}/{repo}/issues?state=all&sort=updated&direction=asc&per_page=100[&since].
//
// Paging is by `since` (keyset), not only by page number: after a full page whose newest item
// is newer than the current `since`, the next request is `since=<that updated_at>&page=1`.
// With sort=updated&direction=asc, an issue edited while we page moves to the end of the list;
// plain page numbers would then shift every later item down by one and silently skip one item
// per edit. GitHub's `since` is inclusive, so the boundary items (same updated_at, already seen)
// come back first; they are recognised by id and dropped, so nothing is processed twice.
//
// Cursor (saved after a complete run): { since, repos: { "<owner>/<repo>": "<max updated_at seen>" } }.
// It is kept per repository: one global "max updated_at" would lose an edit made in an
// already-synced repository while a later repository was still being read, and would skip
// the older items of a repository that became visible after the last run.
// `since` is the newest updated_at seen in the run (or the previous one's): informational,
// and what an older cursor without `repos` used for every repository.
import { z } from "zod";
import type { Octokit } from "@octokit/rest";
import type { Connector, ItemFailure, DocumentInput, SyncContext, SyncPage } from "@/lib/connectors/types";
import { makeOctokit } from "./client";
import { rawItemKey, transformIssue } from "./transform";

export interface GithubCursor {
  since: string | null;
  repos: Record<string, string>;
}

/**
 * Where to resume. `repoIndex` and `page` say "continue at this repository (in full_name order)
 * and this page". `repo` (resume inside that repository) or `after` (resume at the first
 * repository sorting after it) make that robust to repositories appearing or disappearing in
 * between; `since` and `boundary` are the keyset position inside the repository; `seen` is the
 * newest updated_at seen so far per repository, so the cursor of a resumed run is exact.
 */
export interface GithubCheckpoint {
  repoIndex: number;
  page: number;
  since: string | null;
  repo?: string;
  after?: string;
  boundary?: string[];
  seen?: Record<string, string>;
}

export interface GithubConnectorOptions {
  /** Issues per request (GitHub's maximum is 100). */
  perPage?: number;
  /** Parallel count requests. */
  countConcurrency?: number;
}

const cursorSchema = z.object({
  since: z.string().nullish(),
  repos: z.record(z.string(), z.string()).nullish(),
});

const checkpointSchema = z.object({
  repoIndex: z.number().int().min(0),
  page: z.number().int().min(1),
  since: z.string().nullish(),
  repo: z.string().optional(),
  after: z.string().optional(),
  boundary: z.array(z.string()).optional(),
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

const MAX_REPO_PAGES = 1_000;

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

/** 404 / 410 on a repository's issues: it was deleted, hidden from us, or has issues disabled. */
function isGone(err: unknown): boolean {
  const status = typeof err === "object" && err !== null ? (err as { status?: unknown }).status : undefined;
  return status === 404 || status === 410;
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

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const k = next++;
      try {
        out[k] = await fn(items[k]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

async function listRepositories(octokit: Octokit, signal: AbortSignal): Promise<RepoRef[]> {
  const byName = new Map<string, RepoRef>();
  for (let page = 1; page <= MAX_REPO_PAGES; page++) {
    signal.throwIfAborted();
    const res = await octokit.rest.repos.listForAuthenticatedUser({ per_page: 100, page });
    const data = expectArray(res.data, `the repository list (page ${page})`);
    for (const raw of data) {
      const parsed = repoSchema.safeParse(raw);
      if (!parsed.success) throw new Error(`GitHub sent a malformed repository in the repository list (page ${page})`);
      const r = parsed.data;
      byName.set(r.full_name, { owner: r.owner.login, name: r.name, fullName: r.full_name });
    }
    if (data.length === 0 || !linkTarget(res.headers.link, "next")) break;
  }
  return [...byName.values()].sort((a, b) => compareNames(a.fullName, b.fullName));
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

function parseCursor(raw: unknown): { since: string | undefined; repos: Record<string, string> | undefined } {
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) return { since: undefined, repos: undefined };
  return { since: parsed.data.since ?? undefined, repos: parsed.data.repos ?? undefined };
}

export function createGithubConnector(options: GithubConnectorOptions = {}): Connector {
  const perPage = Math.min(100, Math.max(1, options.perPage ?? 100));
  const concurrency = Math.max(1, options.countConcurrency ?? 8);

  return {
    type: "github",

    async connect(ctx: SyncContext) {
      const octokit = makeOctokit(ctx);
      const res = await octokit.rest.users.getAuthenticated();
      const login = (res.data as { login?: unknown }).login;
      if (typeof login !== "string" || !login) throw new Error("GitHub sent a malformed response for the signed-in user");
      return { accountLabel: login };
    },

    async *sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: GithubCursor }, void> {
      const { signal } = ctx;
      const octokit = makeOctokit(ctx);
      const prev = parseCursor(ctx.cursor);
      const cpParsed = checkpointSchema.safeParse(ctx.checkpoint);
      const checkpoint = ctx.checkpoint != null && cpParsed.success ? cpParsed.data : undefined;
      // With a per-repository cursor, a repository missing from it is new to us: read it all.
      const sinceFor = (fullName: string): string | undefined => (prev.repos ? prev.repos[fullName] : prev.since);

      ctx.progress.stage("Listing repositories…");
      const repos = await listRepositories(octokit, signal);

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
      const seen = new Map<string, string>(Object.entries(checkpoint?.seen ?? {}));

      // Total: everything this run covers (on a resumed run too, so it matches the first attempt).
      ctx.progress.stage("Counting issues and pull requests…");
      const counts = await mapLimit(repos, concurrency, (r) => countItems(octokit, r, sinceFor(r.fullName), signal));
      ctx.progress.total(counts.reduce((a, b) => a + b, 0));

      ctx.progress.stage("Fetching issues and pull requests…");
      for (let ri = startIndex; ri < repos.length; ri++) {
        const repo = repos[ri]!;
        let pos: Position =
          ri === startIndex && resumeAt ? resumeAt : { since: sinceFor(repo.fullName), page: 1, boundary: new Set() };
        resumeAt = undefined;

        for (;;) {
          signal.throwIfAborted();
          let data: unknown[];
          let link: string | undefined;
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
          } catch (err) {
            if (!isGone(err)) throw err;
            data = [];
            link = undefined;
          }

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
            }
            // Already handled on the previous page of this run (inclusive `since`, unchanged since).
            if (t && sinceMs !== undefined && t.ms === sinceMs && pos.boundary.has(key)) continue;
            const result = transformIssue(raw, repo.fullName);
            if (result.ok) {
              documents.push(result.document);
              labels.push(result.label);
            } else {
              failures.push(result.failure);
            }
          }
          const repoNewest = later(seen.get(repo.fullName), newest);
          if (repoNewest !== undefined) seen.set(repo.fullName, repoNewest);

          const hasNext = data.length > 0 && linkTarget(link, "next") !== undefined;
          let next: GithubCheckpoint;
          if (!hasNext) {
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
          next.seen = Object.fromEntries(seen);
          yield { documents, failures, labels, checkpoint: next };
          if (!hasNext) break;
        }
      }

      const cursorRepos: Record<string, string> = {};
      for (const r of repos) {
        const since = seen.get(r.fullName) ?? sinceFor(r.fullName);
        if (since !== undefined) cursorRepos[r.fullName] = since;
      }
      let newestSeen: string | undefined;
      for (const v of seen.values()) newestSeen = later(newestSeen, v);
      return { cursor: { since: newestSeen ?? prev.since ?? null, repos: cursorRepos } };
    },
  };
}

export const githubConnector: Connector = createGithubConnector();
