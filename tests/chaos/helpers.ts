// Shared pieces of the resilience suite (`npm run test:chaos`): an app on a throwaway
// database, the checks every case ends with (read from the database itself), an SSE
// follower that reconnects with Last-Event-ID like EventSource does, and the web process's
// resident memory.
import { execSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { expect } from "vitest";
import { TestUser, parseSse, type StreamEvent } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { createPgDatabase, dropPgDatabase, pgAdminUrl } from "@/tests/helpers/pg";
import { startServer, type RunningServer } from "@/tests/helpers/server";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const TERMINAL = ["complete", "error", "cancelled"];

/** Polls `probe` until it returns something truthy. */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- apps on throwaway databases

export interface ChaosApp {
  server: RunningServer;
  databaseUrl: string;
  /** Starts the app again on the same database (and port, so session cookies keep working). */
  restart(signal?: NodeJS.Signals): Promise<RunningServer>;
  close(): Promise<void>;
}

export async function postgresReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The built app on a fresh SQLite file (default) or a fresh PostgreSQL database. */
export async function startApp(opts: { database?: "sqlite" | "postgres"; env?: Record<string, string>; port?: number } = {}): Promise<ChaosApp> {
  const dir = mkdtempSync(path.join(tmpdir(), "sb-chaos-"));
  const databaseUrl = opts.database === "postgres" ? await createPgDatabase() : `file:${path.join(dir, "app.db")}`;
  const logFile = path.join(dir, "server.log");
  const boot = (port?: number) => startServer({ databaseUrl, env: opts.env, port, logFile });
  let server: RunningServer;
  try {
    server = await boot(opts.port);
  } catch (error) {
    if (databaseUrl.startsWith("postgres")) await dropPgDatabase(databaseUrl).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const app: ChaosApp = {
    server,
    databaseUrl,
    async restart(signal: NodeJS.Signals = "SIGTERM") {
      await app.server.stop(signal);
      app.server = await boot(app.server.port);
      return app.server;
    },
    async close() {
      await app.server.stop("SIGKILL").catch(() => undefined);
      if (databaseUrl.startsWith("postgres")) await dropPgDatabase(databaseUrl).catch(() => undefined);
      if (process.env.CHAOS_KEEP_LOGS !== "1") rmSync(dir, { recursive: true, force: true });
    },
  };
  return app;
}

/** The server log so far (for a failing assertion's message). */
export function logTail(app: ChaosApp, lines = 40): string {
  return app.server.output().split("\n").slice(-lines).join("\n");
}

// ---------------------------------------------------------------- the database's own word

interface RunRow {
  id: string;
  status: string;
  finishedAt: unknown;
  lastSeq: number;
  connectionId: string;
  processedItems: number;
  checkpoint: string | null;
  errorMessage: string | null;
}

export async function runsOf(databaseUrl: string, where = "1=1", ...params: unknown[]): Promise<RunRow[]> {
  return queryDb<RunRow>(
    databaseUrl,
    `SELECT id, status, "finishedAt", "lastSeq", "connectionId", "processedItems", checkpoint, "errorMessage" FROM sync_run WHERE ${where}`,
    ...params,
  );
}

export async function connectionIdOf(databaseUrl: string, email: string, type: string): Promise<string> {
  const rows = await queryDb<{ id: string }>(
    databaseUrl,
    `SELECT c.id FROM connection c JOIN "user" u ON u.id = c."userId" WHERE u.email = ? AND c.type = ?`,
    email,
    type,
  );
  expect(rows, `connection ${type} of ${email}`).toHaveLength(1);
  return rows[0]!.id;
}

export async function documentCounts(databaseUrl: string, connectionId: string): Promise<{ rows: number; distinct: number }> {
  const [r] = await queryDb<{ rows: number | string; distinct: number | string }>(
    databaseUrl,
    `SELECT COUNT(*) AS rows, COUNT(DISTINCT "externalId") AS "distinct" FROM document WHERE "connectionId" = ?`,
    connectionId,
  );
  return { rows: Number(r!.rows), distinct: Number(r!.distinct) };
}

/**
 * What every case ends with, over the whole database:
 *  - every run is terminal (status and finishedAt), and no connection still points at a run;
 *  - every run's event log is 1..lastSeq without a gap, with exactly one terminal event, the last;
 *  - every document is stored once (rows = distinct external ids, per connection);
 *  - at most one email per run (one row per run, whatever its kind), none sent twice.
 */
export async function assertDatabaseInvariants(databaseUrl: string): Promise<void> {
  const runs = await runsOf(databaseUrl);
  for (const r of runs) {
    expect(TERMINAL, `run ${r.id} is ${r.status}`).toContain(r.status);
    expect(r.finishedAt, `run ${r.id} has no finishedAt`).not.toBeNull();
  }
  const busy = await queryDb<{ id: string; activeRunId: string }>(databaseUrl, `SELECT id, "activeRunId" FROM connection WHERE "activeRunId" IS NOT NULL`);
  expect(busy, "connections still holding a run").toEqual([]);

  const events = await queryDb<{ runId: string; seq: number; name: string }>(databaseUrl, `SELECT "runId", seq, name FROM sync_event ORDER BY "runId", seq`);
  const byRun = new Map<string, { seq: number; name: string }[]>();
  for (const e of events) {
    const list = byRun.get(e.runId) ?? [];
    list.push({ seq: Number(e.seq), name: e.name });
    byRun.set(e.runId, list);
  }
  for (const r of runs) {
    const log = byRun.get(r.id) ?? [];
    expect(
      log.map((e) => e.seq),
      `event log of ${r.id}`,
    ).toEqual(Array.from({ length: Number(r.lastSeq) }, (_, i) => i + 1));
    const terminal = log.filter((e) => TERMINAL.includes(e.name));
    expect(terminal.map((e) => e.seq), `terminal events of ${r.id}`).toEqual([Number(r.lastSeq)]);
    expect(terminal[0]!.name).toBe(r.status);
  }

  const dupDocs = await queryDb(
    databaseUrl,
    `SELECT "connectionId", COUNT(*) AS n, COUNT(DISTINCT "externalId") AS d FROM document GROUP BY "connectionId" HAVING COUNT(*) <> COUNT(DISTINCT "externalId")`,
  );
  expect(dupDocs, "documents stored more than once").toEqual([]);

  const dupMail = await queryDb(databaseUrl, `SELECT "runId", COUNT(*) AS n FROM notification GROUP BY "runId" HAVING COUNT(*) > 1`);
  expect(dupMail, "runs with more than one email").toEqual([]);
  const overSent = await queryDb(databaseUrl, `SELECT id, status, attempts FROM notification WHERE status = 'sent' AND "sentAt" IS NULL`);
  expect(overSent).toEqual([]);
}

/** A run that failed part-way left exactly what its checkpoint says: nothing half-written. */
export async function assertDocumentsMatchCheckpoint(databaseUrl: string, runId: string, connectionId: string): Promise<number> {
  const [run] = await runsOf(databaseUrl, "id = ?", runId);
  const checkpoint = run!.checkpoint ? (JSON.parse(run!.checkpoint) as { processed: number }) : { processed: 0 };
  const docs = await documentCounts(databaseUrl, connectionId);
  expect(docs.rows, `documents vs checkpoint of ${runId} (${run!.status})`).toBe(checkpoint.processed);
  expect(docs.distinct).toBe(docs.rows);
  return docs.rows;
}

// ---------------------------------------------------------------- streams

export interface Followed {
  events: StreamEvent[];
  /** Connections it took (1 = never reconnected). */
  connections: number;
  /** Answers other than 200 (e.g. while the server was down), and network errors. */
  troubles: string[];
}

/**
 * Follows a run's stream to its terminal event the way EventSource does: on a dropped
 * connection (a restart, a cut at maxDuration, a frozen instance) it reconnects (every
 * `retryMs`) with the last id it saw as Last-Event-ID. `fromId: 0` asks for the whole log
 * from the first event instead of the current state.
 */
export async function followStream(user: TestUser, syncId: string, opts: { timeoutMs?: number; retryMs?: number; fromId?: number } = {}): Promise<Followed> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const out: Followed = { events: [], connections: 0, troubles: [] };
  let lastId: number | undefined = opts.fromId;
  while (Date.now() < deadline) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(1, deadline - Date.now()));
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (lastId !== undefined) headers["last-event-id"] = String(lastId);
      const res = await user.fetch(`/api/sync-progress/${syncId}/stream`, { headers, signal: controller.signal });
      out.connections += 1;
      if (res.status !== 200 || !res.body) {
        out.troubles.push(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      } else {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const cut = buffer.lastIndexOf("\n\n");
          if (cut < 0) continue;
          for (const f of parseSse(buffer.slice(0, cut + 2))) {
            if (f.event && f.data !== undefined) {
              const e = { id: f.id!, event: f.event, data: JSON.parse(f.data) } as StreamEvent;
              out.events.push(e);
              lastId = e.id;
            }
          }
          buffer = buffer.slice(cut + 2);
        }
        if (out.events.length && TERMINAL.includes(out.events.at(-1)!.event)) return out;
        out.troubles.push(`closed after id ${lastId ?? "none"} before the terminal event`);
      }
    } catch (error) {
      out.troubles.push(`after id ${lastId ?? "none"}: ${String((error as Error)?.message ?? error)}`);
    } finally {
      clearTimeout(timer);
    }
    await sleep(opts.retryMs ?? 250);
  }
  throw new Error(`stream of ${syncId} did not reach a terminal event: ${JSON.stringify(out.troubles.slice(-5))}`);
}

/**
 * A stream saw every event in order: consecutive ids from its first event to the run's last,
 * each the same as the stored one, ending with the run's terminal event.
 */
export async function assertStreamSawEverything(databaseUrl: string, syncId: string, events: StreamEvent[]): Promise<void> {
  expect(events.length, `stream of ${syncId} saw nothing`).toBeGreaterThan(0);
  const stored = await queryDb<{ seq: number; name: string; data: string }>(databaseUrl, `SELECT seq, name, data FROM sync_event WHERE "runId" = ? ORDER BY seq`, syncId);
  const first = events[0]!.id;
  // The first event on connect is the current state (it may repeat the last stored one's id).
  const expected = stored.filter((s) => Number(s.seq) > first);
  const rest = events.slice(1);
  expect(rest.map((e) => e.id), `ids seen by the stream of ${syncId}`).toEqual(expected.map((s) => Number(s.seq)));
  rest.forEach((e, i) => {
    expect(e.event).toBe(expected[i]!.name);
    expect(e.data).toEqual(JSON.parse(expected[i]!.data));
  });
  expect(TERMINAL).toContain(events.at(-1)!.event);
}

// ---------------------------------------------------------------- processes and memory

function children(pid: number): number[] {
  return execSync(`pgrep -P ${pid} || true`).toString().split(/\s+/).filter(Boolean).map(Number);
}

/** The `next-server` process below start.mjs (the one that serves HTTP). */
export function nextServerPid(server: RunningServer): number {
  const queue = [server.child.pid!];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("next-server") || readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("next-server")) return pid;
    } catch {
      // gone
    }
    queue.push(...children(pid));
  }
  throw new Error("no next-server process below the server");
}

/** Resident memory of a process in kB (VmRSS). */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Open file descriptors that are sockets. */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of execSync(`ls /proc/${pid}/fd`).toString().split(/\s+/).filter(Boolean)) {
    try {
      if (execSync(`readlink /proc/${pid}/fd/${fd}`).toString().startsWith("socket:")) n += 1;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

// ---------------------------------------------------------------- the report

const REPORT = path.join("reports", "chaos.md");

/** Appends a section to reports/chaos.md (started by tests/chaos/setup.ts) and prints it. */
export function report(title: string, lines: string[]): void {
  mkdirSync("reports", { recursive: true });
  appendFileSync(REPORT, `## ${title}\n\n${lines.map((l) => `- ${l}`).join("\n")}\n\n`);
  console.log(`[chaos] ${title}\n${lines.map((l) => `  ${l}`).join("\n")}`);
}
