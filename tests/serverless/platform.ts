// A serverless (Vercel-style) platform on loopback, for `npm run test:serverless` and the
// benchmarks: the built app runs as N instances of plain `next start` (no scripts/start.mjs,
// no custom server, no process of ours alive between requests), behind a balancer that
// plays the platform:
//
//  - every request goes through the balancer (APP_URL points at it, so the app's calls to its
//    own sandboxes and its own continuation route do too), round robin over the instances
//    not being force-frozen by a test; a frozen instance is thawed (SIGCONT) before a request
//    is forwarded to it;
//  - an instance with no request in flight and no pending waitUntil work (reported by
//    runtime-shim.mjs over IPC) is frozen with SIGSTOP after a short grace: between
//    invocations nothing of the app runs;
//  - maxDuration: a response still open after it is cut (socket destroyed), and waitUntil
//    work keeps an instance awake only until maxDuration after the request that registered
//    it began (then it is frozen with the work pending, as the platform would end it);
//  - the platform's cron: GET /api/cron/sync-sweep with `Authorization: Bearer $CRON_SECRET`
//    every `cronEveryMs`, through the balancer;
//  - every instance's frozen / thawed time is recorded for the report.
//
// The database is a fresh PostgreSQL database migrated with the documented step
// (`npm run db:migrate`), dropped by stop().
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createPgDatabase, dropPgDatabase } from "@/tests/helpers/pg";
import { TEST_APP_SECRET, TEST_SETTINGS, freePort } from "@/tests/helpers/server";
import { queryDb } from "@/tests/helpers/db-query";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHIM = path.join(root, "tests/serverless/runtime-shim.mjs");
const NEXT_BIN = path.join(root, "node_modules/next/dist/bin/next");

export interface PlatformOptions {
  /** Function instances (default 2). */
  instances?: number;
  /** Build directory (default: NEXT_DIST_DIR, else `.next`, as `next start` reads it). */
  distDir?: string;
  /** The platform's maxDuration for every invocation (default 20 000 ms: compressed time). */
  maxDurationMs?: number;
  /** How often the platform's cron fires the sweep (default 2000 ms; 0: never). */
  cronEveryMs?: number;
  /** How long an idle instance stays thawed (lets the shim's IPC "pending" arrive; default 150 ms). */
  idleGraceMs?: number;
  /** SYNC_SLICE_S (default "3"). */
  sliceS?: string;
  /** SYNC_STALE_AFTER_S (default "4"). */
  staleAfterS?: string;
  /** Extra settings for every instance (override the defaults). */
  env?: Record<string, string>;
  /** Use this database instead of creating (and later dropping) one; it must be migrated. */
  databaseUrl?: string;
  /** Print every instance's output as it comes (default: kept for output()). */
  echo?: boolean;
  /** Also log every request but the sandboxes' (method, path, instance, status, time) into output(). */
  logRequests?: boolean;
  /**
   * Where `/sandbox/*` goes: a provider server of its own (as Google's servers are not our
   * functions: one quota for the account, never frozen), passed through, not an invocation.
   * Default: the instances serve their own sandboxes, like any other route.
   */
  providerUrl?: string;
}

export interface InstanceStats {
  /** Times the platform froze it (idle or past maxDuration). */
  freezes: number;
  /** Of those, freezes while waitUntil work was still pending (past its maxDuration). */
  overdueFreezes: number;
  thaws: number;
  /** Total time spent frozen (any reason), ms. */
  frozenMs: number;
  /** Times a test froze it on purpose, and for how long in all. */
  forcedFreezes: number;
  forcedMs: number;
  /** Requests forwarded to it. */
  requests: number;
  /** Responses cut at maxDuration. */
  cutAtMaxDuration: number;
}

export interface Instance {
  index: number;
  name: string;
  /** The process that serves HTTP (plain `next start` serves in the process it was started as). */
  pid: number;
  /** The pid the runtime shim reported from inside the server (undefined until it did). */
  shimPid?: number;
  port: number;
  url: string;
  child: ChildProcess;
  frozen: boolean;
  /** Requests open on it now. */
  inflight: number;
  /** waitUntil promises pending in it, as last reported by its shim. */
  pending: number;
  stats: InstanceStats;
  output(): string;
}

export interface CronStats {
  fired: number;
  ok: number;
  failed: number;
  /** Runs the sweeps reported as restarted. */
  restarted: number;
  lastError?: string;
}

export interface Platform {
  /** The balancer: the platform's public URL (also the instances' APP_URL). */
  url: string;
  databaseUrl: string;
  cronSecret: string;
  maxDurationMs: number;
  instances: Instance[];
  cron: CronStats;
  /**
   * Force-freezes an instance (SIGSTOP) for `ms`, excluded from routing meanwhile; resolves after
   * SIGCONT with what it was doing when frozen (requests open, waitUntil work pending).
   */
  freeze(instance: Instance, ms: number): Promise<{ openRequests: number; pendingWork: number }>;
  instanceByPid(pid: number): Instance | undefined;
  /** The instance that executes (or last executed) a run, from sync_run.workerId (`<pid>-<8 hex>`). */
  instanceOfRun(runId: string): Promise<Instance | undefined>;
  /** Every instance's log, each line prefixed with its name, then the platform's own log. */
  output(): string;
  /** Freeze statistics per instance (time frozen counted up to now). */
  stats(): Record<string, InstanceStats>;
  /** Lines for a report: freezes, frozen time, requests per instance, cron. */
  reportLines(): string[];
  /** SIGCONT then SIGTERM (SIGKILL after 5 s) every instance, close the balancer, drop the database. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The pid in a sync_run.workerId (`<pid>-<8 hex>`), or undefined. */
export function pidOfWorkerId(workerId: string | null | undefined): number | undefined {
  const m = /(\d+)-[0-9a-f]{8}$/.exec(workerId ?? "");
  return m ? Number(m[1]) : undefined;
}

/** `npm run db:migrate` (node scripts/prisma.mjs migrate deploy) on the given database. */
export async function migrate(databaseUrl: string): Promise<void> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  try {
    await promisify(execFile)(npm, ["run", "db:migrate"], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 120_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm run db:migrate failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

interface InstanceState extends Instance {
  ready: boolean;
  stopped: boolean;
  /** Force-frozen by a test until this time (excluded from routing). */
  forcedUntil?: number;
  /** Latest moment pending waitUntil work may still run (epoch ms). */
  until: number;
  idleSince?: number;
  frozenAt?: number;
  exited: Promise<void>;
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const n = opts.instances ?? 2;
  const distDir = opts.distDir ?? (process.env.NEXT_DIST_DIR || ".next");
  if (!existsSync(path.join(root, distDir, "BUILD_ID"))) {
    throw new Error(`no build in ${distDir}/: run \`NEXT_DIST_DIR=${distDir} npm run build\` first`);
  }
  const maxDurationMs = opts.maxDurationMs ?? 20_000;
  const cronEveryMs = opts.cronEveryMs ?? 2000;
  const graceMs = opts.idleGraceMs ?? 150;
  const cronSecret = randomBytes(24).toString("hex");
  const ownDatabase = !opts.databaseUrl;
  const databaseUrl = opts.databaseUrl ?? (await createPgDatabase());

  const instances: InstanceState[] = [];
  const sockets = new Set<Socket>();
  let balancer: http.Server | undefined;
  let freezer: NodeJS.Timeout | undefined;
  let cronTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const cron: CronStats = { fired: 0, ok: 0, failed: 0, restarted: 0 };
  const logRequests = opts.logRequests ?? process.env.PLATFORM_LOG_REQUESTS === "1";
  /** The platform's own log lines (freezes, thaws, cuts, requests when asked). */
  let platformLog = "";
  const plog = (line: string) => {
    const stamped = `[platform ${new Date().toISOString().slice(11, 23)}] ${line}\n`;
    platformLog += stamped;
    if (opts.echo) process.stdout.write(stamped);
  };

  // ------------------------------------------------------------ freezing

  const signal = (inst: InstanceState, sig: NodeJS.Signals) => {
    try {
      process.kill(inst.pid, sig);
    } catch {
      // exited
    }
  };
  const thaw = (inst: InstanceState) => {
    if (!inst.frozen) return;
    signal(inst, "SIGCONT");
    inst.frozen = false;
    inst.stats.thaws += 1;
    inst.stats.frozenMs += Date.now() - (inst.frozenAt ?? Date.now());
    inst.frozenAt = undefined;
    inst.idleSince = undefined;
  };
  const stop = (inst: InstanceState) => {
    if (inst.frozen || inst.stopped) return;
    signal(inst, "SIGSTOP");
    inst.frozen = true;
    inst.frozenAt = Date.now();
  };
  const busy = (inst: InstanceState, now: number) => inst.inflight > 0 || (inst.pending > 0 && now < inst.until);

  const tick = () => {
    const now = Date.now();
    for (const inst of instances) {
      if (!inst.ready || inst.stopped || inst.frozen || inst.forcedUntil !== undefined) continue;
      if (busy(inst, now)) {
        inst.idleSince = undefined;
        continue;
      }
      inst.idleSince ??= now;
      if (now - inst.idleSince < graceMs) continue;
      stop(inst);
      inst.stats.freezes += 1;
      if (logRequests) plog(`${inst.name}: frozen (no request open, ${inst.pending} waitUntil task(s))`);
      if (inst.pending > 0) {
        inst.stats.overdueFreezes += 1;
        plog(`${inst.name}: frozen with ${inst.pending} waitUntil task(s) past maxDuration`);
      }
    }
  };

  // ------------------------------------------------------------ the balancer

  let rr = 0;
  const pick = async (): Promise<InstanceState> => {
    for (;;) {
      const live = instances.filter((i) => i.ready && !i.stopped && i.forcedUntil === undefined);
      if (live.length) return live[rr++ % live.length]!;
      if (stopping) throw new Error("platform stopping");
      await sleep(20);
    }
  };

  const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]);

  /** A plain pass-through to the provider server (no freezing, no maxDuration). */
  const toProvider = (req: http.IncomingMessage, res: http.ServerResponse, base: URL) => {
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: base.host };
    for (const h of HOP) delete headers[h];
    const upstream = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers });
    upstream.on("response", (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      up.pipe(res);
    });
    upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
  const provider = opts.providerUrl ? new URL(opts.providerUrl) : undefined;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (provider && req.url?.startsWith("/sandbox/")) return toProvider(req, res, provider);
    let inst: InstanceState;
    try {
      inst = await pick();
    } catch {
      res.writeHead(503).end();
      return;
    }
    inst.inflight += 1;
    inst.stats.requests += 1;
    thaw(inst);
    let finished = false;
    const t0 = Date.now();
    const finish = () => {
      if (finished) return;
      finished = true;
      if (logRequests && !req.url?.startsWith("/sandbox/")) plog(`${inst.name} ${req.method} ${req.url} ${res.statusCode}${res.writableFinished ? "" : " (not finished)"} ${Date.now() - t0} ms`);
      clearTimeout(cut);
      inst.inflight -= 1;
      inst.idleSince = undefined;
    };
    // maxDuration: the invocation is ended, whatever it was doing.
    const cut = setTimeout(() => {
      inst.stats.cutAtMaxDuration += 1;
      plog(`${inst.name}: ${req.method} ${req.url} cut at maxDuration`);
      upstream.destroy();
      res.destroy();
      finish();
    }, maxDurationMs);
    const headers = { ...req.headers };
    for (const h of HOP) delete headers[h];
    // A fresh connection per request: a kept-alive socket to an instance that was frozen
    // may be closed by its keep-alive timer the moment it thaws, under our next request.
    const upstream = http.request({ host: "127.0.0.1", port: inst.port, method: req.method, path: req.url, headers, agent: false });
    upstream.on("response", (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      res.flushHeaders();
      up.on("data", (chunk: Buffer) => res.write(chunk));
      up.on("end", () => {
        res.end();
        finish();
      });
      up.on("error", () => {
        res.destroy();
        finish();
      });
      up.on("aborted", () => {
        res.destroy();
        finish();
      });
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ success: false, error: `platform: instance ${inst.name} failed: ${error.message}` }));
      } else res.destroy();
      finish();
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
      finish();
    });
    req.pipe(upstream);
  };

  const balancerPort = await freePort();
  const url = `http://127.0.0.1:${balancerPort}`;
  balancer = http.createServer((req, res) => void handle(req, res));
  balancer.keepAliveTimeout = 5000;
  balancer.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => balancer!.listen(balancerPort, "127.0.0.1", resolve));

  // ------------------------------------------------------------ the instances

  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  // Nothing of another deployment shape leaks in from the caller's environment.
  for (const k of ["REDIS_URL", "SYNC_RUN_IN_WEB", "PORT", "NODE_OPTIONS", "VERCEL", "TEST_REDIS"]) delete baseEnv[k];
  const settings: Record<string, string> = {
    ...TEST_SETTINGS,
    // Raised from the integration tests' 1 s / 4 s: here the sandboxes are served by the same
    // two busy instances through the balancer, on 2 shared cores, and an instance is thawed
    // for each request; 1 s failed runs that were merely queued. A run of the freeze case
    // spans minutes of (compressed) platform time.
    SYNC_CONNECT_TIMEOUT_S: "5",
    SYNC_REQUEST_TIMEOUT_S: "5",
    SYNC_STALL_TIMEOUT_S: "12",
    SYNC_TIMEOUT_S: "600",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_DIST_DIR: distDir,
    DATABASE_URL: databaseUrl,
    APP_SECRET: TEST_APP_SECRET,
    APP_URL: url,
    CRON_SECRET: cronSecret,
    SYNC_EXECUTION: "serverless",
    SYNC_SLICE_S: opts.sliceS ?? "3",
    SYNC_STALE_AFTER_S: opts.staleAfterS ?? "4",
    SANDBOX_ENABLED: "true",
    PLATFORM_MAX_DURATION_MS: String(maxDurationMs),
    ...opts.env,
    NODE_OPTIONS: `--import ${SHIM}`,
  };

  const startInstance = async (index: number): Promise<InstanceState> => {
    const port = await freePort();
    const name = `fn${index + 1}`;
    const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: root,
      env: { ...baseEnv, ...settings },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let output = "";
    let partial = "";
    const record = (d: Buffer) => {
      const text = partial + d.toString();
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const stamped = `[${name} ${new Date().toISOString().slice(11, 23)}] ${line}\n`;
        output += stamped;
        if (opts.echo) process.stdout.write(stamped);
      }
    };
    child.stdout?.on("data", record);
    child.stderr?.on("data", record);
    const inst: InstanceState = {
      index,
      name,
      pid: child.pid!,
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      frozen: false,
      inflight: 0,
      pending: 0,
      until: 0,
      ready: false,
      stopped: false,
      stats: { freezes: 0, overdueFreezes: 0, thaws: 0, frozenMs: 0, forcedFreezes: 0, forcedMs: 0, requests: 0, cutAtMaxDuration: 0 },
      output: () => output + (partial ? `[${name}] ${partial}\n` : ""),
      exited: new Promise<void>((resolve) => child.once("exit", () => resolve())),
    };
    child.on("message", (m: { type?: string; pending?: number; until?: number; pid?: number }) => {
      if (m?.type === "pending") {
        inst.pending = m.pending ?? 0;
        inst.until = m.until ?? 0;
        if (inst.pending > 0) inst.idleSince = undefined;
      } else if (m?.type === "shim" && m.pid !== undefined) {
        inst.shimPid = m.pid;
        // Were the server a process below the one spawned, SIGSTOP would have to reach it.
        if (m.pid !== inst.pid) inst.pid = m.pid;
      }
    });
    child.once("exit", (code, sig) => {
      inst.stopped = true;
      if (!stopping) output += `[${name}] exited (${code ?? sig})\n`;
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (inst.stopped) throw new Error(`instance ${name} exited early:\n${inst.output()}`);
      try {
        const res = await fetch(`${inst.url}/api/integrations`, { signal: AbortSignal.timeout(5000) });
        if (res.status === 401) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`instance ${name} did not start within 90 s:\n${inst.output()}`);
      await sleep(200);
    }
    inst.ready = true;
    return inst;
  };

  const stopAll = async () => {
    stopping = true;
    if (freezer) clearInterval(freezer);
    if (cronTimer) clearInterval(cronTimer);
    await Promise.all(
      instances.map(async (inst) => {
        if (inst.frozen) thaw(inst);
        else signal(inst, "SIGCONT");
        if (inst.child.exitCode !== null || inst.child.signalCode !== null) return;
        inst.child.kill("SIGTERM");
        const timer = setTimeout(() => inst.child.kill("SIGKILL"), 5000);
        await inst.exited;
        clearTimeout(timer);
      }),
    );
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (balancer ? balancer.close(() => resolve()) : resolve()));
    if (ownDatabase) await dropPgDatabase(databaseUrl).catch(() => undefined);
  };

  try {
    if (ownDatabase) await migrate(databaseUrl);
    // One at a time: two cold starts at once on 2 cores take longer than one after the other.
    for (let i = 0; i < n; i++) instances.push(await startInstance(i));
  } catch (error) {
    await stopAll();
    throw error;
  }

  freezer = setInterval(tick, 25);
  if (cronEveryMs > 0) {
    // On schedule, whatever earlier invocations are doing (one may sit on a frozen instance
    // until maxDuration cuts it), as a platform's cron does.
    let open = 0;
    cronTimer = setInterval(() => {
      if (stopping || open >= 20) return;
      open += 1;
      cron.fired += 1;
      fetch(`${url}/api/cron/sync-sweep`, { headers: { authorization: `Bearer ${cronSecret}` }, signal: AbortSignal.timeout(maxDurationMs + 1000) })
        .then(async (res) => {
          const body = (await res.json().catch(() => ({}))) as { restarted?: number; error?: string };
          if (res.status === 200) {
            cron.ok += 1;
            cron.restarted += body.restarted ?? 0;
          } else {
            cron.failed += 1;
            cron.lastError = `${res.status} ${body.error ?? ""}`;
          }
        })
        .catch((error: Error) => {
          cron.failed += 1;
          cron.lastError = error.message;
        })
        .finally(() => {
          open -= 1;
        });
    }, cronEveryMs);
  }

  const stats = (): Record<string, InstanceStats> => {
    const now = Date.now();
    return Object.fromEntries(
      instances.map((i) => [i.name, { ...i.stats, frozenMs: i.stats.frozenMs + (i.frozen && i.frozenAt ? now - i.frozenAt : 0) }]),
    );
  };

  const platform: Platform = {
    url,
    databaseUrl,
    cronSecret,
    maxDurationMs,
    instances,
    cron,
    async freeze(instance, ms) {
      const inst = instance as InstanceState;
      const from = Date.now();
      inst.forcedUntil = from + ms;
      inst.stats.forcedFreezes += 1;
      const doing = { openRequests: inst.inflight, pendingWork: inst.pending };
      plog(`${inst.name}: force-frozen for ${ms} ms (${inst.inflight} request(s) open, ${inst.pending} waitUntil task(s) pending)`);
      if (!inst.frozen) {
        stop(inst);
        inst.stats.freezes += 1;
      }
      await sleep(ms);
      inst.forcedUntil = undefined;
      inst.stats.forcedMs += Date.now() - from;
      plog(`${inst.name}: thawed after a forced freeze`);
      thaw(inst);
      return doing;
    },
    instanceByPid: (pid) => instances.find((i) => i.pid === pid),
    async instanceOfRun(runId) {
      const [row] = await queryDb<{ workerId: string | null }>(databaseUrl, `SELECT "workerId" FROM sync_run WHERE id = ?`, runId);
      const pid = pidOfWorkerId(row?.workerId);
      return pid === undefined ? undefined : instances.find((i) => i.pid === pid);
    },
    output: () => instances.map((i) => i.output()).join("") + platformLog,
    stats,
    reportLines() {
      const s = stats();
      return [
        ...instances.map((i) => {
          const x = s[i.name]!;
          return `${i.name} (pid ${i.pid}): frozen ${x.freezes}× (${x.overdueFreezes} with work past maxDuration), thawed ${x.thaws}×, ${(x.frozenMs / 1000).toFixed(1)} s frozen in all; forced ${x.forcedFreezes}× (${(x.forcedMs / 1000).toFixed(1)} s); ${x.requests} requests, ${x.cutAtMaxDuration} cut at maxDuration`;
        }),
        `cron: fired ${cron.fired}×, ${cron.ok} ok, ${cron.failed} failed${cron.lastError ? ` (last: ${cron.lastError})` : ""}, ${cron.restarted} runs restarted`,
      ];
    },
    stop: stopAll,
  };
  return platform;
}
