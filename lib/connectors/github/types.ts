// The GitHub connector's saved state (cursor between runs, checkpoint inside a run), the zod
// schemas that read it back (anything that does not parse is ignored, never trusted), and the
// small pure helpers on repository names and positions.
import { z } from "zod";

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

/**
 * What the deletion check knows of a repository (./deletions.ts): `top` is the highest issue
 * number read, `known` how many issues with a number up to `top` were live at the last check
 * (so the one at position `known` in creation order is `top`), `etag` that probe's ETag.
 */
export interface GithubTally {
  top: number;
  known: number;
  etag?: string;
}

export interface GithubCursor {
  since: string | null;
  /** Per repository, for the deletion check. */
  tally?: Record<string, GithubTally>;
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
  tally?: GithubTally;
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


export const etagEntrySchema = z.object({
  etag: z.string().min(1),
  since: z.string().nullable(),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1).max(100),
});

export const tallySchema = z.object({
  top: z.number().int().min(0),
  known: z.number().int().min(0),
  etag: z.string().min(1).optional(),
});

export const fullNameSchema = z.string().regex(/^[^/\s]+\/[^/\s]+$/);

export const cursorSchema = z.object({
  since: z.string().nullish(),
  repos: z.record(z.string(), z.string()).nullish(),
  tally: z.record(z.string(), tallySchema).nullish().catch(undefined),
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

export const repoStateSchema = z.object({
  since: z.string().optional(),
  keys: z.array(z.string()).optional(),
  last: etagEntrySchema.optional(),
  tally: tallySchema.optional(),
});

export const checkpointSchema = z.object({
  repoIndex: z.number().int().min(0),
  page: z.number().int().min(1),
  since: z.string().nullish(),
  repo: z.string().optional(),
  after: z.string().optional(),
  boundary: z.array(z.string()).optional(),
  state: z.record(z.string(), repoStateSchema).optional(),
  seen: z.record(z.string(), z.string()).optional(),
});

export const repoSchema = z.looseObject({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.looseObject({ login: z.string().min(1) }),
});

export interface RepoRef {
  owner: string;
  name: string;
  fullName: string;
}

export interface Position {
  since: string | undefined;
  page: number;
  boundary: Set<string>;
}

/** Live per-repository state during a run. */
export interface RepoRun {
  since: string | undefined;
  keys: Set<string>;
  last: GithubListingEtag | undefined;
  /** The deletion check's result, once done in this run. */
  tally?: GithubTally;
}

/** What the survey learnt about a repository, for the fetch phase. */
export type Survey =
  | { kind: "unchanged" }
  | { kind: "gone" }
  /** The first page at the repository's start position, kept so it is not requested twice. */
  | { kind: "page"; since: string | undefined; page: number; data: unknown[]; link: string | undefined; etag: string | undefined }
  | { kind: "none" };
export interface ParsedCursor {
  since: string | undefined;
  repos: Record<string, string> | undefined;
  tally: Record<string, GithubTally>;
  boundary: Record<string, string[]>;
  user: { etag: string; login: string } | undefined;
  repoPages: GithubRepoPageEtag[] | undefined;
  issues: Record<string, GithubListingEtag>;
}

export function parseCursor(raw: unknown): ParsedCursor {
  const parsed = cursorSchema.safeParse(raw);
  const empty: ParsedCursor = { since: undefined, repos: undefined, tally: {}, boundary: {}, user: undefined, repoPages: undefined, issues: {} };
  if (!parsed.success) return empty;
  const c = parsed.data;
  return {
    since: c.since ?? undefined,
    repos: c.repos ?? undefined,
    tally: c.tally ?? {},
    boundary: c.boundary ?? {},
    user: c.etags?.user ?? undefined,
    repoPages: c.etags?.repoPages ?? undefined,
    issues: c.etags?.issues ?? {},
  };
}

/** full_name order, case-insensitive like GitHub, ties by code point; used for sorting and for resuming. */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function timeOf(raw: unknown): { ms: number; iso: string } | undefined {
  const v = typeof raw === "object" && raw !== null ? (raw as { updated_at?: unknown }).updated_at : undefined;
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? { ms, iso: v } : undefined;
}

export function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function refOf(fullName: string): RepoRef {
  const k = fullName.indexOf("/");
  return { owner: fullName.slice(0, k), name: fullName.slice(k + 1), fullName };
}
