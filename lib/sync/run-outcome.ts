// From whatever stopped an execution to what happens to the run: a transient database problem
// is handed back to the caller (tried again from the checkpoint), a lost run writes nothing, a
// slice or a shutdown leaves it resumable, and everything else ends it with the status and the
// words the user reads (cancelled, or error with the reason; auth trouble also marks the
// connection as needing a reconnect).
import { db } from "@/lib/db";
import { holdFence, isRunLost, type Fence } from "@/lib/progress/fence";
import type { ProgressTracker } from "@/lib/progress/tracker";
import { isTransientDbError } from "@/lib/sync/db-retry";
import { describeError } from "@/lib/sync/errors";
import { ShutdownSignal, SliceEndSignal } from "@/lib/sync/limits";
import { logger } from "@/lib/platform/logger";

/**
 * finished: the run reached a terminal state (or was already in one). stopped: the process is
 * shutting down; the run stays resumable. lost: another process claimed the run (a newer epoch)
 * or it ended: this execution stopped without writing anything more. sliced: the slice's time
 * was up; the run waits at its checkpoint for the next slice.
 */
export type RunOutcome = "finished" | "stopped" | "sliced" | "lost";

interface Stopped {
  /** The signal's reason when the execution was aborted, else what was thrown. */
  reason: unknown;
  thrown: unknown;
  fence: Fence;
  connectionId: string;
  provider: string;
  tracker: ProgressTracker;
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

export async function settleStoppedRun({ reason, thrown, fence, connectionId, provider, tracker }: Stopped): Promise<RunOutcome> {
  if (isTransientDbError(reason)) {
    // Our database stayed away through every retry: not the provider's fault and not the end
    // of the run. The caller tries the run again shortly, from its checkpoint.
    await tracker.flush().catch(() => undefined);
    throw reason;
  }
  if (isRunLost(reason) || isRunLost(thrown)) {
    // Someone else owns the run now (or it ended): write nothing more, not even a last event.
    logger.child({ run_id: fence.runId }).warn(`[sync] ${(isRunLost(reason) ? reason : (thrown as Error)).message}; this execution stops`);
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
    return (await finishOrLost(tracker.finish("cancelled", { stage: "Cancelled", current_item: undefined }))) ? "finished" : "lost";
  }
  if (error.kind === "auth") {
    const marked = await db()
      .$transaction(async (tx) => {
        await holdFence(tx, fence, "needs_reauth");
        await tx.connection.update({ where: { id: connectionId }, data: { status: "needs_reauth", statusMessage: error.message } });
      })
      .then(
        () => true,
        (e: unknown) => (isRunLost(e) ? false : Promise.reject(e)),
      );
    if (!marked) return "lost";
  }
  if (error.kind === "internal") logger.child({ run_id: fence.runId }).error({ err: thrown }, `[sync] run ${fence.runId} failed unexpectedly`);
  // The technical side goes to the server log and error_detail; the user reads error_message.
  else logger.child({ run_id: fence.runId }).warn(`[sync] run ${fence.runId} failed (${error.kind}): ${error.message}${error.detail ? ` — ${error.detail}` : ""}`);
  const patch = { stage: "Sync failed", error_message: error.message, ...(error.detail ? { error_detail: error.detail } : {}) };
  return (await finishOrLost(tracker.finish("error", patch))) ? "finished" : "lost";
}
