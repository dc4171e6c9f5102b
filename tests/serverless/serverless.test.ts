// The serverless shape (DESIGN.md "Deployment shapes" 3) under an emulated platform
// (platform.ts): plain `next start` instances frozen whenever they serve nothing, a
// maxDuration that cuts responses and background work, the platform's cron firing the sweep.
// Each case checks the database itself afterwards (tests/chaos/helpers.ts).
// Skipped, saying why, when no PostgreSQL answers at DATABASE_URL_TEST.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { pgAdminUrl } from "@/tests/helpers/pg";
import { TERMINAL, assertDatabaseInvariants, assertStreamSawEverything, connectionIdOf, documentCounts, followStream, postgresReachable, sleep, until, type Followed } from "@/tests/chaos/helpers";
import { pidOfWorkerId, startPlatform, type InstanceStats, type Platform } from "./platform";
import { report } from "./report";

const unreachable = await postgresReachable();
if (unreachable) console.warn(`[serverless] SKIPPED: no PostgreSQL at ${pgAdminUrl().replace(/\/\/[^@]*@/, "//…@")} (${unreachable})`);

const STALE_AFTER_S = 4;
const MAX_DURATION_MS = 20_000;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Platform freezes (idle or overdue; not the ones a test forced) summed over instances. */
function idleFreezes(stats: Record<string, InstanceStats>): number {
  return Object.values(stats).reduce((n, x) => n + x.freezes - x.forcedFreezes, 0);
}

function freezesBetween(before: Record<string, InstanceStats>, after: Record<string, InstanceStats>): string {
  return Object.keys(after)
    .map((k) => `${k} ${after[k]!.freezes - before[k]!.freezes}× (${s(after[k]!.frozenMs - before[k]!.frozenMs)} frozen)`)
    .join(", ");
}

interface RunRow {
  id: string;
  status: string;
  finishedAt: unknown;
  workerId: string | null;
  processedItems: number;
  resumeCount: number;
  epoch: number;
  errorMessage: string | null;
}

async function runRow(databaseUrl: string, runId: string): Promise<RunRow> {
  const [r] = await queryDb<RunRow>(
    databaseUrl,
    `SELECT id, status, "finishedAt", "workerId", "processedItems", "resumeCount", epoch, "errorMessage" FROM sync_run WHERE id = ?`,
    runId,
  );
  if (!r) throw new Error(`no run ${runId}`);
  return { ...r, processedItems: Number(r.processedItems), resumeCount: Number(r.resumeCount), epoch: Number(r.epoch) };
}

async function emailsOf(databaseUrl: string, runId: string): Promise<{ kind: string; status: string }[]> {
  return queryDb(databaseUrl, `SELECT kind, status FROM notification WHERE "runId" = ?`, runId);
}

/** The event log as stored: ids and names in order. */
async function storedEvents(databaseUrl: string, runId: string): Promise<{ seq: number; name: string }[]> {
  const rows = await queryDb<{ seq: number; name: string }>(databaseUrl, `SELECT seq, name FROM sync_event WHERE "runId" = ? ORDER BY seq`, runId);
  return rows.map((r) => ({ seq: Number(r.seq), name: r.name }));
}

/**
 * Watches one connection while a test runs: never two unfinished runs on it at once, and its
 * activeRunId never names a run other than `runId`. Returns what it saw when stopped.
 */
function watchConnection(databaseUrl: string, connectionId: string, runId: string) {
  let stopped = false;
  const seen = { polls: 0, maxUnfinished: 0, foreignActive: [] as string[], unfinishedIds: new Set<string>(), errors: 0 };
  const loop = (async () => {
    while (!stopped) {
      try {
        const unfinished = await queryDb<{ id: string }>(databaseUrl, `SELECT id FROM sync_run WHERE "connectionId" = ? AND "finishedAt" IS NULL`, connectionId);
        const [c] = await queryDb<{ activeRunId: string | null }>(databaseUrl, `SELECT "activeRunId" FROM connection WHERE id = ?`, connectionId);
        seen.polls += 1;
        seen.maxUnfinished = Math.max(seen.maxUnfinished, unfinished.length);
        for (const u of unfinished) seen.unfinishedIds.add(u.id);
        if (c?.activeRunId && c.activeRunId !== runId) seen.foreignActive.push(c.activeRunId);
      } catch {
        seen.errors += 1;
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}

/** Records which instances executed a run (sync_run.workerId), polled until stopped. */
function watchExecutors(platform: Platform, runId: string) {
  let stopped = false;
  const pids = new Set<number>();
  const loop = (async () => {
    while (!stopped) {
      try {
        const pid = pidOfWorkerId((await runRow(platform.databaseUrl, runId)).workerId);
        if (pid !== undefined) pids.add(pid);
      } catch {
        // the next poll
      }
      await sleep(250);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return [...pids].map((p) => platform.instanceByPid(p)?.name ?? String(p));
    },
  };
}

/** What every sync case ends with for its run. */
async function assertRunClean(platform: Platform, runId: string, connectionId: string, items: number, followed: Followed): Promise<void> {
  const db = platform.databaseUrl;
  const run = await runRow(db, runId);
  expect(run.status, `run ${runId}: ${run.errorMessage ?? ""}\n${tail(platform)}`).toBe("complete");
  expect(await documentCounts(db, connectionId)).toEqual({ rows: items, distinct: items });
  // The stored log: 1..N, exactly one terminal event, the last.
  const log = await storedEvents(db, runId);
  expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
  expect(log.filter((e) => TERMINAL.includes(e.name)).map((e) => e.seq)).toEqual([log.length]);
  // The follower saw 1..N, gapless, in order, equal to what is stored.
  expect(followed.events.map((e) => e.id)).toEqual(log.map((e) => e.seq));
  await assertStreamSawEverything(db, runId, followed.events);
  expect(followed.events.at(-1)!.event).toBe("complete");
  // Exactly one email for the run (written when it ends; sent by an invocation or the cron).
  await until("the run's email", async () => ((await emailsOf(db, runId)).length >= 1 ? true : null), 15_000, 200);
  expect(await emailsOf(db, runId)).toHaveLength(1);
}

/** The app's sessions on the database: state, what they wait for, their transaction's age, the statement. */
async function databaseSessions(databaseUrl: string): Promise<string> {
  const rows = await queryDb<Record<string, unknown>>(
    databaseUrl,
    `SELECT pid, state, wait_event_type, wait_event, round(extract(epoch FROM now() - xact_start)::numeric, 1) AS xact_s, round(extract(epoch FROM now() - state_change)::numeric, 1) AS state_s, left(query, 140) AS query
     FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state <> 'idle' OR wait_event_type = 'Lock')`,
  );
  return JSON.stringify(rows);
}

function tail(platform: Platform, lines = 60): string {
  return platform.output().split("\n").slice(-lines).join("\n");
}

describe.skipIf(unreachable !== null)("serverless platform emulation", () => {
  let platform: Platform;
  const started = Date.now();

  beforeAll(async () => {
    const t0 = Date.now();
    platform = await startPlatform({ instances: 2, maxDurationMs: MAX_DURATION_MS, staleAfterS: String(STALE_AFTER_S) });
    report("platform", [
      `2 instances of plain \`next start\` (pids ${platform.instances.map((i) => i.pid).join(", ")}) ready in ${s(Date.now() - t0)}, database created and migrated (npm run db:migrate)`,
      `maxDuration ${s(MAX_DURATION_MS)}, SYNC_SLICE_S 3, SYNC_STALE_AFTER_S ${STALE_AFTER_S}, cron every 2 s`,
    ]);
  });

  afterAll(async () => {
    if (!platform) return;
    report("totals", [...platform.reportLines(), `wall time of the file: ${s(Date.now() - started)}`]);
    if (process.env.SERVERLESS_KEEP_LOGS === "1") console.log(platform.output());
    await platform.stop();
  });

  it("smoke: sign-up, connect and the sandbox answer through the balancer while the instances are frozen between requests", async () => {
    // Left idle, both instances are frozen by the platform.
    await until("both instances frozen", () => platform.instances.every((i) => i.frozen), 10_000, 50);
    const before = platform.stats();
    const user = await TestUser.signUp(platform.url);
    await until("frozen again", () => platform.instances.every((i) => i.frozen), 10_000, 50);
    await user.connectSandbox("github", { items: 40, latency_ms: 0, fault: "none" });
    await until("frozen again", () => platform.instances.every((i) => i.frozen), 10_000, 50);
    const list = await user.json<{ integrations: { type: string }[] }>("/api/integrations");
    expect(list.status).toBe(200);
    expect(list.body.integrations.find((i) => i.type === "github")).toBeDefined();
    // The app's own sandbox, reached through the platform as the app reaches it (APP_URL).
    const probe = await fetch(`${platform.url}/sandbox/github/user`);
    expect(probe.status).toBeLessThan(500);
    const after = platform.stats();
    for (const inst of platform.instances) {
      expect(after[inst.name]!.thaws, `${inst.name} was thawed for requests`).toBeGreaterThan(before[inst.name]!.thaws);
    }
    // Plain `next start` serves in the process it was started as: the one the platform stops.
    for (const inst of platform.instances) {
      expect(inst.shimPid, `${inst.name}: the runtime shim runs in the spawned process`).toBe(inst.child.pid);
      expect(inst.pid).toBe(inst.child.pid);
    }
    // The cron reaches the app through the platform and is answered.
    await until("the cron fired", () => platform.cron.ok >= 1, 10_000, 100);
    expect(platform.cron.failed, platform.cron.lastError).toBe(0);
    report("smoke", [`sign-up, connect, list through frozen instances: ${idleFreezes(after) - idleFreezes(before)} freezes meanwhile`]);
  });

  it.each([
    // Latencies chosen so that each run spans several 3 s slices on 2 shared cores.
    { type: "gmail", items: 600, latency: 400 },
    { type: "slack", items: 400, latency: 600 },
    { type: "box", items: 300, latency: 250 },
    { type: "github", items: 400, latency: 500 },
  ])("$type: a sync of $items items runs in slices across frozen instances: every document once, a gapless stream, one email", async ({ type, items, latency }) => {
    const db = platform.databaseUrl;
    const user = await TestUser.signUp(platform.url);
    await user.connectSandbox(type, { items, latency_ms: latency, fault: "none" });
    const connectionId = await connectionIdOf(db, user.email, type);
    const before = platform.stats();
    const t0 = Date.now();
    const { status, syncId } = await user.startSync(type);
    expect(status).toBe(202);
    const watch = watchConnection(db, connectionId, syncId);
    const executors = watchExecutors(platform, syncId);
    let followed: Followed;
    let seen: Awaited<ReturnType<typeof watch.stop>>;
    let by: string[];
    try {
      followed = await followStream(user, syncId, { timeoutMs: 150_000, fromId: 0 });
    } finally {
      seen = await watch.stop();
      by = await executors.stop();
    }
    const wall = Date.now() - t0;
    const after = platform.stats();
    const run = await runRow(db, syncId);
    const slices = (platform.output().match(new RegExp(`run ${syncId}: slice ended`, "g")) ?? []).length;
    report(`${type}: ${items} items, ${latency} ms a request`, [
      `${run.status} in ${s(wall)}; ${followed.events.length} events over ${followed.connections} stream connection(s); ${slices} slice ends logged; executed by ${by.join(", ")}; epoch ${run.epoch}, resumes ${run.resumeCount}`,
      `freezes during the run: ${freezesBetween(before, after)}`,
    ]);
    await assertRunClean(platform, syncId, connectionId, items, followed);
    expect(seen.maxUnfinished, "unfinished runs on the connection at once").toBeLessThanOrEqual(1);
    expect(seen.foreignActive).toEqual([]);
    expect(slices, "slices the run took").toBeGreaterThanOrEqual(2);
    // The platform really froze instances while the run was going on.
    expect(idleFreezes(after) - idleFreezes(before), "freezes during the run").toBeGreaterThan(0);
  });

  it("freeze case: the instance executing the run is frozen four times for 4 × SYNC_STALE_AFTER_S; the cron takes the run over each time; it completes once", async () => {
    const db = platform.databaseUrl;
    // Still running at the fourth freeze on any machine: 6,000 messages are 30,000 Gmail quota
    // units, at least 60 s at the 250 units/s the connector is paced to (15,000 burst), however
    // fast the engine (3,600 at 120 ms a request finished before the fourth round once the engine
    // stopped writing an event per item).
    const items = 6000;
    const user = await TestUser.signUp(platform.url);
    await user.connectSandbox("gmail", { items, latency_ms: 120, fault: "none" });
    const connectionId = await connectionIdOf(db, user.email, "gmail");
    const t0 = Date.now();
    const { syncId } = await user.startSync("gmail");
    const watch = watchConnection(db, connectionId, syncId);
    const following = followStream(user, syncId, { timeoutMs: 280_000, fromId: 0 });
    following.catch(() => undefined);
    const freezeMs = 4 * STALE_AFTER_S * 1000 + 2000;
    const lines: string[] = [];
    /** Rounds that froze the instance mid-slice (its slice pending as waitUntil work). */
    let midSlice = 0;
    let sessions: string | undefined;
    const before = platform.stats();
    let seen: Awaited<ReturnType<typeof watch.stop>> | undefined;
    try {
      for (let round = 1; round <= 4; round++) {
        const { inst, run } = await until(
          `round ${round}: the run executing somewhere`,
          async () => {
            const run = await runRow(db, syncId);
            if (run.finishedAt !== null) throw new Error(`run ${syncId} ended (${run.status}: ${run.errorMessage ?? ""}) before freeze round ${round}`);
            const inst = platform.instanceByPid(pidOfWorkerId(run.workerId) ?? -1);
            return inst && run.processedItems > 0 ? { inst, run } : null;
          },
          30_000,
          100,
        );
        const frozenAt = Date.now();
        const freezing = platform.freeze(inst, freezeMs);
        // While it is frozen the other instance, woken by the cron, takes the run over (a new
        // epoch, its pid in workerId). Its progress shows in the report and in the end result.
        let takeover: { ms: number; by: string };
        let doing: { openRequests: number; pendingWork: number };
        try {
          takeover = await until(
            `round ${round}: the run taken over from the frozen ${inst.name}`,
            async () => {
              const now = await runRow(db, syncId);
              const pid = pidOfWorkerId(now.workerId);
              // Late: what the database sessions are doing, for the failure report.
              if (!sessions && Date.now() - frozenAt > 12_000 && now.epoch === run.epoch) sessions = await databaseSessions(db).catch((e: Error) => e.message);
              return pid !== undefined && pid !== inst.pid && now.epoch > run.epoch
                ? { ms: Date.now() - frozenAt, by: platform.instanceByPid(pid)?.name ?? String(pid) }
                : null;
            },
            freezeMs - 500,
            200,
          );
        } finally {
          doing = await freezing;
        }
        if (doing.pendingWork > 0) midSlice += 1;
        const end = await runRow(db, syncId);
        lines.push(
          `round ${round}: froze ${inst.name} (executing the run: epoch ${run.epoch}, ${run.processedItems} done; ${doing.openRequests} requests open, ${doing.pendingWork} waitUntil task pending) for ${s(freezeMs)}; ${takeover.by} took over after ${s(takeover.ms)}; at the thaw ${end.processedItems} done, epoch ${end.epoch}, resumes ${end.resumeCount}`,
        );
      }
      const followed = await following;
      const wall = Date.now() - t0;
      seen = await watch.stop();
      const after = platform.stats();
      const run = await runRow(db, syncId);
      report(`freeze case: Gmail ${items} items, the executing instance frozen 4 × ${s(freezeMs)}`, [
        ...lines,
        `ended ${run.status} after ${s(wall)} (epoch ${run.epoch}, resumes ${run.resumeCount}); ${followed.events.length} events over ${followed.connections} stream connections; ${(platform.output().match(new RegExp(`run ${syncId}: .* no longer owns the run`, "g")) ?? []).length} fenced writes logged by woken executions`,
        `freezes during the case: ${freezesBetween(before, after)}; the connection polled ${seen.polls}×: at most ${seen.maxUnfinished} unfinished run(s) at once`,
      ]);
      await assertRunClean(platform, syncId, connectionId, items, followed);
      // At least one freeze caught a slice mid-way: that execution woke up 18 s later, its run
      // taken over meanwhile, and (fenced) wrote nothing that shows in the checks above.
      expect(midSlice, "rounds that froze a slice mid-way").toBeGreaterThan(0);
      expect(seen.maxUnfinished, "unfinished runs on the connection at once").toBeLessThanOrEqual(1);
      expect([...seen.unfinishedIds]).toEqual([syncId]);
      expect(seen.foreignActive).toEqual([]);
      await assertDatabaseInvariants(db);
    } catch (error) {
      const run = await runRow(db, syncId).catch(() => undefined);
      const log = await storedEvents(db, syncId).catch(() => []);
      report("freeze case (failed)", [
        ...lines,
        `run ${syncId}: ${run ? `${run.status}, ${run.processedItems} done, epoch ${run.epoch}, resumes ${run.resumeCount}, error ${run.errorMessage ?? "-"}` : "?"}`,
        ...(run && run.processedItems === 0 && run.epoch > 2
          ? [`${run.epoch} slices and not one checkpoint: every slice was stopped at its hard stop (SYNC_SLICE_S × 1.5) before its first page was stored (busy cores?)`]
          : []),
        `stored events: ${log.map((e) => `${e.seq}:${e.name}`).join(" ").slice(-600)}`,
        `emails: ${JSON.stringify(await emailsOf(db, syncId).catch(() => []))}`,
        `database sessions 12 s into the freeze: ${sessions ?? "(not taken)"}`,
        String((error as Error).message).slice(0, 600),
      ]);
      throw error;
    } finally {
      if (!seen) await watch.stop();
    }
  });
});

// A shorter maxDuration, so that one run's progress stream is cut several times.
describe.skipIf(unreachable !== null)("serverless platform emulation: maxDuration 8 s", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ instances: 2, maxDurationMs: 8000, staleAfterS: String(STALE_AFTER_S) });
  });
  afterAll(async () => {
    if (!platform) return;
    report("totals (maxDuration 8 s)", platform.reportLines());
    if (process.env.SERVERLESS_KEEP_LOGS === "1") console.log(platform.output());
    await platform.stop();
  });

  it("a progress stream cut at maxDuration is followed with Last-Event-ID across several connections, missing nothing", async () => {
    const db = platform.databaseUrl;
    const user = await TestUser.signUp(platform.url);
    // About 25 s of work (measured 24.3 s): two or three cuts of the stream.
    await user.connectSandbox("gmail", { items: 900, latency_ms: 400, fault: "none" });
    const connectionId = await connectionIdOf(db, user.email, "gmail");
    const cutsBefore = platform.instances.reduce((n, i) => n + i.stats.cutAtMaxDuration, 0);
    const t0 = Date.now();
    const { syncId } = await user.startSync("gmail");
    const followed = await followStream(user, syncId, { timeoutMs: 150_000, fromId: 0 });
    const wall = Date.now() - t0;
    const cuts = platform.instances.reduce((n, i) => n + i.stats.cutAtMaxDuration, 0) - cutsBefore;
    report("stream cut at maxDuration (8 s)", [
      `Gmail 900 items: ${s(wall)}; ${followed.events.length} events over ${followed.connections} connections; ${cuts} responses cut at maxDuration`,
      `connections ended: ${followed.troubles.join("; ") || "(none)"}`,
    ]);
    expect(cuts, "the platform cut the stream").toBeGreaterThanOrEqual(2);
    expect(followed.connections).toBeGreaterThanOrEqual(3);
    await assertRunClean(platform, syncId, connectionId, 900, followed);
    await assertDatabaseInvariants(db);
  });
});
