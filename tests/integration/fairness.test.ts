// Fairness between users (issue 16): four users each start four long sandbox syncs (every
// provider, slow answers), then a fifth user's small sync must start within a few seconds and
// complete (lib/sync/fair-share.ts). Before the fair share, the 16 long runs took all 16 run slots and the victim waited
// "queued" for as long as they ran. Embedded shape by default; with TEST_REDIS=1 the runs go
// through BullMQ to a worker of this test's own (its own database and Redis prefix).
import { afterAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startOwnServer, type OwnServer } from "@/tests/helpers/own-server";
import { queryDb } from "@/tests/helpers/db-query";

const PROVIDERS = ["gmail", "slack", "box", "github"] as const;
// Every provider request answers after 4 s: a run of 2,000 items lasts minutes, never stalls.
const LONG = { items: 2000, latency_ms: 4000, fault: "none" };

let own: OwnServer | undefined;
afterAll(async () => {
  await own?.dispose();
});

async function runningByUser(databaseUrl: string): Promise<Map<string, number>> {
  const rows = await queryDb<{ userId: string; n: number | string }>(
    databaseUrl,
    `SELECT "userId", COUNT(*) AS n FROM sync_run WHERE "finishedAt" IS NULL AND status <> 'queued' GROUP BY "userId"`,
  );
  return new Map(rows.map((r) => [r.userId, Number(r.n)]));
}

describe("fair share of run slots", () => {
  it("4 users x 4 long syncs leave room: a 5th user's 50-item sync starts within seconds and completes", async () => {
    own = await startOwnServer("fairness", {
      // Slow sandbox answers are the point here, not a fault: generous request and stall bounds.
      SYNC_CONNECT_TIMEOUT_S: "15",
      SYNC_REQUEST_TIMEOUT_S: "15",
      SYNC_STALL_TIMEOUT_S: "60",
      SYNC_TIMEOUT_S: "600",
    });
    const { server, databaseUrl } = own;
    const heavy = await Promise.all([0, 1, 2, 3].map(() => TestUser.signUp(server.baseUrl, { verify: false })));
    const started: { user: TestUser; syncId: string }[] = [];
    for (const user of heavy) {
      for (const type of PROVIDERS) {
        await user.connectSandbox(type, LONG);
        const { status, syncId } = await user.startSync(type);
        expect(status).toBe(202);
        started.push({ user, syncId });
      }
    }
    // Let the long runs take every slot they are going to get.
    const deadline = Date.now() + 30_000;
    for (let last = -1; Date.now() < deadline; ) {
      const running = [...(await runningByUser(databaseUrl)).values()].reduce((a, b) => a + b, 0);
      if (running >= 12 && running === last) break;
      last = running;
      await new Promise((r) => setTimeout(r, 1500));
    }
    const load = await runningByUser(databaseUrl);
    const total = [...load.values()].reduce((x, y) => x + y, 0);
    console.log(`[fairness] long runs executing before the victim: ${total} (per user: ${[...load.values()].join(", ")})`);
    // Each user has its share (3 of the 16 slots), beyond it only while half the slots are free:
    // the first two users to arrive run 4, the others 3, and 2 slots stay free.
    expect(total).toBeLessThanOrEqual(14);
    expect(Math.min(...load.values())).toBeGreaterThanOrEqual(3);

    const victim = await TestUser.signUp(server.baseUrl, { verify: false });
    await victim.connectSandbox("github", { items: 50, latency_ms: 0, fault: "none" });
    const t0 = Date.now();
    const { syncId } = await victim.startSync("github");
    let startedAfterMs: number | undefined;
    while (Date.now() - t0 < 20_000) {
      const p = await victim.progress(syncId);
      if (p.status !== "queued") {
        startedAfterMs = Date.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`[fairness] victim's sync left "queued" after ${startedAfterMs ?? "more than 20000"} ms`);
    expect(startedAfterMs, "the victim's sync started").toBeDefined();
    expect(startedAfterMs!).toBeLessThan(5000);
    const end = await victim.waitForTerminal(syncId, 60_000);
    console.log(`[fairness] victim's sync ended ${end.status} after ${Date.now() - t0} ms`);
    expect(end).toMatchObject({ status: "complete", processed_items: 50 });

    // The long runs were never failed by this: each is still running or waiting for its turn.
    for (const { user, syncId: id } of started) {
      const p = await user.progress(id);
      expect(["queued", "connecting", "syncing", "parsing", "embedding", "rate_limited"], `${id}: ${p.status} ${p.error_message ?? ""}`).toContain(p.status);
    }
    await Promise.all(started.map(({ user, syncId: id }) => user.json(`/api/sync-progress/${id}/cancel`, { method: "POST" })));
  }, 240_000);
});
