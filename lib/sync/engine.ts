// Executes one sync run: the original design's connector manager, bounded everywhere, in
// phases with a module each: the guards (whole-run timeout, stall watchdog, heartbeat:
// run-guards.ts), connecting within the connect timeout, the page loop (page-writer.ts: documents
// and checkpoint per page, fenced by the run's epoch), token renewal (token-refresh.ts), the
// search index, and what a stop means for the run (run-outcome.ts). Every timeout aborts the
// in-flight HTTP through AbortSignals.
import { setMaxListeners } from "node:events";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { decryptJson } from "@/lib/crypto";
import { toProgressData } from "@/lib/progress/store";
import { ProgressTracker } from "@/lib/progress/tracker";
import { fencedRun, holdFence, isRunLost, type Fence } from "@/lib/progress/fence";
import { getConnector, providerEndpoints, providerLabel } from "@/lib/connectors/registry";
import { refreshClientFor } from "@/lib/oauth/providers";
import type { Connector, ConnectorCredentials, SyncContext, SyncPage } from "@/lib/connectors/types";
import { countUnindexed, indexNextBatch } from "@/lib/search/index-documents";
import { SyncError, formatSeconds, isTerminal, type ConnectorType, type SyncStatus } from "@/lib/contract";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import { pacerFor, type Pacer } from "@/lib/sync/pacer";
import { runEventSink } from "@/lib/sync/run-end";
import { withDbRetry } from "@/lib/sync/db-retry";
import { limitsForConnector, limitsFromEnv, type RunLimits } from "@/lib/sync/limits";
import { writePage, type Checkpoint } from "@/lib/sync/page-writer";
import { RunGuards, untilAborted } from "@/lib/sync/run-guards";
import { createTokenRefresher } from "@/lib/sync/token-refresh";
import { settleStoppedRun, type RunOutcome } from "@/lib/sync/run-outcome";
import { EtaEstimator } from "@/lib/progress/eta";
import { tallyQuota } from "@/lib/sync/eta-quota";
import { isStaleCheckpoint } from "@/lib/connectors/kit/stale-checkpoint";
import { completionWords, rateLimitedStage, STALE_CHECKPOINT_STAGE } from "@/lib/sync/run-words";
import { logger } from "@/lib/platform/logger";

export { ShutdownSignal, SliceEndSignal, limitsFromEnv, staleAfterMs, type RunLimits } from "@/lib/sync/limits";
export { isTransientDbError } from "@/lib/sync/db-retry";
export type { RunOutcome } from "@/lib/sync/run-outcome";

function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

function parseCheckpoint(raw: string | null): Checkpoint | null {
  if (!raw) return null;
  const cp = JSON.parse(raw) as Checkpoint;
  const n = (v: unknown) => (typeof v === "number" && v > 0 ? v : 0);
  return { ...cp, carried: n(cp.carried), added: n(cp.added), updated: n(cp.updated), removed: n(cp.removed) };
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
  const connector = opts.connector ?? getConnector(type);
  // Pacing per provider account, tallied for this run: the quota's part of the time left.
  const quota = connector?.quota ? tallyQuota(connector.quota, pacerFor(`${type}:${conn.id}`, connector.quota)) : undefined;
  const tracker = new ProgressTracker(
    toProgressData(run),
    run.lastSeq,
    (seq, name, data) =>
      sink(seq, name, data).catch((error: unknown) => {
        throw lost(error);
      }),
    { eta: new EtaEstimator(quota?.bound) },
  );

  // Every request in flight listens on it (Gmail: up to 40 at once); not a leak.
  setMaxListeners(0, controller.signal);
  const onStop = () => controller.abort(stop.reason);
  stop.addEventListener("abort", onStop, { once: true });
  const guards = new RunGuards(controller, fence, workerId, limits, provider, run.startedAt);
  const touch = () => guards.touch();

  let statusBeforeWait: { status: SyncStatus; stage: string } | undefined;
  let onUnauthorized: ((token: string | null) => Promise<string | null>) | undefined;
  let pacer: Pacer | undefined;
  /** Provider requests not yet added to the run row (written with each page and at the end). */
  const requests = { pending: 0 };
  const fetchFor = (signal: AbortSignal) =>
    createProviderFetch({
      provider,
      onRequest: () => {
        requests.pending += 1;
      },
      signal,
      pacer,
      onUnauthorized,
      requestTimeoutMs: limits.requestTimeoutMs,
      maxAttempts: limits.maxAttempts,
      maxRateLimitWaitMs: limits.maxRateLimitWaitMs,
      onWait: (until) => {
        guards.waiting(until.getTime());
        const s = tracker.snapshot;
        if (s.status !== "rate_limited") statusBeforeWait = { status: s.status, stage: s.stage };
        // No seconds in the words: retry_at is the one source of every countdown.
        tracker.update({ status: "rate_limited", stage: rateLimitedStage(provider), retry_at: until.toISOString() });
      },
      onResume: () => {
        guards.waiting(0);
        const back = statusBeforeWait ?? { status: "syncing" as const, stage: `Syncing ${provider}…` };
        tracker.update({ ...back, retry_at: undefined });
      },
    });

  try {
    if (run.cancelRequestedAt) throw new SyncError("cancelled", "Cancelled");
    if (!connector) throw new SyncError("internal", `${provider} sync is not available in this version yet.`);

    // The checkpoint's counters are this run's own (a new run continuing an earlier one's
    // checkpoint starts at 0: lib/sync/service.ts); `carried` is what earlier runs handled.
    let saved = parseCheckpoint(run.checkpoint);
    const savedChanges = saved ? { added_items: saved.added ?? 0, updated_items: saved.updated ?? 0, removed_items: saved.removed ?? 0 } : {};
    if (saved && opts.continuation) {
      tracker.update({ processed_items: saved.processed, failed_items: saved.failed, total_items: Math.max(saved.total, tracker.snapshot.total_items), ...savedChanges });
    } else if (saved) {
      const resuming = opts.resumed || run.resumeCount > 0 || saved.processed + saved.failed > 0;
      tracker.update({
        processed_items: saved.processed,
        failed_items: saved.failed,
        total_items: saved.total,
        ...savedChanges,
        stage: resuming
          ? `Resuming after an interruption (${formatCount(saved.processed, "item", "items")} already synced)…`
          : `Continuing where the last sync stopped (${formatCount(saved.carried ?? 0, "item", "items")} already synced)…`,
      });
    }
    /** Items earlier runs handled from this run's listing: the connector's totals include them. */
    let carried = saved?.carried ?? 0;
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
        // The connector counts the whole listing; this run's own share excludes what earlier
        // runs handled. Never below what this run has handled (the tracker clamps too).
        tracker.update({ total_items: Math.max(0, n - carried), counting: undefined });
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
      checkpoint: (saved?.position ?? null) as unknown,
      progress,
      limits: limitsForConnector(),
    };

    onUnauthorized = createTokenRefresher({
      fence,
      connector,
      conn,
      credentials,
      provider,
      tokenUrl: endpoints.tokenUrl,
      client: refreshClientFor(type, conn.mode),
      limits,
      signal: controller.signal,
      lost,
    });
    pacer = quota?.pacer;

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

    if (!opts.continuation || tracker.snapshot.status === "queued") {
      // Until the connector says how many items there are, found is what was handled so far.
      tracker.update({ status: "syncing", stage: `Syncing ${provider}…`, ...(tracker.snapshot.total_items > 0 && saved ? {} : { counting: true }) });
    }
    const ctx: SyncContext = { ...baseCtx, signal: controller.signal, fetch: fetchFor(controller.signal) };
    const retry = <T>(work: () => Promise<T>) => withDbRetry(work, controller.signal, () => guards.dbWait());
    let iterator = connector.sync(ctx);
    let result: IteratorResult<SyncPage, { cursor: unknown }>;
    for (;;) {
      // Raced against the run's signal: a connector stuck on something that ignores the
      // abort cannot hold the run (the stall watchdog's verdict always lands).
      try {
        result = await untilAborted(iterator.next(), controller.signal);
      } catch (error) {
        if (!isStaleCheckpoint(error) || !saved) throw error;
        // The provider's data changed since the checkpoint was written: list everything
        // again (documents are upserts, nothing is stored twice), and say so.
        logger.child({ run_id: runId }).warn(`[sync] run ${runId}: ${error.message}; listing again from the start`);
        saved = null;
        carried = 0;
        tracker.update({ stage: STALE_CHECKPOINT_STAGE, counting: true, total_items: tracker.snapshot.processed_items + tracker.snapshot.failed_items });
        iterator = connector.sync({ ...ctx, checkpoint: null });
        continue;
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      if (result.done) break;
      const page = result.value;
      await retry(() => writePage(fence, conn, page, tracker, carried, requests)).catch((error: unknown) => {
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
    await retry(async () => {
      const sent = requests.pending;
      await db().$transaction(async (tx) => {
        await holdFence(tx, fence, "cursor", { providerRequests: { increment: sent } });
        await tx.connection.update({ where: { id: conn.id }, data: { cursor, status: "connected", statusMessage: null } });
      });
      requests.pending -= sent;
    }).catch((error: unknown) => Promise.reject(lost(error)));
    const s = tracker.snapshot;
    await tracker.finish("complete", { stage: completionWords({
        provider,
        processed: s.processed_items,
        failed: s.failed_items,
        found: s.total_items,
        notes,
        changes: { added: s.added_items ?? 0, updated: s.updated_items ?? 0, removed: s.removed_items ?? 0 },
      }) });
    return "finished";
  } catch (thrown) {
    const reason = controller.signal.aborted ? controller.signal.reason : thrown;
    return await settleStoppedRun({ reason, thrown, fence, connectionId: conn.id, provider, tracker });
  } finally {
    guards.dispose();
    stop.removeEventListener("abort", onStop);
    tracker.dispose();
    controller.abort(new SyncError("internal", "run finished"));
  }
}

