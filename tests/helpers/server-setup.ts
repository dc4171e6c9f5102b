// Starts the real built app (`node scripts/start.mjs --no-build`) on a free loopback port
// with a fresh SQLite database and small timeouts, for the integration tests.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Settings the integration tests rely on (small, so faults end within seconds). */
export const TEST_SETTINGS = {
  SYNC_CONNECT_TIMEOUT_S: "3",
  SYNC_REQUEST_TIMEOUT_S: "1",
  SYNC_STALL_TIMEOUT_S: "4",
  SYNC_TIMEOUT_S: "60",
  SYNC_MAX_ATTEMPTS: "2",
  SYNC_MAX_RATE_LIMIT_WAIT_S: "10",
};

let child: ChildProcess | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(tmpdir(), "sb-it-"));
  const port = await freePort();
  const databaseUrl = `file:${path.join(dir, "test.db")}`;
  const baseUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    env: {
      ...process.env,
      ...TEST_SETTINGS,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      APP_SECRET: "integration-test-secret-0123456789abcdef",
      APP_URL: baseUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/integrations`);
      if (res.status === 401) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  project.provide("baseUrl", baseUrl);
  project.provide("databaseUrl", databaseUrl);
}

export async function teardown(): Promise<void> {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(r, 5000);
      child?.once("exit", () => {
        clearTimeout(t);
        r(undefined);
      });
    });
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
