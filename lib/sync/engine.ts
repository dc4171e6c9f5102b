// Executes one sync run: the original design's connector manager, bounded everywhere.
// connect timeout, per-request timeout, stall watchdog and whole-run timeout all abort
// the in-flight HTTP through AbortSignals; documents are written page by page together
// with the checkpoint that lets an interrupted run continue where it stopped.
import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { decryptJson, encryptJson } from "@/lib/crypto";
import { env } from "@/lib/env";
import { toProgressData } from "@/lib/progress/store";
import { runEventSink } from "@/lib/sync/run-end";
import { ProgressTracker } from "@/lib/progress/tracker";
import { getConnector, providerEndpoints, providerLabel } from "@/lib/connectors/registry";
import { refreshClientFor } from "@/lib/oauth/providers";
import type { Connector, ConnectorCredentials, DocumentInput, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import { pacerFor, type Pacer } from "@/lib/sync/pacer";
import { countUnindexed, indexNextBatch } from "@/lib/search/index-documents";
import { SyncError, describeError, formatDuration, formatSeconds } from "@/lib/sync/errors";
import { isTerminal, type ConnectorType, type SyncStatus } from "@/lib/sync/types";
import { RunLostError, fencedRun, holdFence, isRunLost, type Fence } from "@/lib/progress/fence";

export interface RunLimits {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  stallTimeoutMs: number;
  runTimeoutMs: number;
  maxRateLimitWaitMs: number;
  maxAttempts: number;
  heartbeatMs: number;
}

/** How long a run may go without a heartbeat before another process takes it over. */
export function staleAfterMs(): number {
  return env().SYNC_STALE_AFTER_S * 1000;
}

export function limitsFromEnv(): RunLimits {
  const e = env();
  return {
    connectTimeoutMs: e.SYNC_CONNECT_TIMEOUT_S * 1000,
    requestTimeoutMs: e.SYNC_REQUEST_TIMEOUT_S * 1000,
    stallTimeoutMs: e.SYNC_STALL_TIMEOUT_S * 1000,
    runTimeoutMs: e.SYNC_TIMEOUT_S * 1000,
    maxRateLimitWaitMs: e.SYNC_MAX_RATE_LIMIT_WAIT_S * 1000,
    maxAttempts: e.SYNC_MAX_ATTEMPTS,
    // Several beats fit in the stale window, so one slow write never looks like a death.
    heartbeatMs: Math.min(5000, Math.floor(staleAfterMs() / 3)),
  };
}

function limitsForConnector(): SyncLimits {
  const e = env();
  return {
    maxPages: e.SYNC_MAX_PAGES,
    maxChannels: e.SLACK_MAX_CHANNELS,
    maxMessagesPerChannel: e.SLACK_MAX_MESSAGES_PER_CHANNEL,
    maxFolders: e.BOX_MAX_FOLDERS,
  };
}

/** Saved on the run after every page: where to resume and the counters at that point. */
interface Checkpoint {
  position: unknown;
  processed: number;
  failed: number;
  total: number;
}

/** Thrown into the run's signal when the process is shutting down: leave the run resumable. */
export class ShutdownSignal extends Error {
  constructor() {
    super("shutting down");
  }
}

/**
 * Thrown into the run's signal when a serverless slice must end now, before the platform's
 * maxDuration cuts the invocation: the run waits at its last checkpoint for the next slice.
 */
export class SliceEndSignal extends Error {
  constructor() {
    super("slice over");
  }
}

function contentHash(doc: DocumentInput): string {
  return createHash("sha256")
    .update(JSON.stringify([doc.kind, doc.title, doc.text, doc.url ?? null, doc.author ?? null, doc.metadata ?? null]))
    .digest("hex");
}

function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/**
 * Runs `runId` to a terminal state (or leaves it resumable when `stop` aborts with a
 * ShutdownSignal). Never throws for provider trouble: that ends the run with `error`.
 */
export interface ExecuteOptions {
  /** Aborted with a ShutdownSignal when the process stops: the run stays resumable. */
  stop: AbortSignal;
  /** The owner recorded on the run; losing ownership stops this execution. */
  workerId: string;
  /** The epoch this execution claimed the run with: every write it makes is fenced by it. */
  epoch: number;
  limits?: RunLimits;
  /** Tests inject a connector; the app uses the registry. */
  connector?: Connector;
  /** End this execution at the first checkpoint after this long (serverless slices). */
  sliceMs?: number;
  /** This execution continues a slice of the same run: no "continuing" words, no status flicker. */
  continuation?: boolean;
  /** The run's previous process stopped or died mid-run (not a new run carrying a checkpoint). */
  resumed?: boolean;
}

/**
 * finished: the run reached a terminal state (or was already in one). stopped: the process
 * is shutting down; the run stays resumable. lost: another process claimed the run (a newer
 * epoch) or it ended: this execution stopped without writing anything more. sliced: the slice's time was up; the
 * run waits at its checkpoint for the next slice.
 */
export type RunOutcome = "finished" | "stopped" | "sliced" | "lost";

export async function executeRun(runId: string, opts: ExecuteOptions): Promise<RunOutcome> {
  const { stop, workerId } = opts;
  const fence: Fence = { runId, epoch: opts.epoch };
  const limits = opts.limits ?? limitsFromEnv();
  const run = await db().syncRun.findUnique({ where: { id: runId }, include: { connection: true } });
  if (!run || isTerminal(run.status)) return "finished";
  if (run.epoch !== fence.epoch) return "lost";
  const sliceDeadline = opts.sliceMs ? Date.now() + opts.sliceMs : Infinity;
  const type = run.connectorType as ConnectorType;
  const provider = providerLabel(type);
  const conn = run.connection;

  const controller = new AbortController();
  // A refused write means another process owns the run now: stop everything at once.
  const lost = (error: unknown) => {
    if (isRunLost(error) && !controller.signal.aborted) controller.abort(error);
    return error;
  };
  const sink = runEventSink(fence);
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, (seq, name, data) =>
    sink(seq, name, data).catch((error: unknown) => {
      throw lost(error);
    }),
  );

  // Every request in flight listens on it (Gmail: up to 40 at once); not a leak.
  setMaxListeners(0, controller.signal);
  let lastActivity = Date.now();
  let waitingUntil = 0;
  let dbBusy = 0;
  const touch = () => {
    lastActivity = Date.now();
  };
  const onStop = () => controller.abort(stop.reason);
  stop.addEventListener("abort", onStop, { once: true });

  const runTimer = setTimeout(
    () =>
      controller.abort(
        new SyncError("run_timeout", `The sync ran longer than ${formatDuration(limits.runTimeoutMs)} and was stopped. Sync again to continue where it stopped.`),
      ),
    Math.max(0, run.startedAt.getTime() + limits.runTimeoutMs - Date.now()),
  );
  const watchdog = setInterval(
    () => {
      const now = Date.now();
      // Waiting on a rate limit, or on our own database (bounded by its own waits and
      // retries): not the provider stalling.
      if (now < waitingUntil || dbBusy > 0) return touch();
      if (now - lastActivity > limits.stallTimeoutMs) {
        controller.abort(
          new SyncError(
            "stalled",
            `No progress for ${formatSeconds(limits.stallTimeoutMs)}: ${provider} stopped answering, so the sync was stopped. Try again later.`,
          ),
        );
      }
    },
    Math.min(1000, Math.max(50, limits.stallTimeoutMs / 4)),
  );
  const heartbeat = setInterval(() => {
    void (async () => {
      const { count } = await db().syncRun.updateMany({ where: { ...fencedRun(fence), workerId }, data: { heartbeatAt: new Date() } });
      // Another process took the run over (we were presumed dead), or it ended: stop without touching it.
      if (count === 0) return controller.abort(new RunLostError(fence, "heartbeat"));
      const r = await db().syncRun.findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } });
      if (r?.cancelRequestedAt) controller.abort(new SyncError("cancelled", "Cancelled"));
    })().catch(() => undefined);
  }, limits.heartbeatMs);

  let statusBeforeWait: { status: SyncStatus; stage: string } | undefined;
  let onUnauthorized: ((token: string | null) => Promise<string | null>) | undefined;
  let pacer: Pacer | undefined;
  const fetchFor = (signal: AbortSignal) =>
    createProviderFetch({
      provider,
      signal,
      pacer,
      onUnauthorized,
      requestTimeoutMs: limits.requestTimeoutMs,
      maxAttempts: limits.maxAttempts,
      maxRateLimitWaitMs: limits.maxRateLimitWaitMs,
      onWait: (until) => {
        waitingUntil = until.getTime();
        const s = tracker.snapshot;
        if (s.status !== "rate_limited") statusBeforeWait = { status: s.status, stage: s.stage };
        const secs = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
        tracker.update({ status: "rate_limited", stage: `Rate limited by ${provider}, resuming in ${secs} s`, retry_at: until.toISOString() });
      },
      onResume: () => {
        waitingUntil = 0;
        touch();
        const back = statusBeforeWait ?? { status: "syncing" as const, stage: `Syncing ${provider}…` };
        tracker.update({ ...back, retry_at: undefined });
      },
    });

  try {
    if (run.cancelRequestedAt) throw new SyncError("cancelled", "Cancelled");
    const connector = opts.connector ?? getConnector(type);
    if (!connector) throw new SyncError("internal", `${provider} sync is not available in this version yet.`);

    const saved = run.checkpoint ? (JSON.parse(run.checkpoint) as Checkpoint) : null;
    if (saved && opts.continuation) {
      tracker.update({ processed_items: saved.processed, failed_items: saved.failed, total_items: Math.max(saved.total, tracker.snapshot.total_items) });
    } else if (saved) {
      tracker.update({
        processed_items: saved.processed,
        failed_items: saved.failed,
        total_items: saved.total,
        stage:
          opts.resumed || run.resumeCount > 0
            ? `Resuming after an interruption (${formatCount(saved.processed, "item", "items")} already synced)…`
            : `Continuing where the last sync stopped (${formatCount(saved.processed, "item", "items")} already synced)…`,
      });
    }
    const credentials = decryptJson<ConnectorCredentials>(conn.credentials);
    const endpoints = providerEndpoints(type, conn.mode);
    const notes: string[] = run.notes ? (JSON.parse(run.notes) as string[]) : [];
    const progress = {
      stage: (words: string) => {
        touch();
        tracker.update({ stage: words });
      },
      total: (n: number) => {
        touch();
        tracker.update({ total_items: Math.max(n, tracker.snapshot.processed_items + tracker.snapshot.failed_items) });
      },
      phase: (status: "syncing" | "parsing") => {
        touch();
        tracker.update({ status });
      },
      capped: (note: string) => {
        if (notes.includes(note)) return;
        notes.push(note);
        tracker.update({ stage: note });
        void db().syncRun.updateMany({ where: fencedRun(fence), data: { notes: JSON.stringify(notes) } }).catch(() => undefined);
      },
    };
    const baseCtx = {
      baseUrl: endpoints.apiBaseUrl,
      credentials,
      cursor: conn.cursor ? (JSON.parse(conn.cursor) as unknown) : null,
      checkpoint: saved?.position ?? null,
      progress,
      limits: limitsForConnector(),
    };

    // A 401 is answered with one refresh (shared by every request in flight), stored
    // encrypted before the new token is used: Box's refresh tokens work only once.
    let refreshing: Promise<string | null> | null = null;
    const refresh = connector.refresh?.bind(connector);
    onUnauthorized = async (usedToken) => {
      if (usedToken && usedToken !== credentials.accessToken) return credentials.accessToken;
      if (!refresh || !credentials.refreshToken) return null;
      refreshing ??= (async () => {
        // Only the run's owner renews its token (a paused process that lost the run must not).
        const owner = await db().syncRun.count({ where: fencedRun(fence) });
        if (owner === 0) throw lost(new RunLostError(fence, "token refresh"));
        const before = conn.credentials;
        const fresh = await refresh(
          { ...credentials },
          { fetch: createProviderFetch({ provider, signal: controller.signal, requestTimeoutMs: limits.requestTimeoutMs, maxAttempts: limits.maxAttempts, maxRateLimitWaitMs: limits.maxRateLimitWaitMs }), signal: controller.signal, tokenUrl: endpoints.tokenUrl, ...refreshClientFor(type, conn.mode) },
        );
        // Stored even if the run is lost meanwhile: a rotated refresh token (Box) works once,
        // and the provider has already retired the old one. Compare-and-set on what we read,
        // so a concurrent renewal's newer token is never overwritten with ours.
        const sealed = encryptJson(fresh);
        await db().connection.updateMany({ where: { id: conn.id, credentials: before }, data: { credentials: sealed } });
        conn.credentials = sealed;
        Object.assign(credentials, fresh);
        return fresh.accessToken;
      })().finally(() => {
        refreshing = null;
      });
      return refreshing;
    };
    if (connector.quota) pacer = pacerFor(`${type}:${conn.id}`, connector.quota);

    // Connect, bounded by the connect timeout (strong references only: see node-fetch.ts).
    if (!opts.continuation) tracker.update({ status: "connecting", stage: `Connecting to ${provider}…` });
    const connectController = new AbortController();
    const abortConnect = () => connectController.abort(controller.signal.reason);
    controller.signal.addEventListener("abort", abortConnect, { once: true });
    const connectTimer = setTimeout(
      () => connectController.abort(new SyncError("connect_timeout", `Connecting to ${provider} took longer than ${formatSeconds(limits.connectTimeoutMs)}. Try again later.`)),
      limits.connectTimeoutMs,
    );
    const connectCtx: SyncContext = { ...baseCtx, signal: connectController.signal, fetch: fetchFor(connectController.signal) };
    try {
      await untilAborted(connector.connect(connectCtx), connectController.signal);
    } catch (error) {
      if (!controller.signal.aborted && connectController.signal.aborted) throw connectController.signal.reason;
      throw error;
    } finally {
      clearTimeout(connectTimer);
      controller.signal.removeEventListener("abort", abortConnect);
    }
    touch();

    if (!opts.continuation || tracker.snapshot.status === "queued") tracker.update({ status: "syncing", stage: `Syncing ${provider}…` });
    const ctx: SyncContext = { ...baseCtx, signal: controller.signal, fetch: fetchFor(controller.signal) };
    const retry = <T>(work: () => Promise<T>) =>
      withDbRetry(work, controller.signal, () => {
        dbBusy += 1;
        return () => {
          dbBusy -= 1;
          touch();
        };
      });
    const iterator = connector.sync(ctx);
    let result: IteratorResult<SyncPage, { cursor: unknown }>;
    for (;;) {
      // Raced against the run's signal: a connector stuck on something that ignores the
      // abort cannot hold the run (the stall watchdog's verdict always lands).
      result = await untilAborted(iterator.next(), controller.signal);
      if (controller.signal.aborted) throw controller.signal.reason;
      if (result.done) break;
      const page = result.value;
      await retry(() => writePage(fence, conn, page, tracker)).catch((error: unknown) => {
        throw lost(error);
      });
      touch();
      if (Date.now() >= sliceDeadline) {
        // The slice's time is up: the page and its checkpoint are written; the next slice
        // (any process) continues from here. Let the connector clean up.
        void Promise.resolve(iterator.return?.(undefined as never)).catch(() => undefined);
        await tracker.flush();
        return "sliced";
      }
    }

    // Embedding: take the new and changed documents into the local full-text index.
    const due = await retry(() => countUnindexed(conn.id));
    if (due > 0) {
      tracker.update({ status: "embedding", stage: `Indexing ${formatCount(due, "document", "documents")} for search…`, current_item: undefined });
      let done = 0;
      const guard = (tx: Prisma.TransactionClient) => holdFence(tx, fence, "index batch");
      const nextBatch = () => retry(() => indexNextBatch(conn.id, guard)).catch((error: unknown) => Promise.reject(lost(error)));
      for (let n = await nextBatch(); n > 0; n = await nextBatch()) {
        if (controller.signal.aborted) throw controller.signal.reason;
        done += n;
        touch();
        if (done < due) tracker.update({ stage: `Indexing documents for search (${done.toLocaleString("en-US")} of ${due.toLocaleString("en-US")})…` });
      }
    }

    const cursor = JSON.stringify(result.value.cursor ?? null);
    await retry(() =>
      db().$transaction(async (tx) => {
        await holdFence(tx, fence, "cursor");
        await tx.connection.update({ where: { id: conn.id }, data: { cursor, status: "connected", statusMessage: null } });
      }),
    ).catch((error: unknown) => Promise.reject(lost(error)));
    const s = tracker.snapshot;
    const failedNote = s.failed_items ? `, ${formatCount(s.failed_items, "item", "items")} failed` : "";
    const cappedNote = notes.length ? ` — ${notes.join("; ")}` : "";
    await tracker.finish("complete", {
      total_items: Math.max(s.total_items, s.processed_items + s.failed_items),
      stage: `Synced ${formatCount(s.processed_items, "item", "items")}${failedNote}${cappedNote}`,
    });
    return "finished";
  } catch (thrown) {
    const reason = controller.signal.aborted ? controller.signal.reason : thrown;
    if (isTransientDbError(reason)) {
      // Our database stayed away through every retry: not the provider's fault and not the
      // end of the run. The runner tries the run again shortly, from its checkpoint.
      await tracker.flush().catch(() => undefined);
      throw reason;
    }
    if (isRunLost(reason) || isRunLost(thrown)) {
      // Someone else owns the run now (or it ended): write nothing more, not even a last event.
      console.warn(`[sync] ${(isRunLost(reason) ? reason : (thrown as Error)).message}; this execution stops`);
      return "lost";
    }
    if (reason instanceof SliceEndSignal) {
      await tracker.flush().catch(() => undefined);
      return "sliced";
    }
    if (reason instanceof ShutdownSignal) {
      // Leave the run resumable from its last checkpoint; the next start picks it up.
      await tracker.flush().catch(() => undefined);
      return "stopped";
    }
    const error = describeError(reason, provider);
    if (error.kind === "cancelled") {
      if (!(await finishOrLost(tracker.finish("cancelled", { stage: "Cancelled", current_item: undefined })))) return "lost";
    } else {
      if (error.kind === "auth") {
        const marked = await db().$transaction(async (tx) => {
          await holdFence(tx, fence, "needs_reauth");
          await tx.connection.update({ where: { id: conn.id }, data: { status: "needs_reauth", statusMessage: error.message } });
        }).then(() => true, (e: unknown) => (isRunLost(e) ? false : Promise.reject(e)));
        if (!marked) return "lost";
      }
      if (error.kind === "internal") console.error(`[sync] run ${runId} failed unexpectedly:`, thrown);
      if (!(await finishOrLost(tracker.finish("error", { stage: "Sync failed", error_message: error.message })))) return "lost";
    }
    return "finished";
  } finally {
    clearTimeout(runTimer);
    clearInterval(watchdog);
    clearInterval(heartbeat);
    stop.removeEventListener("abort", onStop);
    tracker.dispose();
    controller.abort(new SyncError("internal", "run finished"));
  }
}

/**
 * A database that is briefly unavailable or saturated (pool or transaction wait exceeded,
 * connections terminated) is not the provider's fault and not the end of the run: the page
 * is written again after a pause. A page's transaction is all-or-nothing, and rewriting
 * it is an idempotent upsert, so a retry after a commit whose answer was lost is harmless.
 */
const DB_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

export function isTransientDbError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === "string" && ["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2034", "ECONNRESET", "ECONNREFUSED", "57P01", "57P03", "53300", "08006", "08003", "SQLITE_BUSY"].includes(e.code)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  if (/timeout exceeded when trying to connect|Connection terminated|terminating connection|Unable to start a transaction|database is locked|connection (?:is )?closed|not queryable|connection error/i.test(message)) return true;
  return e.cause !== undefined && e.cause !== error && isTransientDbError(e.cause);
}

async function withDbRetry<T>(write: () => Promise<T>, signal: AbortSignal, busy: () => () => void): Promise<T> {
  const done = busy();
  try {
    return await retryDb(write, signal);
  } finally {
    done();
  }
}

async function retryDb<T>(write: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const delay = DB_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || signal.aborted || !isTransientDbError(error)) throw error;
      console.warn(`[sync] database busy or unavailable (${(error as Error).message?.split("\n").at(-1)?.slice(0, 120)}); trying again in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      if (signal.aborted) throw signal.reason;
    }
  }
}

/** The terminal event written (true), or refused because the run is someone else's now (false). */
async function finishOrLost(finishing: Promise<void>): Promise<boolean> {
  try {
    await finishing;
    return true;
  } catch (error) {
    if (isRunLost(error)) return false;
    throw error;
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

async function writePage(
  fence: Fence,
  conn: { id: string; userId: string; workspaceId: string },
  page: SyncPage,
  tracker: ProgressTracker,
): Promise<void> {
  const before = tracker.snapshot;
  const checkpoint: Checkpoint = {
    position: page.checkpoint,
    processed: before.processed_items + page.documents.length,
    failed: before.failed_items + page.failures.length,
    // The total as reported so far (0 = still unknown: a resumed run shows it as unknown too).
    total: before.total_items,
  };
  const { runId } = fence;
  const now = new Date();
  await db().$transaction(async (tx) => {
    // First, and on the fence's condition: a process that lost the run writes no document, and
    // the run row's lock orders this page against a concurrent claim. A checkpoint is progress:
    // the resume budget counts takeovers since the last one (a crash loop), not pauses.
    await holdFence(tx, fence, "page", { checkpoint: JSON.stringify(checkpoint), heartbeatAt: now, resumeCount: 0 });
    // New documents go in with one multi-row INSERT; only those already stored (a re-sync, or a
    // page written again after a lost commit answer) are updated one by one. A first sync's page
    // is then two statements instead of one upsert per document: less time holding a pooled
    // connection, and far less CPU per item in the process that runs the sync.
    const stored = new Set(
      page.documents.length
        ? (
            await tx.document.findMany({
              where: { connectionId: conn.id, externalId: { in: page.documents.map((d) => d.externalId) } },
              select: { externalId: true },
            })
          ).map((d) => d.externalId)
        : [],
    );
    const fresh: Prisma.DocumentCreateManyInput[] = [];
    const seen = new Map<string, number>();
    for (const doc of page.documents) {
      const data = {
        kind: doc.kind,
        title: doc.title,
        text: doc.text,
        url: doc.url ?? null,
        author: doc.author ?? null,
        metadata: doc.metadata ? JSON.stringify(doc.metadata) : null,
        createdAt: doc.createdAt,
        updatedAt: doc.updatedAt,
        contentHash: contentHash(doc),
        syncedAt: now,
        lastRunId: runId,
      };
      const row = { ...data, userId: conn.userId, workspaceId: conn.workspaceId, connectionId: conn.id, externalId: doc.externalId };
      if (stored.has(doc.externalId)) {
        await tx.document.upsert({ where: { connectionId_externalId: { connectionId: conn.id, externalId: doc.externalId } }, create: row, update: data });
        continue;
      }
      // Twice in one page: the later copy wins, as upserts in order did.
      const at = seen.get(doc.externalId);
      if (at === undefined) {
        seen.set(doc.externalId, fresh.length);
        fresh.push(row);
      } else fresh[at] = row;
    }
    if (fresh.length) await tx.document.createMany({ data: fresh });
    if (page.failures.length) {
      await tx.syncItemFailure.createMany({
        data: page.failures.map((f) => ({ runId, userId: conn.userId, externalId: f.externalId, title: f.title ?? null, reason: f.reason })),
      });
    }
  });
  page.documents.forEach((_, i) => tracker.itemDone(page.labels?.[i]));
  page.failures.forEach((f) => tracker.itemDone(f.title ? `Failed: ${f.title}` : `Failed: ${f.externalId}`, true));
}
