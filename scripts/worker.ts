// `npm run worker`: a process that executes sync runs from the Redis queue (REDIS_URL).
// Run as many as you like, on as many machines; each takes SYNC_WORKER_CONCURRENCY runs at
// once. It needs the web servers' settings (DATABASE_URL, APP_SECRET, REDIS_URL, the
// provider settings) and APP_URL: the built-in sandboxes are served by the web app.
// SIGTERM: every run here is checkpointed and handed back to the queue within seconds.
import { env } from "@/lib/env";
import { redactRedisUrl } from "@/lib/redis/connection";
import { appSecret } from "@/lib/secret";
import { queueWorker } from "@/lib/sync/queue";
import { startMailer, stopMailer } from "@/lib/notify/sender";

function main(): void {
  const e = env();
  if (!e.REDIS_URL) {
    console.error("[worker] REDIS_URL is not set: workers take runs from a Redis queue. Without it, the web server runs syncs itself (`npm start`).");
    process.exit(1);
  }
  appSecret(); // fails now, with the reason, rather than on the first run
  startMailer();
  const worker = queueWorker();
  worker.start();
  console.log(`[worker] ${worker.workerId}: taking sync runs from ${redactRedisUrl(e.REDIS_URL)}, ${e.SYNC_WORKER_CONCURRENCY} at a time`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${signal}: handing ${worker.active} run(s) back to the queue`);
    void Promise.all([worker.shutdown(), stopMailer()]).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
