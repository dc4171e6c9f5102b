// Where runs go to execute. Embedded default: this process's runner. With REDIS_URL: a
// BullMQ queue that `npm run worker` processes (or web servers with SYNC_RUN_IN_WEB=true)
// take runs from. A run's job id is its run id, so queueing one twice is a no-op.
import { processSingleton } from "@/lib/platform/singleton";
import { logger } from "@/lib/platform/logger";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { DelayedError, Queue, WaitingError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { db } from "@/lib/db";
import { env, executionShape } from "@/lib/env";
import { newRedis, redis, redisKey } from "@/lib/redis/connection";
import { ShutdownSignal, isTransientDbError, staleAfterMs } from "@/lib/sync/engine";
import { SyncError } from "@/lib/sync/errors";
import { attemptRun, endRun } from "@/lib/sync/attempt";
import { RedisSlots } from "@/lib/sync/slots";
import { runner } from "@/lib/sync/runner";
import { sweepStaleRuns } from "@/lib/sync/sweep";
import { countByUser, fairShare, mayStart } from "@/lib/sync/fair-share";

export const QUEUE_NAME = "sync-runs";
const SWEEP_EVERY_MS = 15_000;
/** A job whose user already has its share of runs on this worker waits this long (plus jitter) and goes back in line. */
const DEFER_MS = 1000;

interface RunJob {
  runId: string;
  /** The next execution continues a slice of the run. */
  continuation?: boolean;
}

function runQueue(): Queue<RunJob> {
  return processSingleton(
    "run-queue",
    () =>
      new Queue<RunJob>(QUEUE_NAME, {
        connection: newRedis("queue"),
        prefix: redisKey("bull"),
        defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
      }),
  );
}

/** Queues a run for execution (here, or on whichever worker takes it). */
export async function dispatchRun(runId: string): Promise<void> {
  const shape = executionShape();
  if (shape === "serverless") {
    // Inside the Sync request: its invocation runs the first slice once the answer is sent.
    const { scheduleSlice } = await import("@/lib/sync/serverless");
    return scheduleSlice(runId);
  }
  if (shape === "process") return runner().enqueue(runId);
  await runQueue().add("run", { runId }, { jobId: runId });
}

/** Asks whichever process executes the run to stop it now (it ends as cancelled). */
export async function requestCancel(runId: string): Promise<void> {
  if (runner().cancelHere(runId)) return;
  if (env().REDIS_URL) await redis().publish(redisKey("control"), JSON.stringify({ cancel: runId })).catch(() => undefined);
}

/**
 * Runs whose process is gone (a worker died between a slice and its re-queueing, Redis lost its
 * data, a start while Redis was down) are released and queued again (lib/sync/sweep.ts).
 * Adding an existing job id does nothing, so this never doubles a run.
 */
export function requeueOrphans(): Promise<number> {
  return sweepStaleRuns((id) => dispatchRun(id));
}

/** A BullMQ worker: executes runs from the queue, `SYNC_WORKER_CONCURRENCY` at once. */
export class QueueWorker {
  readonly workerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private worker: Worker<RunJob> | undefined;
  private control: Redis | undefined;
  private controllers = new Map<string, AbortController>();
  /** Run id -> its user, for the runs this worker executes (the fair share, lib/sync/fair-share.ts). */
  private owners = new Map<string, string>();
  private slots = new RedisSlots(staleAfterMs());
  private sweeper: ReturnType<typeof setInterval> | undefined;

  get active(): number {
    return this.controllers.size;
  }

  start(): void {
    if (this.worker) return;
    const stale = staleAfterMs();
    this.worker = new Worker<RunJob>(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: newRedis("worker"),
      prefix: redisKey("bull"),
      concurrency: env().SYNC_WORKER_CONCURRENCY,
      // A worker that stops renewing (killed) loses its jobs after this long; another
      // worker's stalled check puts them back in the queue, and they resume from their
      // checkpoint. The database's heartbeat decides who owns the run.
      lockDuration: stale,
      stalledInterval: Math.max(1000, Math.floor(stale / 2)),
      // The run row counts resumes (attempt.ts MAX_RESUMES); BullMQ must not give up first.
      maxStalledCount: 1000,
    });
    this.worker.on("error", (error) => logger.error(`[worker] ${error.message}`));
    this.control = newRedis("control", { subscriber: true });
    this.control.on("message", (_channel: string, message: string) => {
      try {
        const { cancel } = JSON.parse(message) as { cancel?: string };
        if (cancel) this.controllers.get(cancel)?.abort(new SyncError("cancelled", "Cancelled"));
      } catch {
        // not ours
      }
    });
    void this.control.subscribe(redisKey("control")).catch(() => undefined);
    const sweep = () => void requeueOrphans().catch((error: Error) => logger.error(`[worker] orphan sweep failed: ${error.message}`));
    sweep();
    this.sweeper = setInterval(sweep, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  private async process(job: Job<RunJob>, token?: string): Promise<void> {
    const { runId } = job.data;
    // BullMQ hands out jobs first in, first out (per-group fairness is a Pro feature): a job whose
    // user already has their share of this worker's slots (lib/sync/fair-share.ts) goes back in
    // line, delayed, so the next job, most likely another user's, gets the slot. Nothing is
    // claimed before this, so no epoch moves.
    const controller = new AbortController();
    try {
      const run = await db().syncRun.findUnique({ where: { id: runId }, select: { userId: true, finishedAt: true } });
      if (!run || run.finishedAt) return;
      if (!mayStart(run.userId, countByUser(this.owners.values()), this.owners.size, fairShare())) {
        await job.moveToDelayed(Date.now() + DEFER_MS + Math.floor(Math.random() * DEFER_MS), token);
        throw new DelayedError();
      }
      // Checked and taken with no await in between: two jobs of one user cannot both slip in.
      this.owners.set(runId, run.userId);
      this.controllers.set(runId, controller);
      const result = await attemptRun(runId, { workerId: this.workerId, slots: this.slots, stop: controller.signal, continuation: Boolean(job.data.continuation) });
      if (result.kind === "done") return;
      if (result.kind === "again") {
        if (result.continuation !== Boolean(job.data.continuation)) await job.updateData({ runId, continuation: result.continuation });
        await job.moveToDelayed(Date.now() + result.delayMs, token);
        throw new DelayedError();
      }
      // Shutting down: straight back into the queue for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    } catch (error) {
      if (error instanceof DelayedError || error instanceof WaitingError) throw error;
      if (isTransientDbError(error) && !controller.signal.aborted) {
        // Our own database is busy or away: try the run again shortly (the claim is ours).
        logger.child({ run_id: runId }).warn(`[worker] run ${runId}: database busy or unavailable; trying again in 2 s`);
        await job.moveToDelayed(Date.now() + 2000, token);
        throw new DelayedError();
      }
      logger.child({ run_id: runId }).error({ err: error }, `[worker] run ${runId} crashed`);
      await endRun(runId, "error", "The sync stopped on an unexpected problem; please try again.").catch(() => undefined);
    } finally {
      this.controllers.delete(runId);
      this.owners.delete(runId);
    }
  }

  /** SIGTERM: checkpoint every run here, hand each back to the queue, stop. Seconds, not minutes. */
  async shutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    const worker = this.worker;
    if (!worker) return;
    // Take no new jobs; stop the running ones at their next await (the engine checkpoints).
    const closing = worker.close();
    for (const controller of this.controllers.values()) controller.abort(new ShutdownSignal());
    const forced = new Promise<void>((resolve) => setTimeout(resolve, 8000).unref());
    await Promise.race([closing, forced]);
    await this.control?.quit().catch(() => undefined);
  }
}

export function queueWorker(): QueueWorker {
  return processSingleton("queue-worker", () => new QueueWorker());
}
