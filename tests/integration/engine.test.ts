// The engine's bounds, each proven to reach the HTTP call: a hanging provider's socket is
// closed by the connect timeout, the per-request timeout and the stall watchdog, and the
// whole-run timeout ends a run that keeps moving forever. Real SQLite, real sockets.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector } from "@/lib/connectors/types";
import type { RunLimits } from "@/lib/sync/engine";

const dir = mkdtempSync(path.join(tmpdir(), "sb-engine-"));
process.env.DATABASE_URL = `file:${path.join(dir, "engine.db")}`;
process.env.APP_SECRET = "engine-test-secret-0123456789abcdef012345";

let hang: Server;
let hangUrl: string;
const closedSockets: number[] = [];
let opened = 0;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/prisma.mjs", "migrate", "deploy"], { env: process.env, stdio: "ignore" });
  // A provider that accepts requests and never answers; it records when each is dropped.
  hang = createServer((req) => {
    opened += 1;
    req.socket.once("close", () => closedSockets.push(Date.now()));
  });
  await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
  const addr = hang.address();
  hangUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/`;
});

afterAll(async () => {
  hang.closeAllConnections();
  await new Promise((r) => hang.close(r));
  const { db } = await import("@/lib/db");
  await db().$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const base: RunLimits = {
  connectTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
  stallTimeoutMs: 120_000,
  runTimeoutMs: 3_600_000,
  maxRateLimitWaitMs: 60_000,
  maxAttempts: 1,
  heartbeatMs: 5000,
};

async function newRun(): Promise<string> {
  const { db } = await import("@/lib/db");
  const { encryptJson } = await import("@/lib/crypto");
  const id = Math.random().toString(16).slice(2);
  const user = await db().user.create({ data: { id: `u${id}`, name: "E", email: `${id}@e.test` } });
  const ws = await db().workspace.create({ data: { name: "w", memberships: { create: { userId: user.id } } } });
  const conn = await db().connection.create({
    data: { userId: user.id, workspaceId: ws.id, type: "github", mode: "sandbox", credentials: encryptJson({ accessToken: "t" }) },
  });
  const runId = `sync_${id.padEnd(32, "0").slice(0, 32)}`;
  await db().syncRun.create({
    data: { id: runId, userId: user.id, workspaceId: ws.id, connectionId: conn.id, connectorType: "github", status: "queued", stage: "Waiting", workerId: "test" },
  });
  return runId;
}

async function run(connector: Connector, limits: Partial<RunLimits>) {
  const { executeRun } = await import("@/lib/sync/engine");
  const { db } = await import("@/lib/db");
  const runId = await newRun();
  const started = Date.now();
  const closedBefore = closedSockets.length;
  await executeRun(runId, { stop: new AbortController().signal, workerId: "test", epoch: 0, limits: { ...base, ...limits }, connector });
  // The provider sees its socket close a moment after the abort.
  for (let i = 0; i < 20 && closedSockets.length - closedBefore < opened - closedBefore && closedSockets.length < opened; i += 1) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const row = await db().syncRun.findUniqueOrThrow({ where: { id: runId } });
  return { row, elapsed: Date.now() - started, dropped: closedSockets.length - closedBefore };
}

const hangingFetch: Connector = {
  type: "github",
  async connect(ctx) {
    await ctx.fetch(hangUrl, { signal: ctx.signal });
    return { accountLabel: "x" };
  },
  // eslint-disable-next-line require-yield
  async *sync() {
    return { cursor: null };
  },
};

const hangsWhileSyncing: Connector = {
  type: "github",
  async connect() {
    return { accountLabel: "x" };
  },
  async *sync(ctx) {
    await ctx.fetch(hangUrl, { signal: ctx.signal });
    return { cursor: null };
  },
};

describe("engine bounds", () => {
  it("connect timeout aborts the hanging connect request", async () => {
    const { row, elapsed, dropped } = await run(hangingFetch, { connectTimeoutMs: 500 });
    expect(row.status).toBe("error");
    expect(row.errorMessage).toBe("Connecting to GitHub took longer than 0.5 s. Try again later.");
    expect(elapsed).toBeLessThan(3000);
    expect(dropped).toBe(1);
  });

  it("per-request timeout aborts each attempt", async () => {
    const { row, elapsed, dropped } = await run(hangsWhileSyncing, { requestTimeoutMs: 300, maxAttempts: 2 });
    expect(row.status).toBe("error");
    expect(row.errorMessage).toBe("GitHub did not answer in time. Try the sync again in a few minutes; it continues where it stopped.");
    expect(row.errorDetail).toBe("GitHub did not answer within 0.3 s, 2 attempts.");
    expect(elapsed).toBeLessThan(3000);
    expect(dropped).toBe(2);
  });

  it("stall watchdog stops a run that makes no progress, and closes the request", async () => {
    const { row, elapsed, dropped } = await run(hangsWhileSyncing, { stallTimeoutMs: 1000 });
    expect(row.status).toBe("error");
    expect(row.errorMessage).toMatch(/^No progress for 1 s: GitHub stopped answering/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    expect(dropped).toBe(1);
    expect(row.finishedAt).not.toBeNull();
  });

  it("stall watchdog ends a run whose connector waits on something that ignores the abort", async () => {
    const deaf: Connector = {
      type: "github",
      async connect() {
        return { accountLabel: "x" };
      },
      // eslint-disable-next-line require-yield
      async *sync() {
        await new Promise(() => undefined); // never settles, never looks at the signal
        return { cursor: null };
      },
    };
    const { row, elapsed } = await run(deaf, { stallTimeoutMs: 800 });
    expect(row.status).toBe("error");
    expect(row.errorMessage).toMatch(/^No progress for 0.8 s/);
    expect(elapsed).toBeLessThan(3000);
  });

  it("whole-run timeout ends a run that keeps moving but never finishes", async () => {
    const endless: Connector = {
      type: "github",
      async connect() {
        return { accountLabel: "x" };
      },
      async *sync(ctx) {
        for (let i = 0; ; i += 1) {
          await new Promise((r) => setTimeout(r, 50));
          if (ctx.signal.aborted) throw ctx.signal.reason;
          yield {
            documents: [{ externalId: `d${i}`, kind: "issue", title: `Doc ${i}`, text: "", createdAt: new Date(), updatedAt: new Date() }],
            failures: [],
            checkpoint: { i },
          };
        }
      },
    };
    const { row, elapsed } = await run(endless, { runTimeoutMs: 1500, stallTimeoutMs: 500 });
    expect(row.status).toBe("error");
    expect(row.errorMessage).toBe("The sync ran longer than 1.5 s and was stopped. Sync again to continue where it stopped.");
    expect(row.processedItems).toBeGreaterThan(5);
    expect(elapsed).toBeLessThan(3000);
  });
});
