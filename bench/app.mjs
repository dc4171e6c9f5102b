// App benchmarks against the real built app (scenarios 3 and 5), in two shapes (SHAPES below):
// "embedded" (`node scripts/start.mjs --no-build` alone, temp SQLite) and "scale-out" (web
// instance + worker + a provider instance, PostgreSQL + Redis; skipped, with a note, where they
// do not answer). Drives the app like a browser: sign up, connect the Gmail sandbox, PUT a
// scenario, POST sync, read the SSE stream.
//   node bench/app.mjs --out <file> [--quick] [--latency 80] [--shapes embedded,scale-out]
//                      [--subscribers 1,100,1000] [--fanout-items N] [--ttfp-runs N]
// BENCH_DUMP_LATENCY=1 prints each level's slowest events (seq, name, worst delivery).
import { spawn, execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes("--quick");
const latency = Number(arg("latency", "80"));
const out = arg("out", "bench/results/.app.json");
// Quick runs (CI, < 3 min in all) measure the ends: 1 and 1,000 subscribers.
const levels = (arg("subscribers", quick ? "1,1000" : "1,100,1000")).split(",").map(Number);
const fanoutItems = Number(arg("fanout-items", quick ? "3000" : "5000"));
const ttfpRuns = Number(arg("ttfp-runs", quick ? "2" : "5"));
const shapes = arg("shapes", "embedded,scale-out").split(",");

// One user opens every stream of a fan-out level: the per-user cap on open progress streams
// (STREAMS_PER_USER, default 8, a few tabs' worth) is raised above the highest level, and the
// report's notes say so.
const STREAMS_CAP = Math.max(...levels) + 16;

/** Settings every app process of the benchmark shares (web instances and the worker). */
const APP_SETTINGS = {
  APP_SECRET: "bench-secret-0123456789abcdef0123456789abcdef",
  STREAMS_PER_USER: String(STREAMS_CAP),
  AUTH_RATE_LIMIT_PER_MIN: "1000",
  SYNC_START_LIMIT_PER_MIN: "1000",
  SYNC_REQUEST_TIMEOUT_S: "30",
  SYNC_STALL_TIMEOUT_S: "120",
  SYNC_TIMEOUT_S: "900",
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

function descendants(pid) {
  const kids = execSync(`pgrep -P ${pid} || true`).toString().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL to whatever is left of its process tree. */
async function stopTree(child, graceMs) {
  const all = [...descendants(child.pid), child.pid];
  child.kill("SIGTERM");
  await Promise.race([new Promise((r) => child.once("exit", r)), sleep(graceMs)]);
  for (const p of all) {
    try {
      process.kill(p, "SIGKILL");
    } catch {}
  }
}

function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { cpuTicks: Number(f[11]) + Number(f[12]), rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return null;
  }
}
const CLK_TCK = Number(execSync("getconf CLK_TCK").toString().trim()) || 100;

/** Another session's `next build` (it rewrites .next): wait for it rather than start on a half-written build. */
function buildRunning() {
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      const isBuild = cmd[0].startsWith("next-build") || (cmd.some((a) => a.endsWith("next/dist/bin/next") || a.endsWith(".bin/next")) && cmd.includes("build"));
      if (isBuild && readlinkSync(`/proc/${p}/cwd`) === process.cwd()) return true;
    } catch {}
  }
  return false;
}

async function startApp(dir, extraEnv = {}) {
  while (buildRunning()) {
    console.log("[bench:app] a `next build` is running; waiting for it");
    await sleep(5000);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: `file:${path.join(dir, "bench.db")}`,
      ...APP_SETTINGS,
      APP_URL: baseUrl,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/integrations`);
      if (res.status === 401) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await sleep(200);
  }
  const web = descendants(child.pid).at(-1);
  const webPid = descendants(child.pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, "utf8").startsWith("next-server");
    } catch {
      return false;
    }
  }) ?? web;
  return {
    baseUrl,
    webPid,
    output: () => output,
    stop: () => stopTree(child, 10_000),
  };
}

async function signUp(baseUrl) {
  const email = `bench-${Math.random().toString(36).slice(2, 10)}@example.test`;
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify({ email, password: "correct horse battery", name: "Bench" }),
  });
  if (res.status !== 200) throw new Error(`sign-up ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const call = async (p, init = {}) => {
    const headers = { cookie, origin: baseUrl, ...(init.body ? { "content-type": "application/json" } : {}), ...(init.headers ?? {}) };
    return fetch(`${baseUrl}${p}`, { ...init, headers });
  };
  return { call, cookie, baseUrl };
}

// Streams are read with node:http rather than fetch: at 1,000 streams in one client process,
// fetch's web-stream plumbing per chunk would be most of what is measured.
const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

async function expectOk(resP, what) {
  const res = await resP;
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Opens the stream and reads it until the server closes it; records the receive time of every event. */
function subscribe(user, syncId, { onFirstProgress } = {}) {
  const sub = { openedAt: 0, received: [], error: null, opened: null, finished: null };
  let resolveOpen;
  sub.opened = new Promise((r) => (resolveOpen = r));
  sub.finished = new Promise((resolveFinished) => {
    const url = new URL(`/api/sync-progress/${syncId}/stream`, user.baseUrl);
    const req = http.get(url, { agent: streamAgent, headers: { cookie: user.cookie, origin: user.baseUrl, accept: "text/event-stream" } }, (res) => {
      sub.openedAt = Date.now();
      resolveOpen(res.statusCode);
      if (res.statusCode !== 200) {
        res.resume();
        res.on("close", resolveFinished);
        return;
      }
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (chunk) => {
        buf += chunk;
        let k;
        while ((k = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          let id, event, data;
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) id = Number(line.slice(4));
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data = line.slice(6);
          }
          if (event && data !== undefined) {
            JSON.parse(data);
            const t = Date.now();
            sub.received.push({ seq: id, event, t });
            if (event === "progress" && onFirstProgress) {
              onFirstProgress(t);
              onFirstProgress = undefined;
            }
          }
        }
      });
      res.on("error", (e) => (sub.error = String(e)));
      res.on("close", resolveFinished);
    });
    req.setTimeout(900_000, () => req.destroy(new Error("stream timed out")));
    req.on("error", (e) => {
      sub.error = String(e);
      resolveOpen(0);
      resolveFinished();
    });
  });
  return sub;
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Event seq → { name, t (ms since epoch) } from the run's stored event log (SQLite file or PostgreSQL). */
async function eventTimes(db, runId) {
  const map = new Map();
  if (db.kind === "postgres") {
    const pg = require("pg");
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // TIMESTAMP(3) without a zone, written in UTC.
      const { rows } = await c.query(
        `SELECT seq, name, (EXTRACT(EPOCH FROM ("createdAt" AT TIME ZONE 'UTC')) * 1000)::float8 AS t FROM sync_event WHERE "runId" = $1 ORDER BY seq`,
        [runId],
      );
      for (const r of rows) map.set(r.seq, { name: r.name, t: Math.round(r.t) });
    } finally {
      await c.end();
    }
    return map;
  }
  const Database = require("better-sqlite3");
  const sqlite = new Database(db.file, { readonly: true, fileMustExist: true });
  const rows = sqlite.prepare("SELECT seq, name, createdAt FROM sync_event WHERE runId = ? ORDER BY seq").all(runId);
  sqlite.close();
  for (const r of rows) {
    const v = r.createdAt;
    const ms = typeof v === "number" ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v).replace(" ", "T") + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? "" : "Z"));
    map.set(r.seq, { name: r.name, t: ms });
  }
  return map;
}

// ---- the scale-out shape: PostgreSQL + Redis, runs on a worker process

const pgAdminUrl = process.env.BENCH_PG_URL ?? process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379";

async function pgAdmin(fn) {
  const pg = require("pg");
  const c = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Why the scale-out shape cannot run here, or null when PostgreSQL and Redis both answer. */
async function scaleOutUnavailable() {
  try {
    await pgAdmin((c) => c.query("SELECT 1"));
  } catch (e) {
    return `PostgreSQL at ${new URL(pgAdminUrl).host} did not answer (${e.code ?? e.message}); set BENCH_PG_URL`;
  }
  const Redis = require("ioredis");
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    return `Redis at ${new URL(redisUrl).host} did not answer (${e.code ?? e.message}); set BENCH_REDIS_URL`;
  } finally {
    r.disconnect();
  }
  return null;
}

async function clearRedisPrefix(prefix) {
  const Redis = require("ioredis");
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  r.on("error", () => {});
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

/** `npm run worker` (scripts/worker.mjs → scripts/worker.ts); resolves once it takes runs. */
async function startWorker(env) {
  const child = spawn(process.execPath, ["scripts/worker.mjs"], {
    env: { ...process.env, ...APP_SETTINGS, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (!output.includes("taking sync runs")) {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 60 s:\n${output}`);
    await sleep(100);
  }
  const pid = descendants(child.pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("scripts/worker.ts");
    } catch {
      return false;
    }
  }) ?? child.pid;
  return {
    pid,
    output: () => output,
    stop: () => stopTree(child, 15_000),
  };
}

const SHAPES = {
  embedded: "`npm start`'s default: one process is the web instance, runs the sync, and serves the sandbox provider the sync reads from; SQLite",
  "scale-out":
    "the README's deployment shape: the measured web instance only serves the app and the streams; the sync runs on a worker (`npm run worker`, BullMQ over Redis) and its progress reaches the web instance over Redis pub/sub; the sandbox provider is a second web instance; PostgreSQL",
};

/** Starts the processes of one shape; returns { web, db, extra processes, stop }. */
async function startShape(shape, dir) {
  if (shape === "embedded") {
    const web = await startApp(dir);
    return { web, db: { kind: "sqlite", file: path.join(dir, "bench.db") }, others: {}, stop: () => web.stop() };
  }
  const name = `sb_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await pgAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(pgAdminUrl);
  u.pathname = `/${name}`;
  const db = { kind: "postgres", url: u.toString() };
  const prefix = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const common = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, SYNC_RUN_IN_WEB: "false" };
  const started = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop().catch(() => {});
    await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => {});
    await clearRedisPrefix(prefix).catch(() => {});
  };
  try {
    // The provider first: it applies the migrations the others then find done.
    // The provider stands in for Google's servers, not for the app: V8's defaults (speed).
    const provider = await startApp(dir, { ...common, OPTIMIZE_FOR: "speed" });
    started.push(provider);
    const web = await startApp(dir, common);
    started.push(web);
    // The worker reaches the sandboxes at its APP_URL: the provider instance.
    const worker = await startWorker({ ...common, APP_URL: provider.baseUrl });
    started.push(worker);
    return { web, db, others: { worker: worker.pid, provider: provider.webPid }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function measureShape(shape, dir) {
  const procs = await startShape(shape, dir);
  const app = procs.web;
  const result = { shape, description: SHAPES[shape], webPid: app.webPid, fanout: [], firstProgress: null };
  try {
    // A fresh user (and so a fresh Gmail connection) for every run: each sync is a first, full one.
    const freshUser = async () => {
      const user = await signUp(app.baseUrl);
      await expectOk(user.call("/api/integrations/gmail/connect", { method: "POST", body: JSON.stringify({ mode: "sandbox" }) }), "connect");
      return user;
    };

    // Scenario 5: time to first progress.
    const ttfp = [];
    for (let i = 0; i < ttfpRuns; i++) {
      const user = await freshUser();
      await expectOk(user.call("/api/integrations/gmail/sandbox", { method: "PUT", body: JSON.stringify({ items: 200, latency_ms: latency, fault: "none" }) }), "scenario");
      const t0 = Date.now();
      const res = await user.call("/api/integrations/gmail/sync", { method: "POST" });
      const body = await res.json();
      const tPost = Date.now();
      if (res.status !== 200 && res.status !== 202) throw new Error(`sync ${res.status} ${JSON.stringify(body)}`);
      let first = null;
      const sub = subscribe(user, body.sync_id, { onFirstProgress: (t) => (first = t) });
      await sub.opened;
      await sub.finished;
      ttfp.push({ postMs: tPost - t0, firstProgressMs: first === null ? null : first - t0 });
    }
    const sortedT = ttfp.map((x) => x.firstProgressMs).filter((x) => x !== null).sort((a, b) => a - b);
    result.firstProgress = { runs: ttfp, medianMs: pct(sortedT, 50), maxMs: sortedT.at(-1) ?? null, items: 200 };

    // Scenario 3: fan-out.
    for (const n of levels) {
      const user = await freshUser();
      await expectOk(user.call("/api/integrations/gmail/sandbox", { method: "PUT", body: JSON.stringify({ items: fanoutItems, latency_ms: latency, fault: "none" }) }), "scenario");
      // The client's own event-loop delay: all streams are read by this one process, and its lag
      // is part of every measured delivery.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const watched = { web: app.webPid, ...procs.others };
      const s0 = Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, procStat(pid)]));
      const peak = Object.fromEntries(Object.keys(watched).map((k) => [k, s0[k]?.rss ?? 0]));
      const t0 = Date.now();
      const sampler = setInterval(() => {
        for (const [k, pid] of Object.entries(watched)) {
          const s = procStat(pid);
          if (s) peak[k] = Math.max(peak[k], s.rss);
        }
      }, 100);
      const res = await user.call("/api/integrations/gmail/sync", { method: "POST" });
      const body = await res.json();
      if (!body.sync_id) throw new Error(`sync: ${res.status} ${JSON.stringify(body)}`);
      const subs = [];
      for (let i = 0; i < n; i++) subs.push(subscribe(user, body.sync_id));
      const statuses = await Promise.all(subs.map((s) => s.opened));
      const allOpenMs = Date.now() - t0;
      // Every stream ends when the server closes it after the terminal event.
      await Promise.all(subs.map((s) => s.finished));
      clearInterval(sampler);
      loop.disable();
      const s1 = procStat(app.webPid);
      const ends = Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, procStat(pid)]));
      const wall = (Date.now() - t0) / 1000;
      const cpuOf = (k) => (s0[k] && ends[k] ? Math.round(((ends[k].cpuTicks - s0[k].cpuTicks) / CLK_TCK / wall) * 1000) / 10 : null);
      const times = await eventTimes(procs.db, body.sync_id);
      const lat = [];
      let replayed = 0;
      for (const s of subs) {
        for (const e of s.received) {
          const rec = times.get(e.seq);
          if (!rec) continue;
          if (rec.t < s.openedAt) {
            replayed++;
            continue;
          }
          lat.push(e.t - rec.t);
        }
      }
      if (process.env.BENCH_DUMP_LATENCY) {
        const bySeq = new Map();
        for (const s of subs) for (const e of s.received) { const rec = times.get(e.seq); if (rec && rec.t >= s.openedAt) bySeq.set(e.seq, Math.max(bySeq.get(e.seq) ?? 0, e.t - rec.t)); }
        console.log(`[bench:app] worst latency per seq: ${[...bySeq].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([q, v]) => `${q}:${times.get(q).name}:${v}`).join(" ")}`);
      }
      lat.sort((a, b) => a - b);
      const terminal = [...times.values()].at(-1)?.name;
      result.fanout.push({
        shape,
        subscribers: n,
        opened200: statuses.filter((x) => x === 200).length,
        allOpenMs,
        syncItems: fanoutItems,
        syncOutcome: terminal,
        eventsRecorded: times.size,
        deliveriesMeasured: lat.length,
        replayedSkipped: replayed,
        streamErrors: subs.filter((s) => s.error).length,
        firstStreamError: subs.find((s) => s.error)?.error ?? null,
        p50Ms: pct(lat, 50),
        p99Ms: pct(lat, 99),
        maxMs: lat.at(-1) ?? null,
        wallSeconds: Math.round(wall * 10) / 10,
        webCpuPercentOfOneCore: s0.web && s1 ? Math.round(((s1.cpuTicks - s0.web.cpuTicks) / CLK_TCK / wall) * 1000) / 10 : null,
        webPeakRssBytes: peak.web,
        otherPeakRssBytes: Object.fromEntries(Object.entries(peak).filter(([k]) => k !== "web")),
        otherCpuPercentOfOneCore: Object.fromEntries(Object.keys(watched).filter((k) => k !== "web").map((k) => [k, cpuOf(k)])),
        clientLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
        webRssAfterBytes: s1?.rss ?? null,
      });
      console.log(`[bench:app] ${shape}, ${n} subscribers: ${JSON.stringify(result.fanout.at(-1))}`);
    }
  } finally {
    await procs.stop();
  }
  return result;
}

async function main() {
  const started = Date.now();
  const result = {
    latencyMs: latency,
    shapes: [],
    notes: [`fan-out: the per-user cap on open progress streams is raised to STREAMS_PER_USER=${STREAMS_CAP} (default 8) so that one user can open every stream of a level`],
  };
  for (const shape of shapes) {
    if (!SHAPES[shape]) throw new Error(`unknown shape ${shape} (embedded, scale-out)`);
    if (shape === "scale-out") {
      const why = await scaleOutUnavailable();
      if (why) {
        result.notes.push(`scale-out shape not measured: ${why}`);
        console.log(`[bench:app] scale-out shape skipped: ${why}`);
        continue;
      }
    }
    const dir = mkdtempSync(path.join(tmpdir(), "sb-bench-"));
    try {
      result.shapes.push(await measureShape(shape, dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`[bench:app] done in ${result.seconds} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
