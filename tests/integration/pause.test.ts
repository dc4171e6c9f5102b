// A worker paused (SIGSTOP: a VM pause, a long GC, a laptop lid) for longer than the stale
// window, four times in a row, each time the worker executing the run at that moment: another
// worker takes the run over each time (a new epoch), and the paused one, once it wakes, can no
// longer write to it. The run ends once, complete (pauses of a run that keeps making progress do
// not use up its resume budget), with one email, every document once, and the account never
// holding two active runs. Runs in the PostgreSQL + Redis stage of `npm test`.
import { afterAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { redisSettings, startServer, startWorker, useRedis, type RunningServer, type RunningWorker } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";
import { queryDb } from "@/tests/helpers/db-query";
import { assertDatabaseInvariants, connectionIdOf, documentCounts, followStream, sleep, until } from "@/tests/chaos/helpers";

const ITEMS = 2000;
const STALE_S = 6;
let server: RunningServer | undefined;
let extra: RunningWorker | undefined;
let databaseUrl: string | undefined;
const paused = new Set<number>();

afterAll(async () => {
  for (const pid of paused) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone
    }
  }
  await extra?.stop("SIGKILL").catch(() => undefined);
  await server?.stop("SIGKILL").catch(() => undefined);
  if (databaseUrl) await dropPgDatabase(databaseUrl);
});

/** The pid in a worker id (`<host>-<pid>-<8 hex>`). */
function pidOf(workerId: string): number {
  const m = /-(\d+)-[0-9a-f]{8}$/.exec(workerId);
  if (!m) throw new Error(`no pid in worker id ${workerId}`);
  return Number(m[1]);
}

describe.skipIf(!(usePostgres() && useRedis()))("a worker paused past the stale window, four times", () => {
  it("never corrupts the run: one terminal event, the last; at most one email; one active run per account", { timeout: 240_000 }, async () => {
    databaseUrl = await createPgDatabase();
    const env = { ...redisSettings(databaseUrl), SYNC_STALE_AFTER_S: String(STALE_S), SYNC_STALL_TIMEOUT_S: "60", SYNC_REQUEST_TIMEOUT_S: "10" };
    server = await startServer({ databaseUrl, env });
    extra = await startWorker({ ...env, DATABASE_URL: databaseUrl, APP_URL: server.baseUrl, PORT: String(server.port) });

    const user = await TestUser.signUp(server.baseUrl);
    await user.connectSandbox("github", { items: ITEMS, latency_ms: 250, fault: "none" });
    const connectionId = await connectionIdOf(databaseUrl, user.email, "github");
    const { syncId } = await user.startSync("github");
    const following = followStream(user, syncId, { timeoutMs: 220_000 });

    // Watch the account the whole time: never two unfinished runs, never another run id held.
    let watching = true;
    const seenActive = new Set<string>();
    let maxUnfinished = 0;
    const watcher = (async () => {
      while (watching) {
        const [c] = await queryDb<{ activeRunId: string | null }>(databaseUrl!, `SELECT "activeRunId" FROM connection WHERE id = ?`, connectionId);
        if (c?.activeRunId) seenActive.add(c.activeRunId);
        const [u] = await queryDb<{ n: number | string }>(databaseUrl!, `SELECT COUNT(*) AS n FROM sync_run WHERE "connectionId" = ? AND "finishedAt" IS NULL`, connectionId);
        maxUnfinished = Math.max(maxUnfinished, Number(u?.n ?? 0));
        await sleep(200);
      }
    })();

    const owners: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      // The run executing (with some progress since the last pause) on a worker not paused.
      const since = owners.length ? await processed(syncId) : 0;
      const owner = await until(`the run executing before pause ${round + 1}`, async () => {
        const [r] = await queryDb<{ workerId: string | null; processedItems: number; finishedAt: unknown }>(
          databaseUrl!,
          `SELECT "workerId", "processedItems", "finishedAt" FROM sync_run WHERE id = ?`,
          syncId,
        );
        if (r?.finishedAt) throw new Error(`the run ended before pause ${round + 1}`);
        return r?.workerId && !paused.has(pidOf(r.workerId)) && Number(r.processedItems) > since + 50 ? r.workerId : null;
      }, 60_000);
      owners.push(owner);
      const pid = pidOf(owner);
      process.kill(pid, "SIGSTOP");
      paused.add(pid);
      // Longer than the stale window (and BullMQ's lock): another worker takes the run over.
      await until(`another worker taking the run over after pause ${round + 1}`, async () => {
        const [r] = await queryDb<{ workerId: string | null }>(databaseUrl!, `SELECT "workerId" FROM sync_run WHERE id = ?`, syncId);
        return r?.workerId && r.workerId !== owner ? true : null;
      }, 60_000).catch(async (error: Error) => {
        const [row] = await queryDb(databaseUrl!, `SELECT "workerId", "heartbeatAt", epoch, status FROM sync_run WHERE id = ?`, syncId);
        const logs = (server!.output() + extra!.output()).split("\n").slice(-30).join("\n");
        throw new Error(`${error.message}\nrun ${JSON.stringify(row)}, paused ${owner}\n--- logs ---\n${logs}`);
      });
      await sleep(1000);
      process.kill(pid, "SIGCONT");
      paused.delete(pid);
    }

    const followed = await following;
    watching = false;
    await watcher;
    const end = followed.events.at(-1)!;
    expect(end.event).toBe("complete");
    expect(end.data.processed_items).toBe(ITEMS);
    expect(maxUnfinished).toBe(1);
    expect([...seenActive]).toEqual([syncId]);

    const counts = await documentCounts(databaseUrl, connectionId);
    expect(counts).toEqual({ rows: ITEMS, distinct: ITEMS });
    const [run] = await queryDb<{ epoch: number; resumeCount: number }>(databaseUrl, `SELECT epoch, "resumeCount" FROM sync_run WHERE id = ?`, syncId);
    expect(Number(run!.epoch)).toBeGreaterThanOrEqual(5);
    const mails = await queryDb(databaseUrl, `SELECT id FROM notification WHERE "runId" = ?`, syncId);
    expect(mails.length).toBeLessThanOrEqual(1);
    // A paused owner woke up to find its writes refused, and said so.
    await until("a woken worker's refused write in the logs", () => /no longer owns the run/.test(server!.output() + extra!.output()), 20_000);
    await assertDatabaseInvariants(databaseUrl);
  });
});

async function processed(syncId: string): Promise<number> {
  const [r] = await queryDb<{ processedItems: number }>(databaseUrl!, `SELECT "processedItems" FROM sync_run WHERE id = ?`, syncId);
  return Number(r?.processedItems ?? 0);
}
