// The Gmail listings the connector pages through: messages.list (a full sync) and history.list
// (an incremental one), with the ids they hand out.
import type { SyncContext } from "@/lib/connectors/types";
import { z } from "zod";
import { malformedReason } from "@/lib/connectors/kit/malformed-reason";
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

// ---------------------------------------------------------------- history

const messageRef = z.object({ id: z.string().min(1), threadId: z.string().nullish(), labelIds: z.array(z.string()).nullish() });
const messageChange = z.object({ message: messageRef });
const labelChange = z.object({ message: messageRef, labelIds: z.array(z.string()).nullish() });
/** users.history.list's answer (ListHistoryResponse, History, HistoryMessageAdded/Deleted, HistoryLabelAdded/Removed). */
const historyPageSchema = z.object({
  history: z
    .array(
      z.object({
        id: z.string().regex(DIGITS),
        messagesAdded: z.array(messageChange).nullish(),
        messagesDeleted: z.array(messageChange).nullish(),
        labelsAdded: z.array(labelChange).nullish(),
        labelsRemoved: z.array(labelChange).nullish(),
      }),
    )
    .nullish(),
  nextPageToken: z.string().nullish(),
  historyId: z.string().regex(DIGITS).nullish(),
});

/** Labels that take a message out of the library: Gmail's Trash and Spam (messages.list leaves them out too). */
export const GONE_LABELS: ReadonlySet<string> = new Set(["TRASH", "SPAM"]);
const isGone = (labels: readonly string[] | null | undefined) => (labels ?? []).some((l) => GONE_LABELS.has(l));

/** What the history says to do with each message it names, in the order they first appear. */
export interface HistoryChanges {
  /** Messages to read (added, or back out of Trash / Spam), oldest first. */
  ids: string[];
  /** Messages to take out of the library: deleted (messagesDeleted), moved to Trash or Spam (labelsAdded). */
  removed: string[];
  historyId: string;
  cappedAt?: number;
}

/**
 * Folds history records into one outcome per message, the last word winning: messagesAdded ->
 * read it (unless it arrived in Trash or Spam); messagesDeleted ("deleted (not Trashed)") or a
 * TRASH / SPAM label added -> remove it; TRASH / SPAM removed (restored) -> read it again. Other
 * label changes (read, starred, archived: INBOX removed) change nothing in the library: an archived
 * email is still in "All Mail".
 */
export function foldHistory(records: NonNullable<z.infer<typeof historyPageSchema>["history"]>, into: Map<string, "read" | "remove">): void {
  const set = (id: string, what: "read" | "remove") => {
    into.delete(id); // re-inserted: the order is of the last change
    into.set(id, what);
  };
  for (const r of records) {
    for (const d of r.messagesDeleted ?? []) set(d.message.id, "remove");
    for (const a of r.messagesAdded ?? []) set(a.message.id, isGone(a.message.labelIds) ? "remove" : "read");
    for (const l of r.labelsAdded ?? []) if (isGone(l.labelIds)) set(l.message.id, "remove");
    for (const l of r.labelsRemoved ?? []) if (isGone(l.labelIds) && !isGone(l.message.labelIds)) set(l.message.id, "read");
  }
}

/** history.list(startHistoryId) over every page: what changed, per message. Throws the 404 of expired history. */
export async function listHistory(api: GmailApi, ctx: SyncContext, historyPageSize: number, startHistoryId: string): Promise<HistoryChanges> {
  const outcome = new Map<string, "read" | "remove">();
  const maxPages = Math.max(1, ctx.limits.maxPages);
  let token: string | null = null;
  let historyId: string | undefined;
  let lastRecord: string | undefined;
  let cappedAt: number | undefined;
  for (let page = 1; ; page++) {
    ctx.signal.throwIfAborted();
    const raw: unknown = await api.listHistory({ startHistoryId, maxResults: historyPageSize, ...(token ? { pageToken: token } : {}) }).catch((e) => {
      throw isNotFound(e) ? e : explain(e);
    });
    const what = `the mailbox history (page ${page})`;
    const parsed = historyPageSchema.safeParse(raw);
    if (!parsed.success) throw new SyncError("malformed", malformedReason(parsed.error, raw, `Gmail sent a malformed response for ${what}`, "history"));
    const data = parsed.data;
    if (page === 1) {
      if (!data.historyId) throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: no historyId`);
      historyId = data.historyId;
    }
    foldHistory(data.history ?? [], outcome);
    if (data.history?.length) lastRecord = data.history.at(-1)!.id;
    const next = data.nextPageToken || null;
    if (!next) break;
    if (page >= maxPages) {
      // Continue next time right after the last record we took: nothing is lost.
      cappedAt = maxPages;
      historyId = lastRecord ?? startHistoryId;
      break;
    }
    token = next;
  }
  const ids: string[] = [];
  const removed: string[] = [];
  for (const [id, what] of outcome) (what === "read" ? ids : removed).push(id);
  return { ids, removed, historyId: historyId!, ...(cappedAt ? { cappedAt } : {}) };
}
