// The scale-out shape, for real: PostgreSQL + Redis, two web instances behind a loopback
// load balancer and two `npm run worker` processes. A sync started through instance A is
// streamed through instance B; the worker executing it is SIGKILLed mid-run and the other
// worker finishes it; web instance A is SIGKILLed while a real Chromium EventSource streams
// through it, and the browser reconnects (through the balancer) to B. Every document is
// stored exactly once and every stream saw every event, in order, once.
// Runs in the PostgreSQL + Redis stage of `npm test` (TEST_DATABASE=postgres TEST_REDIS=1).
import { afterAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "@playwright/test";
import { TestUser } from "@/tests/helpers/client";
import { freePort, redisSettings, startServer, useRedis, type RunningServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";
import { startProxy, type Proxy } from "@/tests/helpers/proxy";
import { queryDb } from "@/tests/helpers/db-query";

const ITEMS = 1200;
const servers: RunningServer[] = [];
let proxy: Proxy | undefined;
let browser: Browser | undefined;
let databaseUrl: string | undefined;

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const s of servers) await s.stop("SIGKILL").catch(() => undefined);
  await proxy?.close();
  if (databaseUrl) await dropPgDatabase(databaseUrl);
});

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface BrowserEvent {
  id: string;
  name: string;
  status: string;
  processed: number;
}

describe.skipIf(!(usePostgres() && useRedis()))("two web instances and two workers (PostgreSQL + Redis)", () => {
  it("streams through B a sync started through A, survives a worker SIGKILL and a web SIGKILL, and loses nothing", { timeout: 240_000 }, async () => {
    databaseUrl = await createPgDatabase();
    const [portA, portB] = [await freePort(), await freePort()];
    const backendA = `http://127.0.0.1:${portA}`;
    const backendB = `http://127.0.0.1:${portB}`;
    proxy = await startProxy([backendA, backendB]);
    // Everyone reaches the app (and its sandboxes) through the balancer, as behind a real one.
    const env = { ...redisSettings(databaseUrl), APP_URL: proxy.url };
    const a = await startServer({ databaseUrl, port: portA, env });
    servers.push(a);
    const b = await startServer({ databaseUrl, port: portB, env });
    servers.push(b);
    const workers = [a.worker!, b.worker!];
    expect(workers.every(Boolean)).toBe(true);

    const user = await TestUser.signUp(proxy.url);
    // 24 repositories of 50 items, 400 ms a request: long enough to kill things mid-run.
    await user.connectSandbox("github", { items: ITEMS, latency_ms: 400, fault: "none" });

    // The browser: a real EventSource through the balancer, pinned to A for now.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    const context = await browser.newContext();
    await context.addCookies(user.cookies().map((c) => ({ ...c, url: proxy!.url })));
    const page = await context.newPage();
    proxy.pin(backendA);
    await page.goto(`${proxy.url}/sign-in`);

    const started = await user.startSync("github"); // through the balancer, pinned: instance A
    expect(started.status).toBe(202);
    const syncId = started.syncId;

    // Instance B streams it from the first event, live.
    const throughB = user.at(backendB).stream(syncId, { lastEventId: "0", timeoutMs: 200_000 });

    await page.evaluate((id) => {
      const w = window as unknown as { received: BrowserEvent[]; opens: number; es: EventSource };
      w.received = [];
      w.opens = 0;
      const es = new EventSource(`/api/sync-progress/${id}/stream`);
      w.es = es;
      es.onopen = () => (w.opens += 1);
      for (const name of ["started", "progress", "complete", "error", "cancelled"]) {
        es.addEventListener(name, (e) => {
          const m = e as MessageEvent<string>;
          if (typeof m.data !== "string") return; // a connection error, not the "error" event
          const d = JSON.parse(m.data) as { status: string; processed_items: number };
          w.received.push({ id: m.lastEventId, name, status: d.status, processed: d.processed_items });
          if (["complete", "error", "cancelled"].includes(name)) es.close();
        });
      }
    }, syncId);

    // Mid-run: kill (SIGKILL) the worker executing the run.
    const owner = await until("the run to be executing", async () => {
      const [run] = await queryDb<{ worker_id: string | null; processed_items: number }>(
        databaseUrl!,
        `SELECT "workerId" AS worker_id, "processedItems" AS processed_items FROM sync_run WHERE id = ?`,
        syncId,
      );
      return run?.worker_id && run.processed_items >= 150 ? run.worker_id : null;
    });
    const victim = workers.find((w) => w.output().includes(`[worker] ${owner}:`));
    expect(victim, `the worker ${owner}`).toBeDefined();
    const before = await user.progress(syncId);
    expect(before.processed_items).toBeLessThan(ITEMS);
    await victim!.stop("SIGKILL");

    // The other worker takes it over (after the stale window) and carries on.
    const survivorOwner = await until("another worker to take the run over", async () => {
      const [run] = await queryDb<{ worker_id: string | null }>(databaseUrl!, `SELECT "workerId" AS worker_id FROM sync_run WHERE id = ?`, syncId);
      return run?.worker_id && run.worker_id !== owner ? run.worker_id : null;
    });
    expect(survivorOwner).not.toBe(owner);

    // Then web instance A dies under the browser's stream; new connections go to B.
    await until("the browser to have events", () => page.evaluate(() => (window as unknown as { received: unknown[] }).received.length > 0));
    proxy.pin(backendB);
    await a.stopWeb!("SIGKILL");

    const end = await user.at(backendB).waitForTerminal(syncId, 180_000);
    expect(end).toMatchObject({ status: "complete", total_items: ITEMS, processed_items: ITEMS, failed_items: 0 });

    // Every document exactly once.
    const [docs] = await queryDb<{ n: string; distinct_ids: string }>(
      databaseUrl,
      `SELECT COUNT(*) AS n, COUNT(DISTINCT "externalId") AS distinct_ids FROM document`,
    );
    expect(Number(docs!.n)).toBe(ITEMS);
    expect(Number(docs!.distinct_ids)).toBe(ITEMS);

    // B's stream: every event from 1, in order, once, ending with the terminal one.
    const streamed = await throughB;
    expect(streamed.status).toBe(200);
    expect(streamed.closedByServer).toBe(true);
    const ids = streamed.events.map((e) => Number(e.id));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(streamed.events.at(-1)!.event).toBe("complete");
    expect(streamed.events.some((e) => /Resuming after an interruption/.test(e.data.stage))).toBe(true);

    // The browser: reconnected (to B) and saw an unbroken run of events to the end.
    const seen = await until("the browser's terminal event", async () => {
      const got = await page.evaluate(() => (window as unknown as { received: BrowserEvent[]; opens: number }).received);
      return got.at(-1)?.name === "complete" ? got : null;
    }, 30_000);
    const opens = await page.evaluate(() => (window as unknown as { opens: number }).opens);
    expect(opens).toBeGreaterThanOrEqual(2);
    const browserIds = seen.map((e) => Number(e.id));
    const first = browserIds[0]!;
    expect(browserIds).toEqual(Array.from({ length: browserIds.length }, (_, i) => first + i));
    expect(browserIds.at(-1)).toBe(ids.at(-1));
    expect(proxy.counts()[backendB]).toBeGreaterThan(0);
  });
});

describe.skipIf(!(usePostgres() && useRedis()))("a worker stopped with SIGTERM (PostgreSQL + Redis)", () => {
  it("hands its run back to the queue and exits within seconds; another worker continues it at once", { timeout: 180_000 }, async () => {
    const url = await createPgDatabase();
    const env = { ...redisSettings(url), SYNC_STALE_AFTER_S: "30" };
    const one = await startServer({ databaseUrl: url, env });
    servers.push(one);
    // A second worker for the same deployment (same database and Redis prefix).
    const two = await startServer({ databaseUrl: url, env });
    servers.push(two);
    try {
      const user = await TestUser.signUp(one.baseUrl);
      await user.connectSandbox("github", { items: 600, latency_ms: 300, fault: "none" });
      const { syncId } = await user.startSync("github");
      const owner = await until("the run to be executing", async () => {
        const [run] = await queryDb<{ worker_id: string | null; processed_items: number }>(
          url,
          `SELECT "workerId" AS worker_id, "processedItems" AS processed_items FROM sync_run WHERE id = ?`,
          syncId,
        );
        return run?.worker_id && run.processed_items >= 100 ? run.worker_id : null;
      });
      const workers = [one.worker!, two.worker!];
      const leaving = workers.find((w) => w.output().includes(`[worker] ${owner}:`))!;
      expect(leaving).toBeDefined();
      const t0 = Date.now();
      await leaving.stop("SIGTERM");
      const exitMs = Date.now() - t0;
      // "Within seconds": well inside the 15 s after which the helper would SIGKILL it.
      expect(exitMs).toBeLessThan(10_000);
      expect(leaving.output()).toMatch(/SIGTERM: handing 1 run\(s\) back to the queue/);

      // Not after the 30 s stale window: the hand-back put the job straight back in the queue.
      const next = await until(
        "the other worker to pick the run up",
        async () => {
          const [run] = await queryDb<{ worker_id: string | null }>(url, `SELECT "workerId" AS worker_id FROM sync_run WHERE id = ?`, syncId);
          return run?.worker_id && run.worker_id !== owner ? run.worker_id : null;
        },
        20_000,
      );
      expect(next).not.toBe(owner);
      const end = await user.waitForTerminal(syncId, 90_000);
      expect(end).toMatchObject({ status: "complete", processed_items: 600, total_items: 600 });
      const [docs] = await queryDb<{ n: string; distinct_ids: string }>(url, `SELECT COUNT(*) AS n, COUNT(DISTINCT "externalId") AS distinct_ids FROM document`);
      expect([Number(docs!.n), Number(docs!.distinct_ids)]).toEqual([600, 600]);
      const log = await user.stream(syncId, { lastEventId: "0" });
      expect(log.events.map((e) => Number(e.id))).toEqual(Array.from({ length: log.events.length }, (_, i) => i + 1));
      expect(log.events.some((e) => /Resuming after an interruption/.test(e.data.stage))).toBe(true);
    } finally {
      await one.stop("SIGKILL");
      await two.stop("SIGKILL");
      await dropPgDatabase(url);
    }
  });
});
