// `npm run worker`: a process that executes sync runs from the Redis queue (REDIS_URL).
// Run as many as you like, on as many machines; each takes SYNC_WORKER_CONCURRENCY runs at
// once. It needs the web servers' settings (DATABASE_URL, APP_SECRET, REDIS_URL, the
// provider settings) and APP_URL: the built-in sandboxes are served by the web app.
// SIGTERM: every run here is checkpointed and handed back to the queue within seconds
// (lib/sync/lifecycle.ts, the same lifecycle as the web server's).
import { env } from "@/lib/env";
import { logger } from "@/lib/platform/logger";
import { redactRedisUrl } from "@/lib/redis/connection";
import { appSecret } from "@/lib/secret";
import { queueWorker } from "@/lib/sync/queue";
import { startLifecycle } from "@/lib/sync/lifecycle";

function main(): void {
  const e = env();
  if (!e.REDIS_URL) {
    logger.error("[worker] REDIS_URL is not set: workers take runs from a Redis queue. Without it, the web server runs syncs itself (`npm start`).");
    process.exit(1);
  }
  appSecret(); // fails now, with the reason, rather than on the first run
  startLifecycle("worker");
  logger.info(`[worker] ${queueWorker().workerId}: taking sync runs from ${redactRedisUrl(e.REDIS_URL)}, ${e.SYNC_WORKER_CONCURRENCY} at a time`);
}

main();
