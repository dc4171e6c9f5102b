// Gmail connector: every email of the mailbox (spam and trash excluded), then only the new ones.
//
// Full sync (no cursor, an unusable one, or expired history):
//   getProfile (historyId H0, read *before* listing; messagesTotal is the total until the listing
//   ends) -> messages.list?maxResults=500 page by page, one page ahead of the fetching (only the
//   ids not yet fetched are held, so memory does not grow with the mailbox) ->
//   messages.get?format=full, `concurrency` in flight, in list order, one SyncPage per 100 emails
//   with a checkpoint after each -> cursor { historyId: H0 }. (A resumed full sync lists again
//   from the saved page token and holds that rest of the listing.)
//   Anything that arrives while we list or fetch is after H0, so the next run's history has it.
// Incremental sync (cursor { historyId }):
//   history.list(startHistoryId, historyTypes=messageAdded) over every page -> the new message ids
//   (deduplicated, oldest first) -> the same fetching -> cursor { historyId of the first history
//   page } (every record up to it is in what we listed; a later one may be fetched twice, never lost).
//   A 404 means the history is too old: "History expired — full resync" and the full path.
// A message that is gone by the time we fetch it (404) or whose content cannot be decoded is an
// ItemFailure with a reason; the run goes on. Every other error propagates to the engine.
import type { Connector, ConnectorCredentials, DocumentInput, ItemFailure, QuotaSpec, RefreshContext, SyncContext, SyncPage } from "@/lib/connectors/types";
import { setMaxListeners } from "node:events";
import type { gmail_v1 } from "@googleapis/gmail";
import { SyncError } from "@/lib/contract";
import { makeGmailApi, type GmailApi } from "./client";
import { transformMessage, type TransformResult } from "./transform";
import type { GmailCap, GmailCheckpoint, GmailConnectorOptions, GmailCursor, GmailFullCheckpoint, GmailIncrementalCheckpoint } from "./types";

export type { GmailCheckpoint, GmailConnectorOptions, GmailCursor } from "./types";

// ---------------------------------------------------------------- quota

/**
 * Gmail's per-user quota, in units: messages.get 5, messages.list 5, history.list 2,
 * getProfile 1 (developers.google.com/workspace/gmail/api/reference/quota).
 */
export function gmailQuotaCost(url: URL, method: string): number {
  const m = /\/gmail\/v1\/users\/[^/]+\/(.*)$/.exec(url.pathname);
  if (!m) return /\/token$/.test(url.pathname) ? 0 : 5; // the OAuth token endpoint is not the Gmail API
  const rest = m[1]!.replace(/\/+$/, "");
  const get = method.toUpperCase() === "GET";
  if (rest === "profile") return 1;
  if (rest === "history") return 2;
  if (rest === "messages") return get ? 5 : 25; // list; insert / import
  if (rest === "messages/send") return 100;
  if (/^messages\/[^/]+\/attachments\/[^/]+$/.test(rest)) return 5;
  if (/^messages\/[^/]+$/.test(rest)) return get ? 5 : 10; // get; delete
  if (/^threads(\/[^/]+)?$/.test(rest)) return 10;
  if (/^labels(\/[^/]+)?$/.test(rest)) return 1;
  return 5;
}

/** 15,000 units per user per minute, i.e. 250 a second. */
export const GMAIL_QUOTA: QuotaSpec = {
  capacity: 15_000,
  refillPerSecond: 250,
  cost: gmailQuotaCost,
  maxConcurrency: 40,
};

// ---------------------------------------------------------------- saved positions

const DIGITS = /^\d{1,20}$/;

function isObject(v: unknown): v is Record<string, unknown> {
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

// ---------------------------------------------------------------- errors

function statusOf(err: unknown): number | undefined {
  if (!isObject(err)) return undefined;
  if (typeof err.status === "number") return err.status;
  const res = err.response;
  return isObject(res) && typeof res.status === "number" ? res.status : undefined;
}

function googleReason(err: unknown): string | undefined {
  const data = isObject(err) && isObject(err.response) ? err.response.data : undefined;
  const e = isObject(data) && isObject(data.error) ? data.error : undefined;
  const first = e && Array.isArray(e.errors) ? e.errors[0] : undefined;
  return isObject(first) && typeof first.reason === "string" ? first.reason : undefined;
}

/**
 * Errors the engine cannot read on its own get words here. A rate-limit answer reaches us only
 * when the engine chose not to wait (Gmail's 403 userRateLimitExceeded often has no Retry-After):
 * without this, a 403 would read as "refused access, reconnect".
 */
function explain(err: unknown): unknown {
  const status = statusOf(err);
  const reason = googleReason(err);
  if (status === 429 || (status === 403 && (reason === "rateLimitExceeded" || reason === "userRateLimitExceeded"))) {
    return new SyncError("rate_limit", "Gmail's per-user rate limit was exceeded; try again in a few minutes.", status);
  }
  return err;
}

const isNotFound = (err: unknown) => statusOf(err) === 404;

// ---------------------------------------------------------------- concurrency

/** At most `limit` tasks at once, started in the order they were asked for. */
class Limiter {
  private active = 0;
  private waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(signal.reason);
        };
        this.waiting.push(go);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    signal.throwIfAborted();
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

// ---------------------------------------------------------------- listing

interface Listing {
  ids: string[];
  /** Where each list page starts in `ids` and the token that fetched it (null: the first page). */
  pages: Array<{ start: number; token: string | null }>;
  capped?: GmailCap;
}

function listedIds(data: { messages?: unknown }, what: string): string[] {
  if (data.messages === undefined || data.messages === null) return [];
  if (!Array.isArray(data.messages)) throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: "messages" is not a list`);
  return data.messages.map((m) => {
    if (!isObject(m) || typeof m.id !== "string" || !m.id) throw new SyncError("malformed", `Gmail sent a malformed response for ${what}: a message without an id`);
    return m.id;
  });
}

function pageOf(listing: Listing, index: number): string | null {
  let lo = 0;
  let hi = listing.pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (listing.pages[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  return listing.pages[lo]?.token ?? null;
}

function cappedNote(pages: number): string {
  return `Stopped after ${pages.toLocaleString("en-US")} pages of emails (SYNC_MAX_PAGES)`;
}

// ---------------------------------------------------------------- the connector

export function createGmailConnector(options: GmailConnectorOptions = {}): Connector {
  const listPageSize = Math.min(500, Math.max(1, options.listPageSize ?? 500));
  const historyPageSize = Math.min(500, Math.max(1, options.historyPageSize ?? 500));
  const pageSize = Math.max(1, options.pageSize ?? 100);
  const concurrency = Math.max(1, options.concurrency ?? GMAIL_QUOTA.maxConcurrency);

  /**
   * messages.list from `fromToken` on, at most maxPages pages, stopping after `stopAt` (a capped
   * run's last id). `accept` sees the first page and may refuse it (the resume boundary is not in
   * it): the listing then ends there and null is returned.
   */
  async function listMessages(
    api: GmailApi,
    ctx: SyncContext,
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
  async function listHistory(
    api: GmailApi,
    ctx: SyncContext,
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

  /**
   * Fetches the ids `take` hands out, in order, `concurrency` at a time, and yields them in pages
   * of `pageSize` (with the page's ids). Up to a few pages are in flight ahead of the one being
   * yielded, so the engine writing a page never leaves the connection idle; messages are held
   * only for those pages. `take(n)` gives the next ids (fewer at the end, none when done); it
   * may list more on the way. Closing the generator (or one fetch failing) stops the rest.
   */
  async function* fetchPages(
    api: GmailApi,
    ctx: SyncContext,
    take: (n: number) => Promise<string[]>,
    /** messages.get in flight at once (the streamed listing keeps one slot for its list request). */
    slots = concurrency,
  ): AsyncGenerator<{ ids: string[]; results: TransformResult[] }, void, void> {
    const controller = new AbortController();
    const ahead = Math.max(2, Math.ceil(concurrency / pageSize) + 1);
    // Every queued and in-flight fetch listens to it (all removed when they settle).
    setMaxListeners(ahead * pageSize + concurrency + 16, controller.signal);
    const onAbort = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
    const limiter = new Limiter(Math.max(1, slots));
    let firstError: { error: unknown } | undefined;

    const fetchOne = async (id: string): Promise<TransformResult> => {
      try {
        let message;
        try {
          message = await api.getMessage(id, controller.signal);
        } catch (err) {
          if (isNotFound(err)) {
            return {
              ok: false,
              failure: { externalId: id, reason: "Gmail no longer has this email (HTTP 404: Requested entity was not found.); it was probably deleted after it was listed" },
            };
          }
          throw explain(err);
        }
        const result = transformMessage(message);
        if (!result.ok && result.failure.externalId === "unknown") result.failure.externalId = id;
        return result;
      } catch (err) {
        if (!firstError && !controller.signal.aborted) {
          firstError = { error: err };
          controller.abort(err);
        }
        throw err;
      }
    };

    const pages: Array<Promise<{ ids: string[]; results: TransformResult[] }>> = [];
    let exhausted = false;
    // One take at a time, in order: page k's fetches queue up before page k+1's.
    let taking: Promise<unknown> = Promise.resolve();
    const startPage = () => {
      const chunk = taking.then(async () => {
        if (exhausted) return [];
        const ids = await take(pageSize);
        if (ids.length === 0) exhausted = true;
        return ids;
      });
      taking = chunk.catch(() => undefined);
      const page = chunk.then(async (ids) => ({ ids, results: await Promise.all(ids.map((id) => limiter.run(() => fetchOne(id), controller.signal))) }));
      page.catch(() => undefined); // awaited later; never an unhandled rejection meanwhile
      pages.push(page);
    };
    try {
      for (let k = 0; k < ahead; k++) startPage();
      while (pages.length > 0) {
        let page: { ids: string[]; results: TransformResult[] };
        try {
          page = await pages.shift()!;
        } catch (err) {
          ctx.signal.throwIfAborted();
          throw firstError ? firstError.error : err;
        }
        if (page.ids.length === 0) break; // the ids ran out (every later page is empty too)
        startPage();
        yield page;
      }
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      if (!controller.signal.aborted) controller.abort(new Error("Gmail fetch stopped"));
    }
  }

  /** take() over a list held in memory, from index `from`. */
  function takeFrom(ids: readonly string[], from: number): (n: number) => Promise<string[]> {
    let next = from;
    return async (n) => {
      const chunk = ids.slice(next, next + n);
      next += chunk.length;
      return chunk;
    };
  }

  function toPage(results: TransformResult[], checkpoint: GmailCheckpoint): SyncPage {
    const documents: DocumentInput[] = [];
    const failures: ItemFailure[] = [];
    const labels: string[] = [];
    for (const r of results) {
      if (r.ok) {
        documents.push(r.document);
        labels.push(r.label);
      } else {
        failures.push(r.failure);
      }
    }
    return { documents, failures, labels, checkpoint };
  }

  const lastOf = (ids: readonly string[], end: number, from: number, previous: string[]): string[] =>
    [...ids.slice(Math.max(from, end - 3), end).reverse(), ...previous].slice(0, 3);

  /**
   * A fresh full sync: the listing is read as the fetching goes (one list page ahead), so only
   * the ids not yet fetched are held, never the whole mailbox's. The total is the profile's
   * messagesTotal (capped by SYNC_MAX_PAGES) until the listing ends, then the exact count.
   */
  async function* freshFullSync(api: GmailApi, ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: GmailCursor }, void> {
    ctx.progress.stage("Listing emails…");
    const profile = await api.getProfile().catch((e) => {
      throw explain(e);
    });
    if (typeof profile.historyId !== "string" || !DIGITS.test(profile.historyId)) {
      throw new SyncError("malformed", "Gmail sent a malformed response for the mailbox profile: no historyId");
    }
    const historyId = profile.historyId;
    const maxPages = Math.max(1, ctx.limits.maxPages);
    const estimate = typeof profile.messagesTotal === "number" && profile.messagesTotal > 0 ? Math.min(profile.messagesTotal, maxPages * listPageSize) : 0;
    let total = estimate;
    ctx.progress.total(total);

    // The listing, read page by page: `buffer` holds what is listed and not yet handed out.
    let buffer: string[] = [];
    let listedCount = 0;
    let listPages = 0;
    let nextToken: string | null | undefined = null; // undefined: the listing is over
    let listAhead: Promise<gmail_v1.Schema$ListMessagesResponse> | null = null;
    let previousPage = new Set<string>();
    let capped: GmailCap | undefined;
    /** Recent list pages: where each starts in the listing and the token that fetched it. */
    const recentPages: Array<{ start: number; token: string | null }> = [];
    const readList = (token: string | null) => {
      const p = api.listMessages({ maxResults: listPageSize, ...(token ? { pageToken: token } : {}) }).catch((e) => {
        throw explain(e);
      });
      p.catch(() => undefined); // awaited by the next listNext()
      return p;
    };
    const listNext = async (): Promise<boolean> => {
      if (nextToken === undefined) return false;
      ctx.signal.throwIfAborted();
      const token: string | null = nextToken;
      listPages += 1;
      const data = await (listAhead ?? readList(token));
      listAhead = null;
      const ids = listedIds(data, `the message list (page ${listPages})`);
      recentPages.push({ start: listedCount, token });
      // Mail arriving while we list can shift an id onto the next page: handle it once.
      const fresh = ids.filter((id) => !previousPage.has(id));
      previousPage = new Set(ids);
      buffer.push(...fresh);
      listedCount += fresh.length;
      const next = typeof data.nextPageToken === "string" && data.nextPageToken ? data.nextPageToken : null;
      if (!next) nextToken = undefined;
      else if (listPages >= maxPages) {
        nextToken = undefined;
        const lastId = ids.at(-1);
        if (lastId !== undefined) {
          capped = { pages: maxPages, lastId };
          ctx.progress.capped(cappedNote(maxPages));
        }
      } else {
        nextToken = next;
        listAhead = readList(next);
      }
      if (nextToken === undefined ? listedCount !== total : total > 0 && listedCount > total) {
        total = listedCount;
        ctx.progress.total(total);
      }
      return true;
    };
    const take = async (n: number): Promise<string[]> => {
      while (buffer.length < n && (await listNext()));
      const chunk = buffer.slice(0, n);
      buffer = buffer.slice(chunk.length);
      return chunk;
    };

    let done = 0;
    let last: string[] = [];
    ctx.progress.stage("Fetching emails…");
    for await (const { ids, results } of fetchPages(api, ctx, take, concurrency - 1)) {
      done += ids.length;
      last = [...ids.slice(-3).reverse(), ...last].slice(0, 3);
      // The list page holding the last handled email (older pages are not needed any more).
      while (recentPages.length > 1 && recentPages[1]!.start <= done - 1) recentPages.shift();
      const checkpoint: GmailFullCheckpoint = {
        phase: "full",
        historyId,
        // While the listing goes on, more than what is done (a resumed run must not stop early).
        total: nextToken === undefined ? Math.max(total, done) : Math.max(total, done + 1),
        done,
        last,
        pageToken: recentPages[0]?.token ?? null,
        ...(capped ? { capped } : {}),
      };
      yield toPage(results, checkpoint);
    }
    return { cursor: { historyId } };
  }

  /** The full sync, fresh (`resume` undefined) or continuing an interrupted one. */
  async function* fullSync(api: GmailApi, ctx: SyncContext, resume?: GmailFullCheckpoint): AsyncGenerator<SyncPage, { cursor: GmailCursor }, void> {
    if (!resume) return yield* freshFullSync(api, ctx);
    let historyId: string;
    let listing: Listing;
    let from = 0;
    let total: number;
    let doneBase = 0;
    let last: string[] = [];
    let capped: GmailCap | undefined;

    ctx.progress.stage("Listing emails…");
    {
      historyId = resume.historyId;
      total = resume.total;
      doneBase = resume.done;
      last = resume.last;
      capped = resume.capped;
      if (capped) ctx.progress.capped(cappedNote(capped.pages));
      if (resume.done >= resume.total) return { cursor: { historyId } };
      const boundary = resume.last[0];
      let found: Listing | null = null;
      if (boundary !== undefined) {
        // Fast path: list on from the page that held the last handled email.
        found = await listMessages(api, ctx, { fromToken: resume.pageToken, stopAt: capped?.lastId, accept: (ids) => ids.includes(boundary) }).catch(
          (err: unknown) => {
            if (statusOf(err) === 400) return null; // the page token is no longer valid
            throw err;
          },
        );
        if (found) from = found.ids.indexOf(boundary) + 1;
      }
      if (!found) {
        found = (await listMessages(api, ctx, { fromToken: null, stopAt: capped?.lastId }))!;
        const at = resume.last.map((id) => found!.ids.indexOf(id)).find((k) => k >= 0);
        from = at !== undefined ? at + 1 : Math.min(resume.done, found.ids.length);
      }
      if (found.capped && !capped) {
        capped = found.capped;
        ctx.progress.capped(cappedNote(capped.pages));
      }
      listing = found;
    }
    ctx.progress.total(total);

    ctx.progress.stage("Fetching emails…");
    let end = from;
    for await (const { results } of fetchPages(api, ctx, takeFrom(listing.ids, from))) {
      end += results.length;
      const pageStart = end - results.length;
      last = lastOf(listing.ids, end, pageStart, last);
      const checkpoint: GmailFullCheckpoint = {
        phase: "full",
        historyId,
        total,
        done: doneBase + (end - from),
        last,
        pageToken: pageOf(listing, end - 1),
        ...(capped ? { capped } : {}),
      };
      yield toPage(results, checkpoint);
    }
    return { cursor: { historyId } };
  }

  /** The incremental sync from `startHistoryId`; null when the history has expired (404). */
  async function* incrementalSync(
    api: GmailApi,
    ctx: SyncContext,
    startHistoryId: string,
    resume?: GmailIncrementalCheckpoint,
  ): AsyncGenerator<SyncPage, { cursor: GmailCursor } | null, void> {
    ctx.progress.stage("Checking for new emails…");
    let history: Awaited<ReturnType<typeof listHistory>>;
    try {
      history = await listHistory(api, ctx, startHistoryId);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    if (history.cappedAt) ctx.progress.capped(`Stopped after ${history.cappedAt.toLocaleString("en-US")} pages of mailbox history (SYNC_MAX_PAGES); the next sync continues from there`);
    const { ids } = history;
    let from = 0;
    let doneBase = 0;
    let last: string[] = [];
    let total = ids.length;
    if (resume) {
      const at = resume.last.map((id) => ids.indexOf(id)).find((k) => k >= 0);
      from = at !== undefined ? at + 1 : Math.min(resume.done, ids.length);
      doneBase = resume.done;
      last = resume.last;
      // The first attempt's total, plus whatever arrived since.
      total = Math.max(resume.total, resume.done + (ids.length - from));
    }
    ctx.progress.total(total);
    if (from < ids.length) ctx.progress.stage("Fetching emails…");
    let end = from;
    for await (const { results } of fetchPages(api, ctx, takeFrom(ids, from))) {
      end += results.length;
      last = lastOf(ids, end, end - results.length, last);
      const checkpoint: GmailIncrementalCheckpoint = { phase: "incremental", startHistoryId, total, done: doneBase + (end - from), last };
      yield toPage(results, checkpoint);
    }
    return { cursor: { historyId: history.historyId } };
  }

  return {
    type: "gmail",
    quota: GMAIL_QUOTA,

    async connect(ctx: SyncContext) {
      const profile = await makeGmailApi(ctx).getProfile().catch((e) => {
        throw explain(e);
      });
      const email = typeof profile.emailAddress === "string" && profile.emailAddress ? profile.emailAddress : undefined;
      if (!email) throw new SyncError("malformed", "Gmail sent a malformed response for the mailbox profile: no email address");
      return { accountLabel: email };
    },

    async *sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: GmailCursor }, void> {
      const api = makeGmailApi(ctx);
      const checkpoint = ctx.checkpoint == null ? undefined : parseCheckpoint(ctx.checkpoint);
      if (checkpoint?.phase === "full") return yield* fullSync(api, ctx, checkpoint);

      const startHistoryId = checkpoint?.phase === "incremental" ? checkpoint.startHistoryId : parseCursor(ctx.cursor)?.historyId;
      if (startHistoryId !== undefined) {
        const result = yield* incrementalSync(api, ctx, startHistoryId, checkpoint?.phase === "incremental" ? checkpoint : undefined);
        if (result) return result;
        ctx.progress.stage("History expired — full resync");
      }
      return yield* fullSync(api, ctx);
    },

    async refresh(credentials: ConnectorCredentials, rctx: RefreshContext): Promise<ConnectorCredentials> {
      return refreshGoogleToken(credentials, rctx);
    },
  };
}

// ---------------------------------------------------------------- OAuth refresh

const REFUSED = "Google refused to renew access. Reconnect Gmail.";

/** POST the token endpoint with grant_type=refresh_token; Google keeps the refresh token (it may send a new one). */
export async function refreshGoogleToken(credentials: ConnectorCredentials, rctx: RefreshContext): Promise<ConnectorCredentials> {
  if (!credentials.refreshToken) throw new SyncError("auth", "Gmail access expired and there is no refresh token. Reconnect Gmail.");
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.refreshToken });
  if (rctx.clientId) form.set("client_id", rctx.clientId);
  if (rctx.clientSecret) form.set("client_secret", rctx.clientSecret);
  const res = await rctx.fetch(rctx.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
    signal: rctx.signal,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = isObject(body) && typeof body.error === "string" ? body.error : undefined;
  if (!res.ok) {
    if (error === "invalid_grant") throw new SyncError("auth", REFUSED, res.status);
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const description = isObject(body) && typeof body.error_description === "string" ? `: ${body.error_description}` : "";
      throw new SyncError("auth", `Google refused to renew access (${error ?? `HTTP ${res.status}`}${description}). Reconnect Gmail.`, res.status);
    }
    throw new SyncError("provider", `Google's token endpoint answered with an error (HTTP ${res.status}); try again later.`, res.status);
  }
  const accessToken = isObject(body) && typeof body.access_token === "string" && body.access_token ? body.access_token : undefined;
  if (!accessToken) throw new SyncError("malformed", "Google's token endpoint sent an answer without an access token.");
  const expiresIn = isObject(body) && typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : undefined;
  const rotated = isObject(body) && typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : undefined;
  return {
    accessToken,
    refreshToken: rotated ?? credentials.refreshToken,
    ...(expiresIn !== undefined ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}),
  };
}

export const gmailConnector: Connector = createGmailConnector();
