// The Gmail listings the connector pages through: messages.list (a full sync) and history.list
// (an incremental one), with the ids they hand out.
import type { gmail_v1 } from "@googleapis/gmail";
import type { SyncContext } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { explainGmailError as explain, isNotFound, type GmailApi } from "./client";
import { DIGITS, isObject, type GmailCap } from "./types";


export interface Listing {
  ids: string[];
  /** Where each list page starts in `ids` and the token that fetched it (null: the first page). */
  pages: Array<{ start: number; token: string | null }>;
  capped?: GmailCap;
}

export function listedIds(data: { messages?: unknown }, what: string): string[] {
  if (data.messages === undefined || data.messages === null) return [];
  if (!Array.isArray(data.messages)) throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: "messages" is not a list`);
  return data.messages.map((m) => {
    if (!isObject(m) || typeof m.id !== "string" || !m.id) throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: a message without an id`);
    return m.id;
  });
}

export function pageOf(listing: Listing, index: number): string | null {
  let lo = 0;
  let hi = listing.pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (listing.pages[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  return listing.pages[lo]?.token ?? null;
}

export function cappedNote(pages: number): string {
  return `Stopped after ${pages.toLocaleString("en-US")} pages of emails (SYNC_MAX_PAGES)`;
}

/**
 * messages.list from `fromToken` on, at most maxPages pages, stopping after `stopAt` (a capped
 * run's last id). `accept` sees the first page and may refuse it (the resume boundary is not in
 * it): the listing then ends there and null is returned.
 */
export async function listMessages(
  api: GmailApi,
  ctx: SyncContext,
  listPageSize: number,
  opts: { fromToken: string | null; stopAt?: string; accept?: (firstPage: string[]) => boolean },
): Promise<Listing | null> {
  const listing: Listing = { ids: [], pages: [] };
  const seen = new Set<string>();
  const maxPages = Math.max(1, ctx.limits.maxPages);
  let token = opts.fromToken;
  for (let page = 1; ; page++) {
    ctx.signal.throwIfAborted();
    const data = await api.listMessages({ maxResults: listPageSize, ...(token ? { pageToken: token } : {}) }).catch((e) => {
      throw explain(e);
    });
    const ids = listedIds(data, `the message list (page ${page})`);
    if (page === 1 && opts.accept && !opts.accept(ids)) return null;
    listing.pages.push({ start: listing.ids.length, token });
    let stopped = false;
    for (const id of ids) {
      // Mail arriving while we list can shift an id onto two pages: handle it once.
      if (!seen.has(id)) {
        seen.add(id);
        listing.ids.push(id);
      }
      if (id === opts.stopAt) {
        stopped = true;
        break;
      }
    }
    const next = typeof data.nextPageToken === "string" && data.nextPageToken ? data.nextPageToken : null;
    if (stopped || !next) break;
    if (page >= maxPages) {
      const lastId = listing.ids.at(-1);
      if (lastId !== undefined) listing.capped = { pages: maxPages, lastId };
      break;
    }
    if (page % 10 === 0) ctx.progress.stage(`Listing emails… ${listing.ids.length.toLocaleString("en-US")} found`);
    token = next;
  }
  return listing;
}

/** history.list(startHistoryId) over every page: the new message ids, oldest first. Throws the 404 of expired history. */
export async function listHistory(
  api: GmailApi,
  ctx: SyncContext,
  historyPageSize: number,
  startHistoryId: string,
): Promise<{ ids: string[]; historyId: string; cappedAt?: number }> {
  const ids: string[] = [];
  const seen = new Set<string>();
  const maxPages = Math.max(1, ctx.limits.maxPages);
  let token: string | null = null;
  let historyId: string | undefined;
  let lastRecord: string | undefined;
  for (let page = 1; ; page++) {
    ctx.signal.throwIfAborted();
    const data: gmail_v1.Schema$ListHistoryResponse = await api.listHistory({ startHistoryId, maxResults: historyPageSize, ...(token ? { pageToken: token } : {}) }).catch((e) => {
      throw isNotFound(e) ? e : explain(e);
    });
    const what = `the mailbox history (page ${page})`;
    if (page === 1) {
      if (typeof data.historyId !== "string" || !DIGITS.test(data.historyId)) {
        throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: no historyId`);
      }
      historyId = data.historyId;
    }
    if (data.history !== undefined && data.history !== null && !Array.isArray(data.history)) {
      throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: "history" is not a list`);
    }
    for (const record of data.history ?? []) {
      if (!isObject(record)) continue;
      if (typeof record.id === "string" && DIGITS.test(record.id)) lastRecord = record.id;
      for (const added of Array.isArray(record.messagesAdded) ? record.messagesAdded : []) {
        const id = isObject(added) && isObject(added.message) ? added.message.id : undefined;
        if (typeof id === "string" && id && !seen.has(id)) {
          seen.add(id);
          ids.push(id);
        }
      }
    }
    const next = typeof data.nextPageToken === "string" && data.nextPageToken ? data.nextPageToken : null;
    if (!next) break;
    if (page >= maxPages) {
      // Continue next time right after the last record we took: nothing is lost.
      return { ids, historyId: lastRecord ?? startHistoryId, cappedAt: maxPages };
    }
    token = next;
  }
  return { ids, historyId: historyId! };
}
