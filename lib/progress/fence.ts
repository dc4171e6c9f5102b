// Fencing tokens for runs (the run row and its event log are the progress store). Whoever claims a run takes `epoch + 1` with a compare-and-set on the
// run row; every write an execution makes (events, the run row, document pages, checkpoint and
// cursor, the connection's release, the outbox row) first updates the run row on the condition
// `epoch = <its epoch> AND finishedAt IS NULL`, in the same transaction. A process that was
// paused (a VM, a long GC, a frozen serverless instance) and lost the run meanwhile matches no
// row: its write is refused, it stops at once and writes nothing more. The row lock that update
// takes also orders it against a concurrent claim: a write commits before the claim or fails.
import type { Prisma } from "@/lib/db";

export interface Fence {
  runId: string;
  /** The epoch this execution claimed the run with. */
  epoch: number;
}

/** "You lost this run": another process claimed it (a newer epoch), or it has ended. */
export class RunLostError extends Error {
  /** Never retried: writing again cannot succeed, and must not. */
  readonly retryable = false;
  constructor(
    readonly fence: Fence,
    what: string,
  ) {
    super(`run ${fence.runId}: ${what} refused, epoch ${fence.epoch} no longer owns the run (claimed again or ended)`);
    this.name = "RunLostError";
  }
}

export function isRunLost(error: unknown): error is RunLostError {
  return error instanceof RunLostError || (error as { name?: unknown } | null)?.name === "RunLostError";
}

/** The run row as long as `fence` holds it: its epoch, not ended. */
export function fencedRun(fence: Fence) {
  return { id: fence.runId, epoch: fence.epoch, finishedAt: null };
}

/**
 * Inside a transaction, before its other writes: updates the run row (at least its heartbeat)
 * on the fence's condition, or throws RunLostError so the whole transaction rolls back.
 */
export async function holdFence(
  tx: Prisma.TransactionClient,
  fence: Fence,
  what: string,
  data: Prisma.SyncRunUpdateManyMutationInput = {},
): Promise<void> {
  const { count } = await tx.syncRun.updateMany({ where: fencedRun(fence), data: { heartbeatAt: new Date(), ...data } });
  if (count === 0) throw new RunLostError(fence, what);
}
