// App benchmarks against the real built app (scenarios 3 and 5): starts `node scripts/start.mjs
// --no-build` on a free loopback port with a temp SQLite database, drives it like a browser
// (sign up, connect the Gmail sandbox, PUT a scenario, POST sync, read the SSE stream).
//   node bench/app.mjs --out <file> [--quick] [--latency 80]
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
const levels = (arg("subscribers", "1,100,1000")).split(",").map(Number);
const fanoutItems = Number(arg("fanout-items", quick ? "3000" : "5000"));
const ttfpRuns = Number(arg("ttfp-runs", quick ? "3" : "5"));

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

async function startApp(dir) {
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
      APP_SECRET: "bench-secret-0123456789abcdef0123456789abcdef",
      APP_URL: baseUrl,
      AUTH_RATE_LIMIT_PER_MIN: "1000",
      SYNC_START_LIMIT_PER_MIN: "1000",
      SYNC_REQUEST_TIMEOUT_S: "30",
      SYNC_STALL_TIMEOUT_S: "120",
      SYNC_TIMEOUT_S: "900",
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
    async stop() {
      const all = [...descendants(child.pid), child.pid];
      child.kill("SIGTERM");
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(10_000)]);
      for (const p of all) {
        try {
          process.kill(p, "SIGKILL");
        } catch {}
      }
    },
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

function eventTimes(dbFile, runId) {
  const Database = require("better-sqlite3");
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const rows = db.prepare("SELECT seq, name, createdAt FROM sync_event WHERE runId = ? ORDER BY seq").all(runId);
  db.close();
  const map = new Map();
  for (const r of rows) {
    const v = r.createdAt;
    const ms = typeof v === "number" ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v).replace(" ", "T") + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? "" : "Z"));
    map.set(r.seq, { name: r.name, t: ms });
  }
  return map;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "sb-bench-"));
  const dbFile = path.join(dir, "bench.db");
  const started = Date.now();
  const app = await startApp(dir);
  const result = { latencyMs: latency, webPid: app.webPid, fanout: [], firstProgress: null };
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
      const s0 = procStat(app.webPid);
      const t0 = Date.now();
      let peakRss = s0?.rss ?? 0;
      const sampler = setInterval(() => {
        const s = procStat(app.webPid);
        if (s) peakRss = Math.max(peakRss, s.rss);
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
      const wall = (Date.now() - t0) / 1000;
      const times = eventTimes(dbFile, body.sync_id);
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
      lat.sort((a, b) => a - b);
      const terminal = [...times.values()].at(-1)?.name;
      result.fanout.push({
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
        webCpuPercentOfOneCore: s0 && s1 ? Math.round(((s1.cpuTicks - s0.cpuTicks) / CLK_TCK / wall) * 1000) / 10 : null,
        webPeakRssBytes: peakRss,
        clientLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
        webRssAfterBytes: s1?.rss ?? null,
      });
      console.log(`[bench:app] ${n} subscribers: ${JSON.stringify(result.fanout.at(-1))}`);
    }
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`[bench:app] done in ${result.seconds} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
