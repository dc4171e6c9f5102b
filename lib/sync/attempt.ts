// One attempt at executing a run, the same for the in-process runner and a BullMQ worker:
// take ownership in the database, take the user's and the account's concurrency slots,
// execute (a whole run or one slice), let go. What to do next is the caller's: the
// in-process runner re-queues in memory, a worker moves its job back into the queue.
import { logger } from "@/lib/platform/logger";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { toProgressData } from "@/lib/progress/store";
import { runEventSink } from "@/lib/sync/run-end";
import { ProgressTracker } from "@/lib/progress/tracker";
import { executeRun, isTransientDbError, limitsFromEnv, staleAfterMs, type RunOutcome } from "@/lib/sync/engine";
import type { Connector } from "@/lib/connectors/types";
import { fencedRun, isRunLost, type Fence } from "@/lib/progress/fence";
import { slotKeysFor, type RunSlots, type SlotKey } from "@/lib/sync/slots";

/** An interrupted run is resumed at most this many times, then ended as interrupted. */
export const MAX_RESUMES = 3;
export const INTERRUPTED_MESSAGE = "The sync was interrupted (its server stopped) several times and could not be resumed. Start it again.";

export type AttemptResult =
  /** Nothing more to do for this run here (terminal, gone, or someone else's now). */
  | { kind: "done" }
  /** Try again after `delayMs`; `continuation`: the next execution continues a slice. */
  | { kind: "again"; delayMs: number; continuation: boolean }
  /** The process is stopping: the run was handed back, resumable from its checkpoint. */
  | { kind: "handed_back" };

/**
 * claimed: nobody had it. resumed: a process handed it back when it stopped (SIGTERM).
 * taken_over: its process died or froze (stale heartbeat). busy: someone alive has it.
 */
type Claim = "claimed" | "resumed" | "taken_over" | "busy" | "finished";

export interface ClaimResult {
  claim: Claim;
  /** Set when the run is ours: the epoch every write of this execution carries. */
  fence?: Fence;
}

/**
 * Takes a run that nobody alive owns, with a new epoch (lib/sync/fence.ts). A run owned by
 * another process whose heartbeat went stale is taken over: that counts against the resume
 * budget (reset whenever the run writes a checkpoint, see writePage).
 */
export async function claimRun(runId: string, workerId: string): Promise<ClaimResult> {
  const run = await db().syncRun.findUnique({ where: { id: runId }, select: { finishedAt: true, workerId: true, heartbeatAt: true, epoch: true } });
  if (!run || run.finishedAt) return { claim: "finished" };
  const now = new Date();
  const free = run.workerId === null || run.workerId === workerId;
  if (!free && now.getTime() - run.heartbeatAt.getTime() <= staleAfterMs()) return { claim: "busy" };
  // Compare-and-set on the epoch and owner we read: of two claimants, one wins, and whoever
  // held the run before can no longer write to it.
  const { count } = await db().syncRun.updateMany({
    where: { id: runId, finishedAt: null, epoch: run.epoch, workerId: run.workerId, heartbeatAt: run.heartbeatAt },
    data: { workerId, heartbeatAt: now, epoch: { increment: 1 }, ...(free ? {} : { resumeCount: { increment: 1 } }) },
  });
  if (count === 0) return { claim: "busy" };
  const fence = { runId, epoch: run.epoch + 1 };
  if (!free) return { claim: "taken_over", fence };
  return { claim: run.heartbeatAt.getTime() === 0 ? "resumed" : "claimed", fence };
}

/**
 * Lets go of a run this execution owns, leaving it resumable. `immediately`: its heartbeat is
 * dated back so any process's recovery picks it up at once (shutdown); otherwise it stays
 * fresh, and only the queue brings it back (a slice, a wait for a slot).
 */
export async function handBack(fence: Fence, immediately: boolean): Promise<void> {
  await db().syncRun.updateMany({
    where: fencedRun(fence),
    data: { workerId: null, heartbeatAt: immediately ? new Date(0) : new Date() },
  });
}

/**
 * Ends a run with a terminal event. With `fence`: this execution still owns it (a crash
 * handler); if it lost the run meanwhile, nothing is written. Without: the run is not
 * executing anywhere (cancel of a queued or orphaned run, the sweep giving up on it): the run
 * is taken with a new epoch first, so a process that still believes it owns it is fenced out.
 */
export async function endRun(runId: string, status: "error" | "cancelled", message: string, fence?: Fence): Promise<void> {
  let own = fence;
  if (!own) {
    const current = await db().syncRun.findUnique({ where: { id: runId }, select: { epoch: true, finishedAt: true } });
    if (!current || current.finishedAt) return;
    const { count } = await db().syncRun.updateMany({
      where: { id: runId, epoch: current.epoch, finishedAt: null },
      data: { epoch: { increment: 1 }, workerId: null },
    });
    if (count === 0) return; // claimed meanwhile: its new owner ends it
    own = { runId, epoch: current.epoch + 1 };
  }
  const run = await db().syncRun.findUnique({ where: { id: runId } });
  if (!run || run.finishedAt || run.epoch !== own.epoch) return;
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, runEventSink(own));
  try {
    await tracker.finish(status, status === "cancelled" ? { stage: "Cancelled" } : { stage: "Sync failed", error_message: message });
  } catch (error) {
    if (!isRunLost(error)) throw error;
    logger.warn(`[sync] ${(error as Error).message}; not ending it here`);
  }
}

/** Says on the run why it has not started yet (only while this execution owns it). */
async function noteWaiting(fence: Fence, words: string): Promise<void> {
  const run = await db().syncRun.findUnique({ where: { id: fence.runId } });
  if (!run || run.finishedAt || run.epoch !== fence.epoch || run.stage === words) return;
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, runEventSink(fence));
  tracker.update({ stage: words });
  await tracker.flush();
  tracker.dispose();
}

function waitingWords(keys: SlotKey[]): string {
  const user = keys.find((k) => k.key.startsWith("user:"));
  const perUser = user ? `at most ${user.limit} of your syncs run at once` : "";
  return `Waiting for another sync to finish (${perUser || "one sync per account at a time"})…`;
}

export interface AttemptOptions {
  workerId: string;
  slots: RunSlots;
  /** Aborted with a ShutdownSignal when the process stops. */
  stop: AbortSignal;
  continuation: boolean;
  connector?: Connector;
  /** End the execution at the first checkpoint after this long (default: SYNC_SLICE_S). */
  sliceMs?: number;
}

export async function attemptRun(runId: string, opts: AttemptOptions): Promise<AttemptResult> {
  const { workerId, slots } = opts;
  const { claim, fence } = await claimRun(runId, workerId);
  if (claim === "finished") return { kind: "done" };
  // Someone alive has it: look again when it would have gone stale.
  if (claim === "busy" || !fence) return { kind: "again", delayMs: Math.ceil(staleAfterMs() / 2), continuation: opts.continuation };

  const run = await db().syncRun.findUnique({
    where: { id: runId },
    select: { userId: true, resumeCount: true, connection: { select: { id: true, type: true, mode: true, accountLabel: true } } },
  });
  if (!run) return { kind: "done" };
  if (claim === "taken_over" && run.resumeCount > MAX_RESUMES) {
    await endRun(runId, "error", INTERRUPTED_MESSAGE, fence);
    return { kind: "done" };
  }

  const keys = slotKeysFor(run, run.connection);
  if (!(await slots.acquire(runId, keys))) {
    await noteWaiting(fence, waitingWords(keys)).catch(() => undefined);
    await handBack(fence, false);
    return { kind: "again", delayMs: 500 + Math.floor(Math.random() * 1000), continuation: opts.continuation };
  }
  // Slots are leases (a dead worker's expire); renew them while the run executes.
  const renew = setInterval(() => void slots.acquire(runId, keys).catch(() => undefined), Math.max(1000, Math.floor(staleAfterMs() / 3)));
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(runId, {
      stop: opts.stop,
      workerId,
      epoch: fence.epoch,
      limits: limitsFromEnv(),
      connector: opts.connector,
      sliceMs: opts.sliceMs ?? (env().SYNC_SLICE_S ? env().SYNC_SLICE_S! * 1000 : undefined),
      // After a takeover or a hand-back the user should read "Resuming after an interruption".
      continuation: opts.continuation && claim === "claimed",
      resumed: claim !== "claimed",
    });
  } catch (error) {
    // Our own database is busy or away: the caller tries again shortly (the claim is ours).
    if (isTransientDbError(error) && !opts.stop.aborted) throw error;
    logger.child({ run_id: runId }).error({ err: error }, `[sync] run ${runId} crashed`);
    await endRun(runId, "error", "The sync stopped on an unexpected problem; please try again.", fence).catch(() => undefined);
    return { kind: "done" };
  } finally {
    clearInterval(renew);
    await slots.release(runId, keys).catch(() => undefined);
  }
  if (outcome === "finished" || outcome === "lost") return { kind: "done" };
  if (outcome === "sliced") {
    await handBack(fence, false);
    logger.child({ run_id: runId }).info(`[sync] run ${runId}: slice ended at a checkpoint; queued for the next slice`);
    return { kind: "again", delayMs: 0, continuation: true };
  }
  if (opts.stop.aborted) {
    await handBack(fence, true);
    return { kind: "handed_back" };
  }
  // Stopped without a shutdown here: another process took the run over.
  return { kind: "done" };
}
