// The Gmail connector's saved positions (JSON, stored by the engine).

/** Saved after a complete run: the mailbox history position the next run continues from. */
export interface GmailCursor {
  historyId: string;
}

/** The listing stopped at SYNC_MAX_PAGES pages: how many, and the last message id it reached. */
export interface GmailCap {
  pages: number;
  lastId: string;
}

/**
 * Where an interrupted full sync continues. Messages are handled in messages.list order (newest
 * first), so the handled ones are always a prefix of the listing: `done` of them, ending with the
 * ids in `last` (most recent first). A resumed run lists again from `pageToken` (the list page
 * holding last[0]) and continues right after last[0]; when that page no longer holds it, it lists
 * from the start and continues after the first of `last` it finds (or, if all of them are gone,
 * after `done` messages). Messages that arrived after the original listing are not in this run:
 * the cursor `historyId` was read before that listing, so the next incremental sync fetches them.
 */
export interface GmailFullCheckpoint {
  phase: "full";
  /** The cursor this run ends with: the mailbox historyId read before listing. */
  historyId: string;
  /** Messages the original listing found (the run's total). */
  total: number;
  /** Messages handled so far (documents + failures), all attempts together. */
  done: number;
  /** The last handled message ids, most recent first (at most 3). */
  last: string[];
  /** messages.list page token of the page holding last[0] (null: the first page). */
  pageToken: string | null;
  capped?: GmailCap;
}

/**
 * Where an interrupted incremental sync continues: the same history.list(startHistoryId) again
 * (history only grows at its end, so its order is stable), continuing after last[0].
 */
export interface GmailIncrementalCheckpoint {
  phase: "incremental";
  startHistoryId: string;
  total: number;
  done: number;
  last: string[];
}

export type GmailCheckpoint = GmailFullCheckpoint | GmailIncrementalCheckpoint;

export interface GmailConnectorOptions {
  /** messages.list maxResults (Gmail's maximum and the default: 500). */
  listPageSize?: number;
  /** history.list maxResults (Gmail's maximum and the default: 500). */
  historyPageSize?: number;
  /** Emails per SyncPage (default 100). */
  pageSize?: number;
  /** messages.get requests in flight (default GMAIL_QUOTA.maxConcurrency). */
  concurrency?: number;
}

// ---------------------------------------------------------------- reading them back

export const DIGITS = /^\d{1,20}$/;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function idList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "").slice(0, 3) : [];
}

export function parseCursor(raw: unknown): GmailCursor | undefined {
  if (!isObject(raw)) return undefined;
  const h = raw.historyId;
  if (typeof h === "string" && DIGITS.test(h)) return { historyId: h };
  if (typeof h === "number" && Number.isSafeInteger(h) && h >= 0) return { historyId: String(h) };
  return undefined;
}

export function parseCheckpoint(raw: unknown): GmailCheckpoint | undefined {
  if (!isObject(raw)) return undefined;
  const total = count(raw.total);
  const done = count(raw.done);
  if (total === undefined || done === undefined) return undefined;
  const last = idList(raw.last);
  if (raw.phase === "full" && typeof raw.historyId === "string" && DIGITS.test(raw.historyId)) {
    const cp: GmailFullCheckpoint = {
      phase: "full",
      historyId: raw.historyId,
      total,
      done,
      last,
      pageToken: typeof raw.pageToken === "string" && raw.pageToken ? raw.pageToken : null,
    };
    if (isObject(raw.capped) && count(raw.capped.pages) && typeof raw.capped.lastId === "string") {
      cp.capped = { pages: raw.capped.pages as number, lastId: raw.capped.lastId };
    }
    return cp;
  }
  if (raw.phase === "incremental" && typeof raw.startHistoryId === "string" && DIGITS.test(raw.startHistoryId)) {
    return { phase: "incremental", startHistoryId: raw.startHistoryId, total, done, last };
  }
  return undefined;
}
