// Vitest globalSetup of the integration project: one real server for the suite, on a
// fresh SQLite database in a temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { TEST_APP_SECRET, startServer, type RunningServer } from "./server";

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

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(tmpdir(), "sb-it-"));
  const databaseUrl = `file:${path.join(dir, "test.db")}`;
  const serverLog = path.join(dir, "server.log");
  server = await startServer({ databaseUrl, logFile: serverLog });
  project.provide("baseUrl", server.baseUrl);
  project.provide("databaseUrl", databaseUrl);
  project.provide("serverLog", serverLog);
  project.provide("appSecret", TEST_APP_SECRET);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
