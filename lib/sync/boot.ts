// Server start (Node.js runtime only): resume or end runs a dead process left behind, and on
// SIGTERM/SIGINT hand running syncs back, resumable, before exiting (lib/sync/lifecycle.ts, the
// same lifecycle as `npm run worker`). Where runs execute is a setting: in this process
// (embedded default), on queue workers (REDIS_URL), or in invocations (serverless).
import { logOperatorHints } from "@/lib/connections/service";
import { startLifecycle } from "@/lib/sync/lifecycle";

export function boot(): void {
  startLifecycle("web");
  // What an operator may still set up (OAuth apps) goes to this log, not to users' screens.
  logOperatorHints();
}
