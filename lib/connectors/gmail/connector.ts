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
//   history.list(startHistoryId, historyTypes = messageAdded, messageDeleted, labelAdded,
//   labelRemoved) over every page -> one outcome per message (listing.ts foldHistory): read the
//   added ones (and those back from Trash / Spam), remove the deleted ones (messagesDeleted) and
//   those moved to Trash or Spam (labelsAdded) -> the removals with the first page, the same
//   fetching for the rest -> cursor { historyId of the first history page } (every record up to it
//   is in what we listed; a later one may be read twice, never lost). An edited draft is a new
//   message replacing the old one (messagesDeleted + messagesAdded): 1 removed + 1 new.
//   A 404 means the history is too old: "History expired — full resync" and the full path.
// Reading an email (read-email.ts): messages.get, then messages.attachments.get for its text-like
// attachments. One found in Trash / Spam is removed; one gone by the time we read it (404) is an
// ItemFailure with plain words (and removed); the run goes on. Other errors go to the engine.
import { StaleCheckpointError } from "@/lib/connectors/kit/stale-checkpoint";
import type { Connector, ConnectorCredentials, RefreshContext, SyncContext, SyncPage } from "@/lib/connectors/types";
import type { gmail_v1 } from "@googleapis/gmail";
import { SyncError } from "@/lib/contract";
import { gmailManifest } from "./manifest";
import { explainGmailError, isNotFound, makeGmailApi, refreshGoogleToken, statusOf, type GmailApi } from "./client";
import { fetchPages, lastOf, takeFrom, toPage } from "./fetch-pages";
import { cappedNote, listHistory, listMessages, listedIds, pageOf, type Listing } from "./listing";
import {
  DIGITS,
  parseCheckpoint,
  parseCursor,
  type GmailCap,
  type GmailConnectorOptions,
  type GmailCursor,
  type GmailFullCheckpoint,
  type GmailIncrementalCheckpoint,
} from "./types";

export type { GmailCheckpoint, GmailConnectorOptions, GmailCursor } from "./types";
export { parseCheckpoint, parseCursor } from "./types";
export { refreshGoogleToken } from "./client";
/** Kept here for the callers that read the quota beside the connector (bench, tests). */
export { GMAIL_QUOTA, gmailQuotaCost } from "./manifest";

export function createGmailConnector(options: GmailConnectorOptions = {}): Connector {
  const listPageSize = Math.min(500, Math.max(1, options.listPageSize ?? 500));
  const historyPageSize = Math.min(500, Math.max(1, options.historyPageSize ?? 500));
  const pageSize = Math.max(1, options.pageSize ?? 100);
  const concurrency = Math.max(1, options.concurrency ?? gmailManifest.quota.maxConcurrency);
  const fetching = { concurrency, pageSize };

  /**
   * A fresh full sync: the listing is read as the fetching goes (one list page ahead), so only
   * the ids not yet fetched are held, never the whole mailbox's. The total is the profile's
   * messagesTotal (capped by SYNC_MAX_PAGES) until the listing ends, then the exact count.
   */
  async function* freshFullSync(api: GmailApi, ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: GmailCursor }, void> {
    ctx.progress.stage("Listing emails…");
    const profile = await api.getProfile().catch((e) => {
      throw explainGmailError(e);
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
        throw explainGmailError(e);
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
    for await (const { ids, results } of fetchPages(api, ctx, take, { ...fetching, slots: concurrency - 1 })) {
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
        found = await listMessages(api, ctx, listPageSize, { fromToken: resume.pageToken, stopAt: capped?.lastId, accept: (ids) => ids.includes(boundary) }).catch(
          (err: unknown) => {
            if (statusOf(err) === 400) return null; // the page token is no longer valid
            throw err;
          },
        );
        if (found) from = found.ids.indexOf(boundary) + 1;
      }
      if (!found) {
        found = (await listMessages(api, ctx, listPageSize, { fromToken: null, stopAt: capped?.lastId }))!;
        const at = resume.last.map((id) => found!.ids.indexOf(id)).find((k) => k >= 0);
        // None of the last handled emails is listed any more: where to continue is unknowable.
        if (at === undefined && resume.done > 0) throw new StaleCheckpointError("the last synced emails are no longer listed");
        from = at !== undefined ? at + 1 : 0;
      }
      // Fewer emails left than the run had still to do: some of the listing is gone, and what is
      // listed before the boundary may have changed too. Listing again is the only honest count.
      if (!capped && !found.capped && doneBase + (found.ids.length - from) < resume.total) {
        throw new StaleCheckpointError(`the listing shrank (${resume.total} emails then, ${doneBase + found.ids.length - from} now)`);
      }
      if (found.capped && !capped) {
        capped = found.capped;
        ctx.progress.capped(cappedNote(capped.pages));
      }
      listing = found;
    }
    // What this run covers now: the part done before plus what is listed after the boundary.
    total = doneBase + (listing.ids.length - from);
    ctx.progress.total(total);

    ctx.progress.stage("Fetching emails…");
    let end = from;
    for await (const { results } of fetchPages(api, ctx, takeFrom(listing.ids, from), fetching)) {
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
    ctx.progress.stage("Checking for changes…");
    let history: Awaited<ReturnType<typeof listHistory>>;
    try {
      history = await listHistory(api, ctx, historyPageSize, startHistoryId);
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
    // Deleted, trashed and spam messages leave the library with the first page (again on a
    // resumed run: removing what is already gone changes nothing).
    let removed = history.removed;
    for await (const { results } of fetchPages(api, ctx, takeFrom(ids, from), fetching)) {
      end += results.length;
      last = lastOf(ids, end, end - results.length, last);
      const checkpoint: GmailIncrementalCheckpoint = { phase: "incremental", startHistoryId, total, done: doneBase + (end - from), last };
      yield toPage(results, checkpoint, removed);
      removed = [];
    }
    if (removed.length) {
      ctx.progress.stage("Removing deleted emails…");
      const checkpoint: GmailIncrementalCheckpoint = { phase: "incremental", startHistoryId, total, done: doneBase + (end - from), last };
      yield { documents: [], failures: [], removed, checkpoint };
    }
    return { cursor: { historyId: history.historyId } };
  }


  return {
    type: "gmail",
    quota: gmailManifest.quota,

    async connect(ctx: SyncContext) {
      const profile = await makeGmailApi(ctx).getProfile().catch((e) => {
        throw explainGmailError(e);
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

export const gmailConnector: Connector = createGmailConnector();
