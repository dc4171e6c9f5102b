// The guards around one execution of a run: the whole-run timeout, the stall watchdog and the
// heartbeat (which also notices a cancel request and a lost run). Each aborts the execution's
// controller with the reason the user will read; none writes anything but the heartbeat.
import { db } from "@/lib/db";
import { RunLostError, fencedRun, type Fence } from "@/lib/progress/fence";
import { SyncError, formatDuration, formatSeconds } from "@/lib/contract";
import type { RunLimits } from "@/lib/sync/limits";

export class RunGuards {
  private lastActivity = Date.now();
  /** A rate-limit wait runs until then: not the provider stalling. */
  private waitingUntil = 0;
  /** Writes waiting on our own database (bounded by their own retries): not the provider stalling. */
  private dbBusy = 0;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private readonly controller: AbortController,
    private readonly fence: Fence,
    private readonly workerId: string,
    private readonly limits: RunLimits,
    provider: string,
    startedAt: Date,
  ) {
    this.timers.push(
      setTimeout(
        () =>
          controller.abort(
            new SyncError("run_timeout", `The sync ran longer than ${formatDuration(limits.runTimeoutMs)} and was stopped. Sync again to continue where it stopped.`),
          ),
        Math.max(0, startedAt.getTime() + limits.runTimeoutMs - Date.now()),
      ),
      setInterval(
        () => {
          const now = Date.now();
          if (now < this.waitingUntil || this.dbBusy > 0) return this.touch();
          if (now - this.lastActivity > limits.stallTimeoutMs) {
            controller.abort(
              new SyncError("stalled", `No progress for ${formatSeconds(limits.stallTimeoutMs)}: ${provider} stopped answering, so the sync was stopped. Try again later.`),
            );
          }
        },
        Math.min(1000, Math.max(50, limits.stallTimeoutMs / 4)),
      ),
      setInterval(() => void this.beat().catch(() => undefined), limits.heartbeatMs),
    );
  }

  /** Something moved: the stall watchdog starts counting again. */
  touch(): void {
    this.lastActivity = Date.now();
  }

  /** A rate-limit wait until `until` (0: over). */
  waiting(until: number): void {
    this.waitingUntil = until;
    if (until === 0) this.touch();
  }

  /** Marks a database wait; call the returned function when it is over. */
  dbWait(): () => void {
    this.dbBusy += 1;
    return () => {
      this.dbBusy -= 1;
      this.touch();
    };
  }

  private async beat(): Promise<void> {
    const { runId } = this.fence;
    const { count } = await db().syncRun.updateMany({ where: { ...fencedRun(this.fence), workerId: this.workerId }, data: { heartbeatAt: new Date() } });
    // Another process took the run over (we were presumed dead), or it ended: stop without touching it.
    if (count === 0) return this.controller.abort(new RunLostError(this.fence, "heartbeat"));
    const r = await db().syncRun.findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } });
    if (r?.cancelRequestedAt) this.controller.abort(new SyncError("cancelled", "Cancelled"));
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
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

