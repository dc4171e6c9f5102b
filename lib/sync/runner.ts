// Runs sync runs in this process, outside any HTTP request: closing the browser tab does
// not touch a run. A run is claimed in the database before it executes, so one process
// (and later one worker of many) owns it; a run whose owner stopped beating is picked up
// again from its checkpoint, or ended as interrupted after too many tries.
import { processSingleton } from "@/lib/platform/singleton";
import { logger } from "@/lib/platform/logger";
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { ShutdownSignal, isTransientDbError, staleAfterMs } from "@/lib/sync/engine";
import { SyncError } from "@/lib/sync/errors";
import { attemptRun, endRun } from "@/lib/sync/attempt";
import { sweepStaleRuns } from "@/lib/sync/sweep";
import { MemorySlots } from "@/lib/sync/slots";
import { countByUser, fairShare, pickNext, type WaitingRun } from "@/lib/sync/fair-share";

export { endRun } from "@/lib/sync/attempt";

const SWEEP_EVERY_MS = 15_000;

class InProcessRunner {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private running = new Map<string, { controller: AbortController; userId: string }>();

  /** Runs executing in this process now. */
  get active(): number {
    return this.running.size;
  }
  /** Runs waiting for a slot; each says whether its next execution continues a slice. */
  private waiting = new Map<string, WaitingRun & { continuation: boolean }>();
  /** Runs whose owner is being looked up before they join `waiting`. */
  private resolving = new Set<string>();
  private arrivals = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private slots = new MemorySlots();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private shuttingDown = false;

  enqueue(runId: string, continuation = false): void {
    if (this.shuttingDown || this.isHere(runId)) return;
    // The fair picker needs the run's user: one indexed read before the run may wait.
    this.resolving.add(runId);
    db()
      .syncRun.findUnique({ where: { id: runId }, select: { userId: true } })
      .then(
        (run) => {
          this.resolving.delete(runId);
          if (!run || this.shuttingDown || this.running.has(runId) || this.waiting.has(runId)) return;
          this.waiting.set(runId, { runId, userId: run.userId, seq: (this.arrivals += 1), continuation });
          this.drain();
        },
        (error: unknown) => {
          this.resolving.delete(runId);
          logger.child({ run_id: runId }).warn(`[runner] run ${runId}: could not read its owner (${(error as Error).message}); trying again in 2 s`);
          this.later(runId, 2000, continuation);
        },
      );
  }

  private isHere(runId: string): boolean {
    return this.running.has(runId) || this.waiting.has(runId) || this.resolving.has(runId);
  }

  isRunningHere(runId: string): boolean {
    return this.running.has(runId);
  }

  /** Stops a run executing in this process; it ends as cancelled. */
  cancelHere(runId: string): boolean {
    const controller = this.running.get(runId)?.controller;
    if (!controller) return false;
    controller.abort(new SyncError("cancelled", "Cancelled"));
    return true;
  }

  /** Starts waiting runs while slots are free: round robin between users, each within its share. */
  private drain(): void {
    const rules = fairShare();
    for (;;) {
      const byUser = countByUser([...this.running.values()].map((r) => r.userId));
      const next = pickNext(this.waiting.values(), byUser, this.running.size, rules);
      if (!next) break;
      this.waiting.delete(next.runId);
      void this.execute(next.runId, next.continuation, next.userId);
    }
  }

  private later(runId: string, delayMs: number, continuation: boolean): void {
    if (delayMs <= 0) return this.enqueue(runId, continuation);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(runId, continuation);
    }, delayMs);
    this.timers.add(timer);
  }

  private async execute(runId: string, continuation: boolean, userId: string): Promise<void> {
    const controller = new AbortController();
    this.running.set(runId, { controller, userId });
    try {
      const result = await attemptRun(runId, { workerId: this.workerId, slots: this.slots, stop: controller.signal, continuation });
      if (result.kind === "again") {
        this.running.delete(runId);
        this.later(runId, result.delayMs, result.continuation);
      }
    } catch (error) {
      if (isTransientDbError(error) && !controller.signal.aborted) {
        // Our own database is busy or away: try the run again shortly (the claim is ours).
        logger.child({ run_id: runId }).warn(`[runner] run ${runId}: database busy or unavailable; trying again in 2 s`);
        this.running.delete(runId);
        this.later(runId, 2000, continuation);
        return;
      }
      logger.child({ run_id: runId }).error({ err: error }, `[runner] run ${runId} crashed`);
      await endRun(runId, "error", "The sync stopped on an unexpected problem; please try again.").catch(() => undefined);
    } finally {
      this.running.delete(runId);
      this.drain();
    }
  }

  /**
   * Finds runs left unfinished by a process that died; resumes or ends each (lib/sync/sweep.ts).
   * `atBoot` in the embedded single-process mode: every unfinished run is an orphan, no need to
   * wait for its heartbeat to go stale. Runs executing or waiting here are not orphans (one
   * whose attempt ended without letting go, its database writes failing, is found again once
   * it is no longer here).
   */
  recover(atBoot = false): Promise<number> {
    return sweepStaleRuns((id) => this.enqueue(id), { atBoot, skip: (id) => this.isHere(id) });
  }

  start(): void {
    if (this.sweeper) return;
    const singleProcess = !env().REDIS_URL;
    void this.recover(singleProcess).catch((error: unknown) => logger.error({ err: error }, "[runner] recovery failed"));
    // Also catches runs queued while no process was running (e.g. queued, then a crash).
    this.sweeper = setInterval(() => {
      void this.recover().catch((error: unknown) => logger.error({ err: error }, "[runner] recovery failed"));
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Stops every run here, leaving each resumable from its checkpoint. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    for (const { controller } of this.running.values()) controller.abort(new ShutdownSignal());
    const deadline = Date.now() + 5000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Hand the runs back: another process (or the next start) resumes them at once.
    await db()
      .syncRun.updateMany({ where: { workerId: this.workerId, finishedAt: null }, data: { workerId: null, heartbeatAt: new Date(0) } })
      .catch(() => undefined);
  }
}

export function runner(): InProcessRunner {
  return processSingleton("runner", () => new InProcessRunner());
}
