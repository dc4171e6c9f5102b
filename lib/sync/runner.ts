// Runs sync runs in this process, outside any HTTP request: closing the browser tab does
// not touch a run. A run is claimed in the database before it executes, so one process
// (and later one worker of many) owns it; a run whose owner stopped beating is picked up
// again from its checkpoint, or ended as interrupted after too many tries.
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { appendEvent, toProgressData } from "@/lib/progress/store";
import { ProgressTracker } from "@/lib/progress/tracker";
import { ShutdownSignal, executeRun, limitsFromEnv } from "@/lib/sync/engine";
import { SyncError } from "@/lib/sync/errors";
import { ACTIVE_STATUSES } from "@/lib/sync/types";

/** A run whose heartbeat is older than this has lost its process. */
export const STALE_AFTER_MS = 30_000;
const SWEEP_EVERY_MS = 15_000;
/** An interrupted run is resumed at most this many times, then ended as interrupted. */
const MAX_RESUMES = 3;
const MAX_CONCURRENT_RUNS = 16;

class InProcessRunner {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private running = new Map<string, AbortController>();
  private waiting: string[] = [];
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private shuttingDown = false;

  enqueue(runId: string): void {
    if (this.shuttingDown || this.running.has(runId) || this.waiting.includes(runId)) return;
    this.waiting.push(runId);
    setImmediate(() => this.drain());
  }

  isRunningHere(runId: string): boolean {
    return this.running.has(runId);
  }

  /** Stops a run executing in this process; it ends as cancelled. */
  cancelHere(runId: string): boolean {
    const controller = this.running.get(runId);
    if (!controller) return false;
    controller.abort(new SyncError("cancelled", "Cancelled"));
    return true;
  }

  private drain(): void {
    while (this.running.size < MAX_CONCURRENT_RUNS && this.waiting.length > 0) {
      const runId = this.waiting.shift()!;
      void this.execute(runId);
    }
  }

  private async execute(runId: string): Promise<void> {
    const controller = new AbortController();
    this.running.set(runId, controller);
    try {
      if (await this.claim(runId)) await executeRun(runId, { stop: controller.signal, workerId: this.workerId, limits: limitsFromEnv() });
    } catch (error) {
      console.error(`[runner] run ${runId} crashed`, error);
      await endRun(runId, "error", "The sync stopped on an unexpected problem; please try again.").catch(() => undefined);
    } finally {
      this.running.delete(runId);
      this.drain();
    }
  }

  /** Takes ownership of a run that nobody (alive) owns. */
  private async claim(runId: string): Promise<boolean> {
    const now = new Date();
    const { count } = await db().syncRun.updateMany({
      where: {
        id: runId,
        finishedAt: null,
        OR: [{ workerId: null }, { workerId: this.workerId }, { heartbeatAt: { lt: new Date(now.getTime() - STALE_AFTER_MS) } }],
      },
      data: { workerId: this.workerId, heartbeatAt: now },
    });
    return count === 1;
  }

  /**
   * Finds runs left unfinished by a process that died; resumes or ends each. `atBoot` in
   * the embedded single-process mode: every unfinished run is an orphan, no need to wait
   * for its heartbeat to go stale.
   */
  async recover(atBoot = false): Promise<number> {
    const staleBefore = new Date(atBoot ? Date.now() : Date.now() - STALE_AFTER_MS);
    const orphans = await db().syncRun.findMany({
      where: {
        finishedAt: null,
        status: { in: [...ACTIVE_STATUSES] },
        heartbeatAt: { lt: staleBefore },
      },
      select: { id: true, resumeCount: true, workerId: true },
    });
    let handled = 0;
    for (const orphan of orphans) {
      if (this.running.has(orphan.id) || this.waiting.includes(orphan.id) || orphan.workerId === this.workerId) continue;
      handled += 1;
      if (orphan.resumeCount >= MAX_RESUMES) {
        await endRun(orphan.id, "error", "The sync was interrupted (the server stopped) several times and could not be resumed. Start it again.");
        continue;
      }
      const { count } = await db().syncRun.updateMany({
        where: { id: orphan.id, finishedAt: null, workerId: orphan.workerId },
        data: { resumeCount: { increment: 1 }, workerId: null },
      });
      if (count === 1) this.enqueue(orphan.id);
    }
    return handled;
  }

  start(): void {
    if (this.sweeper) return;
    const singleProcess = !env().REDIS_URL;
    void this.recover(singleProcess).catch((error) => console.error("[runner] recovery failed", error));
    // Also catches runs queued while no process was running (e.g. queued, then a crash).
    this.sweeper = setInterval(() => {
      void this.recover().catch((error) => console.error("[runner] recovery failed", error));
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Stops every run here, leaving each resumable from its checkpoint. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.waiting = [];
    for (const controller of this.running.values()) controller.abort(new ShutdownSignal());
    const deadline = Date.now() + 5000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Hand the runs back: another process (or the next start) resumes them at once.
    await db()
      .syncRun.updateMany({ where: { workerId: this.workerId, finishedAt: null }, data: { workerId: null, heartbeatAt: new Date(0) } })
      .catch(() => undefined);
  }
}

/** Ends a run that is not executing anywhere, with a terminal event. */
export async function endRun(runId: string, status: "error" | "cancelled", message: string): Promise<void> {
  const run = await db().syncRun.findUnique({ where: { id: runId } });
  if (!run || run.finishedAt) return;
  const tracker = new ProgressTracker(toProgressData(run), run.lastSeq, (seq, name, data) => appendEvent(runId, seq, name, data));
  await tracker.finish(status, status === "cancelled" ? { stage: "Cancelled" } : { stage: "Sync failed", error_message: message });
}

const globalKey = Symbol.for("2nd-brain.runner");
type Holder = { [globalKey]?: InProcessRunner };

export function runner(): InProcessRunner {
  const holder = globalThis as Holder;
  holder[globalKey] ??= new InProcessRunner();
  return holder[globalKey];
}
