// Vitest globalSetup of the integration project: one real server for the suite, on a
// fresh SQLite database in a temp dir — or, with TEST_DATABASE=postgres, on a fresh
// PostgreSQL database `sb_it_<random>` (on DATABASE_URL_TEST's server, default
// postgres://postgres@127.0.0.1:5432/test), dropped at teardown. KEEP_LOG=<file> keeps the
// server's log there (the temp dir goes).
//
// Before the suites run, one warm-up user syncs a small sandbox of each provider (./warm-up.ts).
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { TEST_APP_SECRET, startServer, type RunningServer } from "./server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "./pg";
import { warmUp } from "./warm-up";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    serverLog: string;
    appSecret: string;
  }
}

let server: RunningServer | undefined;
let dir: string | undefined;
let pgUrl: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(tmpdir(), "sb-it-"));
  if (usePostgres()) pgUrl = await createPgDatabase();
  const databaseUrl = pgUrl ?? `file:${path.join(dir, "test.db")}`;
  const serverLog = path.join(dir, "server.log");
  server = await startServer({ databaseUrl, logFile: serverLog });
  await warmUp(server.baseUrl);
  project.provide("baseUrl", server.baseUrl);
  project.provide("databaseUrl", databaseUrl);
  project.provide("serverLog", serverLog);
  project.provide("appSecret", TEST_APP_SECRET);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (pgUrl) await dropPgDatabase(pgUrl);
  if (dir && process.env.KEEP_LOG) copyFileSync(path.join(dir, "server.log"), process.env.KEEP_LOG);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

