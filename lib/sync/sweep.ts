// The one orphan sweep, for every shape: runs left unfinished with nobody advancing them (no
// heartbeat for SYNC_STALE_AFTER_S: a process that died or froze, a continuation or a queue job
// that was lost, a start whose first slice never ran) are released with a new epoch (fencing
// out whoever had them) and handed to `dispatch`: the in-process runner's queue, BullMQ, or a
// serverless continuation. A run taken from an owner counts against its resume budget, reset
// whenever it writes a checkpoint; one taken over again and again without progress is ended,
// saying so.
import { db } from "@/lib/db";
import { ACTIVE_STATUSES } from "@/lib/contract";
import { INTERRUPTED_MESSAGE, MAX_RESUMES, endRun } from "@/lib/sync/attempt";
import { staleAfterMs } from "@/lib/sync/limits";

export interface SweepOptions {
  /** The embedded single process at start-up: every unfinished run is an orphan, whatever its heartbeat. */
  atBoot?: boolean;
  /** Runs this process is executing or about to: never swept here. */
  skip?: (runId: string) => boolean;
  limit?: number;
}

/** Releases and dispatches stale runs; returns how many it handled. */
export async function sweepStaleRuns(dispatch: (runId: string) => unknown, opts: SweepOptions = {}): Promise<number> {
  const staleBefore = new Date(opts.atBoot ? Date.now() : Date.now() - staleAfterMs());
  const orphans = await db().syncRun.findMany({
    where: { finishedAt: null, status: { in: [...ACTIVE_STATUSES] }, heartbeatAt: { lt: staleBefore } },
    orderBy: { heartbeatAt: "asc" },
    select: { id: true, resumeCount: true, workerId: true, heartbeatAt: true, epoch: true },
    take: opts.limit ?? 500,
  });
  let handled = 0;
  for (const orphan of orphans) {
    if (opts.skip?.(orphan.id)) continue;
    handled += 1;
    // Nobody owned it (queued, or handed back by a process that stopped cleanly): nothing to count.
    if (orphan.workerId === null) {
      await dispatch(orphan.id);
      continue;
    }
    if (orphan.resumeCount >= MAX_RESUMES) {
      await endRun(orphan.id, "error", INTERRUPTED_MESSAGE);
      continue;
    }
    // A new epoch at once: the process that had it, if only paused, can no longer write to it.
    const { count } = await db().syncRun.updateMany({
      where: { id: orphan.id, finishedAt: null, epoch: orphan.epoch, workerId: orphan.workerId },
      data: { resumeCount: { increment: 1 }, workerId: null, epoch: { increment: 1 } },
    });
    if (count === 1) await dispatch(orphan.id);
  }
  return handled;
}
