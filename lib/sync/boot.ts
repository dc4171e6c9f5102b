// Server start (Node.js runtime only): resume or end runs a dead process left behind, and
// on SIGTERM/SIGINT hand running syncs back, resumable, before exiting.
import { runner } from "@/lib/sync/runner";
import { startMailer, stopMailer } from "@/lib/notify/sender";

export function boot(): void {
  // First: a half-set SMTP configuration stops the start-up with the variables' names.
  startMailer();
  runner().start();
  const shutdown = (signal: NodeJS.Signals) => {
    void Promise.all([runner().shutdown(), stopMailer()])
      .finally(() => process.exit(signal === "SIGTERM" ? 0 : 130));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
