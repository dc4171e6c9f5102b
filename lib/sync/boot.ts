// Server start (Node.js runtime only): resume or end runs a dead process left behind, and
// on SIGTERM/SIGINT hand running syncs back, resumable, before exiting.
import { runner } from "@/lib/sync/runner";

export function boot(): void {
  runner().start();
  const shutdown = (signal: NodeJS.Signals) => {
    void runner()
      .shutdown()
      .finally(() => process.exit(signal === "SIGTERM" ? 0 : 130));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
