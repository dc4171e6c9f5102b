// `npm run bench:capacity`: how many concurrent runs one worker holds and how many live
// streams one web instance holds, in the scale-out shape (PostgreSQL + Redis, one web
// instance + one `npm run worker`), on loopback with the sandboxes' latency.
//   USERS (default 100): users, each syncing one GitHub sandbox account at once
//   STREAMS_PER_USER (default 10): live progress streams each user keeps open
//   ITEMS (default 300), LATENCY_MS (default 80): each account's size and latency
// Needs `npm run build` first, PostgreSQL at DATABASE_URL_TEST and Redis at REDIS_URL_TEST.
// Writes bench/results/capacity.md.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { TestUser } from "@/tests/helpers/client";
import { redisSettings, startServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase } from "@/tests/helpers/pg";
import { queryDb } from "@/tests/helpers/db-query";

const USERS = Number(process.env.USERS ?? 100);
const STREAMS_PER_USER = Number(process.env.STREAMS_PER_USER ?? 10);
const ITEMS = Number(process.env.ITEMS ?? 300);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 80);
/** Everything the web server and the worker print. */
const LOG = "bench/results/capacity-server.log";

function treeRssMb(pid: number): number {
  const pids = [pid, ...descendants(pid)];
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return Math.round(kb / 1024);
}

function descendants(pid: number): number[] {
  const kids = execSync(`pgrep -P ${pid} || true`).toString().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

async function main(): Promise<void> {
  const databaseUrl = await createPgDatabase();
  rmSync(LOG, { force: true });
  const server = await startServer({
    databaseUrl,
    logFile: LOG,
    env: {
      ...redisSettings(databaseUrl),
      SYNC_STALE_AFTER_S: "30",
      SYNC_WORKER_CONCURRENCY: String(USERS),
      SYNC_START_LIMIT_PER_MIN: "1000",
      // Each user keeps exactly this many streams open: the per-user cap is that, not its default 8.
      STREAMS_PER_USER: String(STREAMS_PER_USER),
      // Production timeouts: the one web instance also serves the sandboxes under this load.
      SYNC_CONNECT_TIMEOUT_S: "30",
      SYNC_REQUEST_TIMEOUT_S: "30",
      SYNC_STALL_TIMEOUT_S: "120",
      SYNC_TIMEOUT_S: "1800",
    },
  });
  let done = false;
  let sampler: Promise<void> | undefined;
  try {
    const users: TestUser[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const u = await TestUser.signUp(server.baseUrl);
      await u.connectSandbox("github", { items: ITEMS, latency_ms: LATENCY_MS, fault: "none" });
      users.push(u);
    }
    console.log(`[capacity] ${USERS} users ready; starting ${USERS} syncs and ${USERS * STREAMS_PER_USER} streams`);
    const t0 = Date.now();
    const starts = await Promise.all(users.map((u) => u.startSync("github")));
    let open = 0;
    let peakOpen = 0;
    let terminalSeen = 0;
    let resets = 0;
    const streams = starts.flatMap((s, i) =>
      Array.from({ length: STREAMS_PER_USER }, async (_, j) => {
        // Opened over ~5 s, as browsers would arrive; a reset connection is reopened (as an
        // EventSource does) and replays from the start, so "every event" still holds.
        await new Promise((r) => setTimeout(r, (i * STREAMS_PER_USER + j) * 5));
        for (let attempt = 0; ; attempt += 1) {
          open += 1;
          peakOpen = Math.max(peakOpen, open);
          try {
            const r = await users[i]!.stream(s.syncId, { lastEventId: "0", timeoutMs: 30 * 60_000 });
            if (r.events.at(-1)?.event === "complete") terminalSeen += 1;
            return r;
          } catch (error) {
            resets += 1;
            if (attempt >= 5) throw error;
          } finally {
            open -= 1;
          }
        }
      }),
    );
    let peakRuns = 0;
    let peakWebMb = 0;
    let peakWorkerMb = 0;
    sampler = (async () => {
      while (!done) {
        const [row] = await queryDb<{ n: string }>(databaseUrl, `SELECT COUNT(*) AS n FROM sync_run WHERE "finishedAt" IS NULL AND "workerId" IS NOT NULL AND status <> 'queued'`);
        peakRuns = Math.max(peakRuns, Number(row!.n));
        peakWebMb = Math.max(peakWebMb, treeRssMb(server.child.pid!));
        peakWorkerMb = Math.max(peakWorkerMb, treeRssMb(server.worker!.child.pid!));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const ends = await Promise.all(starts.map((s, i) => users[i]!.waitForTerminal(s.syncId, 30 * 60_000)));
    const wallS = (Date.now() - t0) / 1000;
    await Promise.all(streams);
    done = true;
    await sampler;
    const runs = await queryDb<{ started: string | Date; finished: string | Date }>(
      databaseUrl,
      `SELECT "startedAt" AS started, "finishedAt" AS finished FROM sync_run`,
    );
    const slowest = Math.max(...runs.map((r) => (new Date(r.finished).getTime() - new Date(r.started).getTime()) / 1000));
    const failures = new Map<string, number>();
    for (const e of ends) if (e.status !== "complete") failures.set(e.error_message ?? e.status, (failures.get(e.error_message ?? e.status) ?? 0) + 1);
    for (const [why, n] of failures) console.log(`[capacity] ${n} run(s) ended: ${why}`);
    const completed = ends.filter((e) => e.status === "complete" && e.processed_items === ITEMS).length;
    const [docs] = await queryDb<{ n: string }>(databaseUrl, `SELECT COUNT(*) AS n FROM document`);
    const lines = [
      "# Capacity: one worker, one web instance (PostgreSQL + Redis)",
      "",
      `Run ${new Date().toISOString()} on ${process.env.HOSTNAME ?? "this machine"}: ${USERS} users each syncing a GitHub sandbox account of ${ITEMS} items at ${LATENCY_MS} ms a request, all started at once; ${STREAMS_PER_USER} live streams per user on the one web instance. Produced by \`npm run bench:capacity\`.`,
      "",
      "| Figure | Measured |",
      "|---|---|",
      `| Runs completed (every item) | ${completed} of ${USERS} |`,
      `| Peak runs executing at once on the one worker | ${peakRuns} (SYNC_WORKER_CONCURRENCY=${USERS}) |`,
      `| Peak streams open at once on the one web instance | ${peakOpen} |`,
      `| Streams that received every event to the terminal one | ${terminalSeen} of ${USERS * STREAMS_PER_USER} (connections reset and reopened: ${resets}) |`,
      `| Documents stored | ${Number(docs!.n).toLocaleString("en-US")} (expected ${(USERS * ITEMS).toLocaleString("en-US")}) |`,
      `| Wall time, all runs | ${wallS.toFixed(1)} s |`,
      `| Slowest run | ${slowest.toFixed(1)} s |`,
      `| Worker peak RSS | ${peakWorkerMb} MB |`,
      `| Web instance peak RSS | ${peakWebMb} MB |`,
      "",
    ];
    writeFileSync("bench/results/capacity.md", lines.join("\n"));
    console.log(lines.join("\n"));
  } finally {
    done = true;
    await sampler?.catch(() => undefined);
    await server.stop();
    await dropPgDatabase(databaseUrl);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
