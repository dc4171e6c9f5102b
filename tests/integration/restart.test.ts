// A run outlives the process running it: killed (SIGKILL) or stopped (SIGTERM) mid-sync,
// the next start resumes it from its checkpoint and every document ends up stored once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startServer, type RunningServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";

const dirs: string[] = [];
const servers: RunningServer[] = [];
const pgDatabases: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL");
  for (const url of pgDatabases) await dropPgDatabase(url);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function boot(databaseUrl: string, port?: number): Promise<RunningServer> {
  const server = await startServer({ databaseUrl, port });
  servers.push(server);
  return server;
}

describe.each(["SIGKILL", "SIGTERM"] as const)("a server stopped with %s mid-sync", (signal) => {
  it("resumes the run on the next start and stores every document exactly once", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sb-restart-"));
    dirs.push(dir);
    // TEST_DATABASE=postgres: a fresh PostgreSQL database instead of the SQLite file.
    const databaseUrl = usePostgres() ? await createPgDatabase() : `file:${path.join(dir, "app.db")}`;
    if (usePostgres()) pgDatabases.push(databaseUrl);
    const first = await boot(databaseUrl);
    const user = await TestUser.signUp(first.baseUrl);
    // 12 repositories of 50 items: one page each, 300 ms a request.
    await user.connectSandbox("github", { items: 600, latency_ms: 300, fault: "none" });
    const { syncId } = await user.startSync("github");

    let before = await user.progress(syncId);
    const deadline = Date.now() + 30_000;
    while (before.processed_items < 100 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      before = await user.progress(syncId);
    }
    expect(before.status).toBe("syncing");
    expect(before.processed_items).toBeGreaterThanOrEqual(100);
    expect(before.processed_items).toBeLessThan(600);

    await first.stop(signal);
    await boot(databaseUrl, first.port); // same address: the user's session cookie still works

    const end = await user.waitForTerminal(syncId, 60_000);
    expect(end).toMatchObject({ status: "complete", total_items: 600, processed_items: 600, failed_items: 0 });
    const list = await user.json<{ integrations: { type: string; item_count: number }[] }>("/api/integrations");
    expect(list.body.integrations.find((i) => i.type === "github")!.item_count).toBe(600);

    // The event log is one unbroken sequence across both processes, and says it resumed.
    const log = await user.stream(syncId, { lastEventId: "0" });
    expect(log.events.map((e) => e.id)).toEqual(Array.from({ length: log.events.length }, (_, i) => i + 1));
    expect(log.events.some((e) => /Resuming after an interruption/.test(e.data.stage))).toBe(true);
    expect(log.events.at(-1)!.event).toBe("complete");
  });
});
