// One lifecycle for every process that executes runs: the web server (lib/sync/boot.ts, from
// instrumentation.ts) and `npm run worker` (scripts/worker.ts). Start the mailer first (a half-set
// SMTP configuration stops the start with the variables' names), start whatever executes runs in
// this process, and on SIGTERM/SIGINT hand every running sync back, resumable from its
// checkpoint, before exiting, once however many signals arrive.
import { executionShape, runsInWeb } from "@/lib/env";
import { logger } from "@/lib/platform/logger";
import { startMailer, stopMailer } from "@/lib/notify/sender";
import { runner } from "@/lib/sync/runner";
import { queueWorker } from "@/lib/sync/queue";

export interface Executor {
  /** Runs executing here now (said in the stop line), when the executor counts them. */
  readonly active?: number;
  start(): void;
  /** Checkpoints every run here and hands it back (to the database or the queue). */
  shutdown(): Promise<void>;
}

export type ProcessRole = "web" | "worker";

/**
 * What executes runs in a process of this role: a worker always takes them from the queue; the
 * web server runs them itself (embedded), serves the queue too when SYNC_RUN_IN_WEB says so, or
 * runs nothing between requests (serverless: runs advance in invocations, lib/sync/serverless.ts).
 */
export function executorFor(role: ProcessRole): Executor | null {
  if (role === "worker") return queueWorker();
  const shape = executionShape();
  if (shape === "process") return runner();
  if (shape === "queue" && runsInWeb()) return queueWorker();
  return null;
}

/** Starts the process's part in executing runs; returns what it started (null: nothing). */
export function startLifecycle(role: ProcessRole): Executor | null {
  startMailer();
  // Serverless: the platform stops instances itself, and nothing of ours runs between requests.
  if (role === "web" && executionShape() === "serverless") return null;
  const executor = executorFor(role);
  executor?.start();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const where = role === "worker" ? "to the queue" : "resumable";
    const what = typeof executor?.active === "number" ? `${executor.active} run(s)` : "running syncs";
    logger.info(`[${role}] ${signal}: handing ${what} back ${where}`);
    void Promise.all([executor?.shutdown(), stopMailer()]).finally(() => process.exit(role === "web" && signal === "SIGINT" ? 130 : 0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return executor;
}
