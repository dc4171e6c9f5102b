// One attempt at executing a run, the same for the in-process runner and a BullMQ worker:
// take ownership in the database, take the user's and the account's concurrency slots,
// execute (a whole run or one slice), let go. What to do next is the caller's: the
// in-process runner re-queues in memory, a worker moves its job back into the queue.
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { appendEvent, toProgressData } from "@/lib/progress/store";
import { ProgressTracker } from "@/lib/progress/tracker";
import { executeRun, limitsFromEnv, staleAfterMs, type RunOutcome } from "@/lib/sync/engine";
import type { Connector } from "@/lib/connectors/types";
import { slotKeysFor, type RunSlots, type SlotKey } from "@/lib/sync/slots";

/** An interrupted run is resumed at most this many times, then ended as interrupted. */
export const MAX_RESUMES = 3;

export type AttemptResult =
  /** Nothing more to do for this run here (terminal, gone, or someone else's now). */
  | { kind: "done" }
  /** Try again after `delayMs`; `continuation`: the next execution continues a slice. */
  | { kind: "again"; delayMs: number; continuation: boolean }
  /** The process is stopping: the run was handed back, resumable from its checkpoint. */
  | { kind: "handed_back" };

/**
 * claimed: nobody had it. resumed: a process handed it back when it stopped (SIGTERM).
 * taken_over: its process died (stale heartbeat). busy: someone alive has it.
 */
type Claim = "claimed" | "resumed" | "taken_over" | "busy" | "finished";

/**
 * Takes a run that nobody alive owns. A run owned by another process whose heartbeat went
 * stale is taken over (its process died): that counts as a resume.
 */
export async function claimRun(runId: string, workerId: string): Promise<Claim> {
  const run = await db().syncRun.findUnique({ where: { id: runId }, select: { finishedAt: true, workerId: true, heartbeatAt: true } });
  if (!run || run.finishedAt) return "finished";
  const now = new Date();
  const free = run.workerId === null || run.workerId === workerId;
  if (!free && now.getTime() - run.heartbeatAt.getTime() <= staleAfterMs()) return "busy";
  // Compare-and-set on the owner we read: of two claimants, one wins.
  const { count } = await db().syncRun.updateMany({
    where: { id: runId, finishedAt: null, workerId: run.workerId, heartbeatAt: run.heartbeatAt },
    data: { workerId, heartbeatAt: now, ...(free ? {} : { resumeCount: { increment: 1 } }) },
  });
  if (count === 0) return "busy";
  if (!free) return "taken_over";
  return run.heartbeatAt.getTime() === 0 ? "resumed" : "claimed";
}

/**
 * Lets go of a run this process owns, leaving it resumable. `immediately`: its heartbeat is
 * dated back so any process's recovery picks it up at once (shutdown); otherwise it stays
 * fresh, and only the queue brings it back (a slice, a wait for a slot).
 */
export async function handBack(runId: string, workerId: string, immediately: boolean): Promise<void> {
  await db().syncRun.updateMany({
    where: { id: runId, workerId, finishedAt: null },
    data: { workerId: null, heartbeatAt: immediately ? new Date(0) : new Date() },
  });
}

/** Ends a run that is not executing anywhere, with a terminal event. */
export async function endRun(runId: string, status: "error" | "cancelled", message: string): Promise<void> {
  const run = await db().syncRun.findUnique({ where: { id: runId } });
  if (!run || run.finishedAt) return;
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, (seq, name, data) => appendEvent(runId, seq, name, data));
  await tracker.finish(status, status === "cancelled" ? { stage: "Cancelled" } : { stage: "Sync failed", error_message: message });
}

/** Says on the run why it has not started yet (only while this process owns it). */
async function noteWaiting(runId: string, words: string): Promise<void> {
  const run = await db().syncRun.findUnique({ where: { id: runId } });
  if (!run || run.finishedAt || run.stage === words) return;
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, (seq, name, data) => appendEvent(runId, seq, name, data));
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
}

export async function attemptRun(runId: string, opts: AttemptOptions): Promise<AttemptResult> {
  const { workerId, slots } = opts;
  const claim = await claimRun(runId, workerId);
  if (claim === "finished") return { kind: "done" };
  // Someone alive has it: look again when it would have gone stale.
  if (claim === "busy") return { kind: "again", delayMs: Math.ceil(staleAfterMs() / 2), continuation: opts.continuation };

  const run = await db().syncRun.findUnique({
    where: { id: runId },
    select: { userId: true, resumeCount: true, connection: { select: { id: true, type: true, mode: true, accountLabel: true } } },
  });
  if (!run) return { kind: "done" };
  if (claim === "taken_over" && run.resumeCount > MAX_RESUMES) {
    await endRun(runId, "error", "The sync was interrupted (its server stopped) several times and could not be resumed. Start it again.");
    return { kind: "done" };
  }

  const keys = slotKeysFor(run, run.connection);
  if (!(await slots.acquire(runId, keys))) {
    await noteWaiting(runId, waitingWords(keys)).catch(() => undefined);
    await handBack(runId, workerId, false);
    return { kind: "again", delayMs: 500 + Math.floor(Math.random() * 1000), continuation: opts.continuation };
  }
  // Slots are leases (a dead worker's expire); renew them while the run executes.
  const renew = setInterval(() => void slots.acquire(runId, keys).catch(() => undefined), Math.max(1000, Math.floor(staleAfterMs() / 3)));
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(runId, {
      stop: opts.stop,
      workerId,
      limits: limitsFromEnv(),
      connector: opts.connector,
      sliceMs: env().SYNC_SLICE_S ? env().SYNC_SLICE_S! * 1000 : undefined,
      // After a takeover or a hand-back the user should read "Resuming after an interruption".
      continuation: opts.continuation && claim === "claimed",
      resumed: claim !== "claimed",
    });
  } finally {
    clearInterval(renew);
    await slots.release(runId, keys).catch(() => undefined);
  }
  if (outcome === "finished") return { kind: "done" };
  if (outcome === "sliced") {
    await handBack(runId, workerId, false);
    console.log(`[sync] run ${runId}: slice ended at a checkpoint; queued for the next slice`);
    return { kind: "again", delayMs: 0, continuation: true };
  }
  if (opts.stop.aborted) {
    await handBack(runId, workerId, true);
    return { kind: "handed_back" };
  }
  // Stopped without a shutdown here: another process took the run over.
  return { kind: "done" };
}
