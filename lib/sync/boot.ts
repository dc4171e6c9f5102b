// Server start (Node.js runtime only): resume or end runs a dead process left behind, and
// on SIGTERM/SIGINT hand running syncs back, resumable, before exiting. Where runs execute
// is a setting: in this process (embedded default), or on queue workers (REDIS_URL).
import { executionShape, runsInWeb } from "@/lib/env";
import { runner } from "@/lib/sync/runner";
import { queueWorker } from "@/lib/sync/queue";
import { startMailer, stopMailer } from "@/lib/notify/sender";
import { logOperatorHints } from "@/lib/connections/service";

export function boot(): void {
  // First: a half-set SMTP configuration stops the start-up with the variables' names.
  startMailer();
  // What an operator may still set up (OAuth apps) goes to this log, not to users' screens.
  logOperatorHints();
  // Serverless: nothing of ours runs between requests (no runner, no sweep timers); runs
  // advance in invocations (lib/sync/serverless.ts) and the platform stops instances itself.
  if (executionShape() === "serverless") return;
  const redis = executionShape() === "queue";
  if (!redis) runner().start();
  else if (runsInWeb()) queueWorker().start();
  const shutdown = (signal: NodeJS.Signals) => {
    void Promise.all([redis ? queueWorker().shutdown() : runner().shutdown(), stopMailer()])
      .finally(() => process.exit(signal === "SIGTERM" ? 0 : 130));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
