// The web server SIGKILLed mid-sync and started again: the run resumes from its checkpoint
// within one stall timeout, every document is stored once, and a client following the
// stream (reconnecting with Last-Event-ID, as EventSource does) sees every event in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { TEST_SETTINGS } from "@/tests/helpers/server";
import {
  assertDatabaseInvariants,
  assertStreamSawEverything,
  connectionIdOf,
  documentCounts,
  followStream,
  type Followed,
  logTail,
  runsOf,
  sleep,
  startApp,
  until,
  type ChaosApp,
} from "./helpers";

const STALL_MS = Number(TEST_SETTINGS.SYNC_STALL_TIMEOUT_S) * 1000;
let app: ChaosApp;

beforeAll(async () => {
  // Gmail keeps up to 40 requests in flight against the sandbox the same process serves: on
  // 2 busy cores the tests' 1 s request timeout fails it now and then, restart or not.
  app = await startApp({ env: { SYNC_REQUEST_TIMEOUT_S: "5" } });
});
afterAll(async () => {
  await app?.close();
});

describe("web server SIGKILLed mid-sync", () => {
  it("resumes each run from its checkpoint within one stall timeout; nothing lost, nothing twice", async () => {
    const user = await TestUser.signUp(app.server.baseUrl);
    // GitHub: 12 repositories x 50 items, 250 ms a request. Gmail alongside, so two runs are cut.
    await user.connectSandbox("github", { items: 600, latency_ms: 250, fault: "none" });
    await user.connectSandbox("gmail", { items: 300, latency_ms: 150, fault: "none" });
    const gh = await user.startSync("github");
    const gm = await user.startSync("gmail");
    const followers = [followStream(user, gh.syncId), followStream(user, gm.syncId)];

    const before = await until("GitHub mid-run", async () => {
      const p = await user.progress(gh.syncId);
      return p.processed_items >= 100 ? p : null;
    });
    expect(before.processed_items).toBeLessThan(600);

    await app.server.stop("SIGKILL");
    const [cut] = await runsOf(app.databaseUrl, "id = ?", gh.syncId);
    await sleep(500);
    await app.restart("SIGKILL");
    const up = Date.now();

    // Picked up again (its next event recorded) within one stall timeout of the restart.
    const moved = await until(
      "the resumed run to record its next event",
      async () => {
        const [r] = await runsOf(app.databaseUrl, "id = ?", gh.syncId);
        return Number(r!.lastSeq) > Number(cut!.lastSeq) ? r : null;
      },
      STALL_MS + 2000,
      50,
    );
    expect(Date.now() - up, "resumed within one stall timeout").toBeLessThanOrEqual(STALL_MS);
    expect(moved.status).not.toBe("error");

    const [ghEnd, gmEnd] = await Promise.all([user.waitForTerminal(gh.syncId, 60_000), user.waitForTerminal(gm.syncId, 60_000)]);
    expect(ghEnd, `${JSON.stringify(ghEnd)}\n${logTail(app)}`).toMatchObject({ status: "complete", total_items: 600, processed_items: 600, failed_items: 0 });
    expect(gmEnd, `${JSON.stringify(gmEnd)}\n${logTail(app)}`).toMatchObject({ status: "complete", processed_items: 300, failed_items: 0 });
    const dbUrl = app.databaseUrl;
    expect(await documentCounts(dbUrl, await connectionIdOf(dbUrl, user.email, "github"))).toEqual({ rows: 600, distinct: 600 });
    expect(await documentCounts(dbUrl, await connectionIdOf(dbUrl, user.email, "gmail"))).toEqual({ rows: 300, distinct: 300 });

    const [ghSeen, gmSeen] = (await Promise.all(followers)) as [Followed, Followed];
    expect(ghSeen.connections, "the follower had to reconnect").toBeGreaterThan(1);
    await assertStreamSawEverything(dbUrl, gh.syncId, ghSeen.events);
    await assertStreamSawEverything(dbUrl, gm.syncId, gmSeen.events);
    const replay = await user.stream(gh.syncId, { lastEventId: "0" });
    expect(replay.events.some((e) => /Resuming after an interruption/.test(e.data.stage))).toBe(true);
    await assertDatabaseInvariants(dbUrl);
  });

  it("ends a run that keeps dying as interrupted, with a clear message, after three resumes", async () => {
    const user = await TestUser.signUp(app.server.baseUrl);
    await user.connectSandbox("github", { items: 1000, latency_ms: 600, fault: "none" });
    const { syncId } = await user.startSync("github");
    let kills = 0;
    for (; kills < 6; kills += 1) {
      // Executing (owned by the live process) and not over: cut it again.
      const run = await until(`the run executing before kill ${kills + 1}`, async () => {
        const [r] = await queryDb<{ workerId: string | null; finishedAt: unknown; resumeCount: number }>(
          app.databaseUrl,
          `SELECT "workerId", "finishedAt", "resumeCount" FROM sync_run WHERE id = ?`,
          syncId,
        );
        return r && (r.finishedAt !== null || (r.workerId !== null && Number(r.resumeCount) === kills)) ? r : null;
      });
      if (run.finishedAt !== null) break;
      await sleep(300);
      await app.restart("SIGKILL");
    }
    expect(kills).toBe(4);
    const end = await user.waitForTerminal(syncId, 30_000);
    expect(end.status, logTail(app)).toBe("error");
    expect(end.error_message).toMatch(/interrupted .* several times/);
    await assertDatabaseInvariants(app.databaseUrl);
  });
});
