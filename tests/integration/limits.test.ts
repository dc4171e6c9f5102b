// Concurrency limits per user (SYNC_MAX_RUNS_PER_USER): a user's extra sync waits, saying
// why, and starts when a slot frees; another user's sync is not held up by it. Runs in
// the embedded mode and, in the PostgreSQL + Redis stage, across worker processes.
import { afterAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startOwnServer, type OwnServer } from "@/tests/helpers/own-server";
import { queryDb } from "@/tests/helpers/db-query";

let own: OwnServer | undefined;
afterAll(async () => {
  await own?.dispose();
});

describe("one sync at a time per user (SYNC_MAX_RUNS_PER_USER=1)", () => {
  it("queues the user's second sync with a reason, runs it after the first, and lets other users through", async () => {
    own = await startOwnServer("limits", { SYNC_MAX_RUNS_PER_USER: "1" });
    const { server, databaseUrl } = own;
    const alice = await TestUser.signUp(server.baseUrl);
    const bob = await TestUser.signUp(server.baseUrl);
    await alice.connectSandbox("github", { items: 300, latency_ms: 300, fault: "none" });
    await alice.connectSandbox("slack", { items: 100, latency_ms: 50, fault: "none" });
    await bob.connectSandbox("github", { items: 300, latency_ms: 300, fault: "none" });

    const first = await alice.startSync("github");
    // Let the first one take the user's slot before the second asks.
    await alice.stream(first.syncId, { lastEventId: "0", stopAfter: 3, timeoutMs: 15_000 });
    const second = await alice.startSync("slack");
    const other = await bob.startSync("github");

    const waiting = await alice.stream(second.syncId, { lastEventId: "0", stopAfter: 2, timeoutMs: 15_000 });
    expect(waiting.events.at(-1)!.data).toMatchObject({ status: "queued", stage: "Waiting for another sync to finish (at most 1 of your syncs run at once)…" });
    // Bob is another user: his sync runs alongside Alice's first.
    const bobEvents = await bob.stream(other.syncId, { lastEventId: "0", stopAfter: 4, timeoutMs: 15_000 });
    expect(bobEvents.events.some((e) => e.data.status === "syncing")).toBe(true);

    const [a1, a2, b1] = await Promise.all([
      alice.waitForTerminal(first.syncId, 60_000),
      alice.waitForTerminal(second.syncId, 60_000),
      bob.waitForTerminal(other.syncId, 60_000),
    ]);
    expect([a1.status, a2.status, b1.status]).toEqual(["complete", "complete", "complete"]);
    // The second started working only after the first had finished (event times, from the log).
    const log = await alice.stream(second.syncId, { lastEventId: "0" });
    const firstWork = log.events.findIndex((e) => e.data.status !== "queued");
    expect(log.events.slice(0, firstWork).every((e) => e.data.status === "queued")).toBe(true);
    const [row] = await queryDb<{ at: string | number | Date }>(
      databaseUrl,
      `SELECT "createdAt" AS at FROM sync_event WHERE "runId" = ? AND seq = ?`,
      second.syncId,
      Number(log.events[firstWork]!.id),
    );
    const at = typeof row!.at === "number" ? row!.at : Date.parse(String(row!.at instanceof Date ? row!.at.toISOString() : row!.at));
    expect(at).toBeGreaterThanOrEqual(Date.parse(a1.finished_at!));
  });
});
