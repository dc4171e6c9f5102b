// Box connector: every file the account can see, with the text of text-like files.
//
// First run (no cursor): read the change stream's current position first
// (GET /events?stream_position=now), so whatever changes during the walk is picked up by the
// next run; then walk the folder tree from "All Files" (id "0") depth-first, listing each folder
// with marker paging (usemarker=true, limit 1000) and yielding its files in pages of 50. Text
// files (txt, md, csv, json, html, …) are downloaded with bounded concurrency (GET
// /files/{id}/content answers 302 to a short-lived download URL); at most 1 MB of text is read
// per file (a Range request), HTML is turned into readable text.
//
// Later runs: the change stream from the saved position (stream_type=changes). Box delivers
// events at least once, so they are de-duplicated by event_id (a small set kept in the
// checkpoint and the cursor). File uploads (new files and new versions), edits, renames, moves,
// copies and restores (ITEM_UNDELETE_VIA_TRASH) fetch the file again (GET /files/{id}) with its
// text: the page carries it as it is now, and the library updates it in place. A file moved to
// the trash (ITEM_TRASH), or one Box answers 404 for (trashed or deleted since), is reported
// removed: it leaves the library with the page. Within a chunk the last event of a file wins
// (trashed then restored: fetched). A folder moved, renamed, copied or restored has its subtree
// re-read (its files' paths changed). A position Box no longer accepts (HTTP 400), or one older
// than Box keeps events for, means the history is gone: the run says so and falls back to a full walk.
//
// Totals: marker paging has no total_count, so a full walk does not know how many files there
// are until it has seen them all; it reports the total only then (the UI shows an indeterminate
// bar meanwhile). An incremental run counts the changed files in the stream first (a cheap pass,
// 500 events per request) and reports that total before fetching them.
//
// Checkpoints: after every page, enough to resume without losing or repeating a file: the DFS
// stack of folder ids still to visit, the folder being read with the marker of its current
// listing page and how many of that page's files are done; or the change-stream position with
// the event ids handled so far in its chunk.
import type { BoxClient } from "box-typescript-sdk-gen";
import type { Connector, ConnectorCredentials, DocumentInput, ItemFailure, RefreshContext, SyncContext, SyncPage } from "@/lib/connectors/types";
import { orderedPool } from "@/lib/connectors/kit/concurrency";
import { SyncError } from "@/lib/contract";
import { boxManifest } from "./manifest";
import { asRecord, boxErrorStatus, makeBoxClient, refreshBoxToken, str } from "./client";
import { fileById, fileFromRecord, type FileOutcome, type FileReader } from "./files";
import { listFolder, nowPosition, planChunk, readEvents, type EventsChunk } from "./listing";
import { DEFAULT_MAX_TEXT_BYTES } from "./transform";
import { parseCheckpoint, parseCursor, type BoxCheckpoint, type BoxConnectorOptions, type BoxCursor, type WalkState } from "./types";

export type { BoxCheckpoint, BoxConnectorOptions, BoxCursor } from "./types";
export { refreshBoxToken } from "./client";
/** Kept here for the callers that read the quota beside the connector (bench, tests). */
export { BOX_QUOTA } from "./manifest";

const DAY_MS = 86_400_000;
const MAX_SEEN = 1_000;
const CURSOR_SEEN = 200;
const MAX_SCAN_FILES = 200_000;

const STAGE_WALK = "Walking folders…";
const STAGE_EXPIRED = "Change history expired — full resync";
const STAGE_READ_CHANGES = "Reading changes in Box…";
const STAGE_FETCH_CHANGES = "Fetching changed files…";
const STAGE_SUBTREES = "Re-reading moved or renamed folders…";

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

interface Batch {
  documents: DocumentInput[];
  failures: ItemFailure[];
  labels: string[];
  /** Files found gone while reading them (404, trashed): out of the library. */
  removed: string[];
  count: number;
}

class BoxRun {
  private readonly listLimit: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxTextBytes: number;
  private readonly now: () => number;
  private readonly files: FileReader;

  constructor(
    private readonly ctx: SyncContext,
    private readonly box: BoxClient,
    private readonly options: BoxConnectorOptions,
  ) {
    this.listLimit = Math.min(1_000, Math.max(1, options.listLimit ?? 1_000));
    this.batchSize = Math.max(1, options.batchSize ?? 50);
    this.concurrency = Math.max(1, options.downloadConcurrency ?? boxManifest.quota.maxConcurrency);
    this.maxTextBytes = Math.max(1, options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES);
    this.files = { box, signal: ctx.signal, maxTextBytes: this.maxTextBytes, etags: new Map(), ...(options.notReadyTries ? { notReadyTries: options.notReadyTries } : {}) };
    this.now = options.now ?? Date.now;
  }

  async *start(): AsyncGenerator<SyncPage, { cursor: BoxCursor }, void> {
    const checkpoint = parseCheckpoint(this.ctx.checkpoint);
    if (checkpoint?.mode === "walk" && checkpoint.walk) {
      this.ctx.progress.stage(checkpoint.purpose === "subtrees" ? STAGE_SUBTREES : STAGE_WALK);
      return yield* this.walk(checkpoint.walk, checkpoint.streamPosition, checkpoint.handled, checkpoint.seen ?? [], checkpoint.purpose ?? "full");
    }
    if (checkpoint?.mode === "events") {
      return yield* this.changes(checkpoint.streamPosition, checkpoint.seen ?? [], checkpoint.subtrees ?? [], checkpoint.handled, checkpoint.chunks ?? 0);
    }
    const cursor = parseCursor(this.ctx.cursor);
    if (!cursor) return yield* this.fullSync(false);
    const maxAge = this.options.cursorMaxAgeMs ?? 14 * DAY_MS;
    if (this.now() - Date.parse(cursor.savedAt) > maxAge) return yield* this.fullSync(true);
    return yield* this.changes(cursor.streamPosition, cursor.seen ?? [], [], 0, 0);
  }

  // ---------------------------------------------------------------- full sync: the folder walk

  private async *fullSync(expired: boolean): AsyncGenerator<SyncPage, { cursor: BoxCursor }, void> {
    // The position first: changes made while we walk are picked up by the next run.
    const position = await nowPosition(this.box, this.ctx.signal);
    this.ctx.progress.stage(expired ? STAGE_EXPIRED : STAGE_WALK);
    return yield* this.walk({ stack: ["0"], current: null, folders: 0, pages: 0 }, position, 0, [], "full");
  }

  private async *walk(
    st: WalkState,
    streamPosition: string,
    handledBefore: number,
    seen: string[],
    purpose: "full" | "subtrees",
  ): AsyncGenerator<SyncPage, { cursor: BoxCursor }, void> {
    const { limits, progress, signal } = this.ctx;
    let handled = handledBefore;
    const checkpoint = (): BoxCheckpoint => ({
      v: 1,
      mode: "walk",
      purpose,
      streamPosition,
      handled,
      walk: { stack: [...st.stack], current: st.current ? { ...st.current } : null, folders: st.folders, pages: st.pages },
      ...(seen.length ? { seen } : {}),
    });

    for (;;) {
      signal.throwIfAborted();
      if (!st.current) {
        const next = st.stack.at(-1);
        if (next === undefined) break;
        if (st.folders >= limits.maxFolders) {
          progress.capped(`Stopped after ${fmt(limits.maxFolders)} folders (BOX_MAX_FOLDERS)`);
          break;
        }
        st.stack.pop();
        st.current = { id: next, marker: null, skip: 0 };
        st.folders++;
      }
      if (st.pages >= limits.maxPages) {
        progress.capped(`Stopped after ${fmt(limits.maxPages)} pages of folder listings (SYNC_MAX_PAGES)`);
        break;
      }
      const cur = st.current;
      let listing: { entries: unknown[]; nextMarker: string | null };
      try {
        listing = await listFolder(this.box, this.ctx.signal, this.listLimit, cur.id, cur.marker);
      } catch (err) {
        const status = boxErrorStatus(err);
        // Deleted, moved out of reach, or no longer shared with us since we queued it: skip it.
        if (status === 404 || status === 403) {
          st.current = null;
          continue;
        }
        throw err;
      }
      st.pages++;

      const subfolders: string[] = [];
      const files: unknown[] = [];
      for (const entry of listing.entries) {
        const type = asRecord(entry)?.type;
        if (type === "folder") {
          const id = str(asRecord(entry)?.id);
          if (id) subfolders.push(id);
        } else if (type === "file") {
          files.push(entry);
        } // web links and anything else: not files
      }
      const finishPage = () => {
        // Reversed, so the first subfolder is visited first.
        for (let k = subfolders.length - 1; k >= 0; k--) st.stack.push(subfolders[k]!);
        st.current = listing.nextMarker ? { id: cur.id, marker: listing.nextMarker, skip: 0 } : null;
      };

      const todo = files.slice(cur.skip);
      if (todo.length === 0) {
        finishPage();
        yield { documents: [], failures: [], labels: [], checkpoint: checkpoint() };
        continue;
      }
      let done = cur.skip;
      for await (const batch of this.processFiles(todo, (raw) => fileFromRecord(this.files, raw))) {
        done += batch.count;
        handled += batch.count;
        if (done >= files.length) finishPage();
        else st.current = { ...cur, skip: done };
        yield { documents: batch.documents, failures: batch.failures, labels: batch.labels, ...(batch.removed.length ? { removed: batch.removed } : {}), checkpoint: checkpoint() };
      }
    }

    progress.total(handled);
    return { cursor: { streamPosition, savedAt: new Date(this.now()).toISOString(), ...(seen.length ? { seen: seen.slice(-CURSOR_SEEN) } : {}) } };
  }

  // ---------------------------------------------------------------- files: pages of documents

  private async *processFiles<T>(items: readonly T[], handle: (item: T) => Promise<FileOutcome>): AsyncGenerator<Batch> {
    let batch: Batch = { documents: [], failures: [], labels: [], removed: [], count: 0 };
    let inBatch = 0;
    for await (const outcome of orderedPool(items, this.concurrency, handle)) {
      inBatch++;
      if (outcome.kind === "gone") {
        batch.removed.push(outcome.id);
      } else if (outcome.kind === "doc") {
        batch.documents.push(outcome.document);
        batch.labels.push(outcome.label);
        batch.count++;
      } else if (outcome.kind === "fail") {
        batch.failures.push(outcome.failure);
        batch.count++;
      }
      if (inBatch >= this.batchSize) {
        yield batch;
        batch = { documents: [], failures: [], labels: [], removed: [], count: 0 };
        inBatch = 0;
      }
    }
    if (inBatch > 0) yield batch;
  }


  private isExpiredPosition(err: unknown): boolean {
    return boxErrorStatus(err) === 400;
  }

  /** First pass over the stream: how many files changed (and whether folders did). Null: too many to count. */
  private async countChanges(start: string, seen: ReadonlySet<string>, chunksBefore: number): Promise<{ files: number; folders: number } | null> {
    const files = new Map<string, boolean>(); // file id -> gone
    let folders = 0;
    let position = start;
    const seenNow = new Set(seen);
    for (let chunks = chunksBefore; ; chunks++) {
      if (chunks >= this.ctx.limits.maxPages || files.size > MAX_SCAN_FILES) return null;
      const chunk = await readEvents(this.box, this.ctx.signal, position, this.options.eventsScanLimit ?? 500);
      const plan = planChunk(chunk.events, seenNow);
      for (const w of plan.fetch) files.set(w.fileId, false);
      for (const w of plan.gone) files.set(w.fileId, true);
      folders += plan.folders.length;
      for (const e of chunk.events) if (e.eventId) seenNow.add(e.eventId);
      if (chunk.size === 0 || chunk.events.length === 0 || chunk.next === position) break;
      position = chunk.next;
    }
    return { files: [...files.values()].filter((gone) => !gone).length, folders };
  }

  private async *changes(
    start: string,
    seenBefore: string[],
    subtreesBefore: string[],
    handledBefore: number,
    chunksBefore: number,
  ): AsyncGenerator<SyncPage, { cursor: BoxCursor }, void> {
    const { progress, limits, signal } = this.ctx;
    progress.stage(STAGE_READ_CHANGES);
    let counted: { files: number; folders: number } | null;
    try {
      counted = await this.countChanges(start, new Set(seenBefore), chunksBefore);
    } catch (err) {
      if (this.isExpiredPosition(err)) return yield* this.fullSync(true);
      throw err;
    }
    // Moved or renamed folders are re-read afterwards, and their size is unknown until then.
    if (counted && counted.folders === 0 && subtreesBefore.length === 0) progress.total(handledBefore + counted.files);
    progress.stage(STAGE_FETCH_CHANGES);

    let position = start;
    let seen = seenBefore.slice(-MAX_SEEN);
    const subtrees = [...subtreesBefore];
    let handled = handledBefore;
    let chunks = chunksBefore;
    const checkpoint = (pos: string, ids: string[]): BoxCheckpoint => ({
      v: 1,
      mode: "events",
      streamPosition: pos,
      handled,
      seen: ids.slice(-MAX_SEEN),
      ...(subtrees.length ? { subtrees: [...subtrees] } : {}),
      chunks,
    });

    for (;;) {
      signal.throwIfAborted();
      if (chunks >= limits.maxPages) {
        progress.capped(`Stopped after ${fmt(limits.maxPages)} pages of Box changes (SYNC_MAX_PAGES); the next sync continues from there`);
        break;
      }
      let chunk: EventsChunk;
      try {
        chunk = await readEvents(this.box, this.ctx.signal, position, this.options.eventsLimit ?? 100);
      } catch (err) {
        if (this.isExpiredPosition(err)) return yield* this.fullSync(true);
        throw err;
      }
      chunks++;

      // Each file's last word in this chunk: fetch it again (one fetch for several events; a file
      // changed again in a later chunk is fetched again), or it is gone (no request: it leaves the
      // library with the chunk's first page).
      const plan = planChunk(chunk.events, new Set(seen));
      const handledIds = [...seen, ...plan.otherIds];
      for (const f of plan.folders) if (!subtrees.includes(f)) subtrees.push(f);
      const work = plan.fetch;
      let removed = plan.gone.map((w) => w.fileId);
      for (const w of plan.gone) handledIds.push(...w.eventIds);
      const takeRemoved = (): string[] => {
        const out = removed;
        removed = [];
        return out;
      };

      const caughtUp = chunk.size === 0 || chunk.events.length === 0 || chunk.next === position;
      const chunkIds = chunk.events.map((e) => e.eventId).filter((id): id is string => id !== undefined);
      if (work.length === 0) {
        position = chunk.next;
        if (chunkIds.length) seen = chunkIds;
        const gone = takeRemoved();
        if (!caughtUp || gone.length) yield { documents: [], failures: [], labels: [], ...(gone.length ? { removed: gone } : {}), checkpoint: checkpoint(position, seen) };
        if (caughtUp) break;
        continue;
      }

      let done = 0;
      for await (const batch of this.processFiles(work, (w) => fileById(this.files, w.fileId))) {
        const items = work.slice(done, done + this.batchSize);
        done += items.length;
        handled += batch.count;
        for (const w of items) handledIds.push(...w.eventIds);
        const last = done >= work.length;
        if (last) {
          position = chunk.next;
          seen = chunkIds;
        }
        const gone = [...takeRemoved(), ...batch.removed];
        yield {
          documents: batch.documents,
          failures: batch.failures,
          labels: batch.labels,
          ...(gone.length ? { removed: gone } : {}),
          checkpoint: last ? checkpoint(position, seen) : checkpoint(position, handledIds),
        };
      }
      if (caughtUp) break;
    }

    if (subtrees.length > 0) {
      progress.stage(STAGE_SUBTREES);
      const unique = [...new Set(subtrees)];
      return yield* this.walk({ stack: unique.reverse(), current: null, folders: 0, pages: 0 }, position, handled, seen, "subtrees");
    }
    progress.total(handled);
    return { cursor: { streamPosition: position, savedAt: new Date(this.now()).toISOString(), ...(seen.length ? { seen: seen.slice(-CURSOR_SEEN) } : {}) } };
  }
}

// ---------------------------------------------------------------- the connector

export function createBoxConnector(options: BoxConnectorOptions = {}): Connector {
  return {
    type: "box",
    quota: boxManifest.quota,

    async connect(ctx: SyncContext) {
      const box = makeBoxClient(ctx);
      const me = await box.users.getUserMe({ fields: ["name", "login"] }, undefined, ctx.signal);
      const login = me.login ?? me.name;
      if (typeof login !== "string" || !login) throw new SyncError("malformed", "Box sent a malformed answer for the signed-in user");
      return { accountLabel: login };
    },

    sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: BoxCursor }, void> {
      return new BoxRun(ctx, makeBoxClient(ctx), options).start();
    },

    refresh(credentials: ConnectorCredentials, rctx: RefreshContext) {
      return refreshBoxToken(credentials, rctx, options.now);
    },
  };
}

export const boxConnector: Connector = createBoxConnector();
