// The database briefly unavailable, PostgreSQL mode: every connection of the app is
// terminated (pg_terminate_backend) again and again for a few seconds while a run writes.
// The run retries or fails cleanly, never stays half-done; what it wrote matches its
// checkpoint; the app answers again afterwards and the next sync completes.
// Skipped, saying why, when no PostgreSQL answers at DATABASE_URL_TEST.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { pgAdminUrl } from "@/tests/helpers/pg";
import {
  assertDatabaseInvariants,
  assertDocumentsMatchCheckpoint,
  assertStreamSawEverything,
  connectionIdOf,
  documentCounts,
  followStream,
  logTail,
  postgresReachable,
  report,
  sleep,
  startApp,
  until,
  type ChaosApp,
} from "./helpers";

const unreachable = await postgresReachable();
if (unreachable) console.warn(`[chaos] PostgreSQL case SKIPPED: no PostgreSQL at ${pgAdminUrl().replace(/\/\/[^@]*@/, "//…@")} (${unreachable})`);

/** Terminates every connection to `database` but the caller's; returns how many. */
async function terminateAll(admin: pg.Client, database: string): Promise<number> {
  const r = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  return r.rows.filter((x: { ok: boolean }) => x.ok).length;
}

describe.skipIf(unreachable !== null)("PostgreSQL connections terminated during a run", () => {
  let app: ChaosApp;
  let admin: pg.Client;
  beforeAll(async () => {
    // A run whose process lost it is taken back within seconds, not the production 30.
    app = await startApp({ database: "postgres", env: { SYNC_STALE_AFTER_S: "6" } });
    admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await app?.close();
  });

  it.each([4, 12])("%i s of terminated connections mid-run: the run retries or fails cleanly; nothing half-written; the app recovers", async (outageS) => {
    const database = new URL(app.databaseUrl).pathname.slice(1);
    const user = await TestUser.signUp(app.server.baseUrl);
    await user.connectSandbox("github", { items: 600, latency_ms: 200, fault: "none" });
    const { syncId } = await user.startSync("github");
    const follower = followStream(user, syncId);
    await until("the run mid-way", async () => ((await user.progress(syncId)).processed_items >= 50 ? true : null));

    // A database that drops every connection as soon as it is made, for `outageS` seconds
    // (12 s: longer than an event write's retries).
    let killed = 0;
    const outageEnds = Date.now() + outageS * 1000;
    while (Date.now() < outageEnds) {
      killed += await terminateAll(admin, database);
      await sleep(100);
    }
    expect(killed).toBeGreaterThan(0);

    const end = await until(
      "the run to end",
      async () => {
        try {
          const p = await user.progress(syncId);
          return ["complete", "error", "cancelled"].includes(p.status) ? p : null;
        } catch {
          return null; // the app may answer 5xx while its pool reconnects
        }
      },
      60_000,
      200,
    ).catch(async (e: Error) => {
      const rows = await admin.query(`SELECT state, wait_event_type, wait_event, left(query, 80) AS q, now() - state_change AS age FROM pg_stat_activity WHERE datname = $1`, [database]);
      throw new Error(`${e.message}\n${JSON.stringify(rows.rows, null, 1)}`);
    });
    const connectionId = await connectionIdOf(app.databaseUrl, user.email, "github");
    if (end.status === "complete") {
      expect(await documentCounts(app.databaseUrl, connectionId)).toEqual({ rows: 600, distinct: 600 });
    } else {
      expect(end.status, logTail(app)).toBe("error");
      expect(end.error_message).toBeTruthy();
      await assertDocumentsMatchCheckpoint(app.databaseUrl, syncId, connectionId);
    }
    await assertStreamSawEverything(app.databaseUrl, syncId, (await follower).events);

    // The app serves again, and a new sync (continuing from the checkpoint if it failed) completes.
    const again = await user.startSync("github");
    expect(again.status).toBe(202);
    const next = await user.waitForTerminal(again.syncId, 60_000);
    expect(next, logTail(app)).toMatchObject({ status: "complete" });
    expect(await documentCounts(app.databaseUrl, connectionId)).toEqual({ rows: 600, distinct: 600 });
    await assertDatabaseInvariants(app.databaseUrl);
    report(`PostgreSQL connections terminated for ${outageS} s`, [
      `${killed} backend connections terminated over ${outageS} s mid-run`,
      `the run ended ${end.status}${end.error_message ? ` ("${end.error_message}")` : ""}; the next sync completed with 600 documents, each once`,
    ]);
  });
});
