// Starts the real built app (`node scripts/start.mjs --no-build`) on a free loopback port.
import { execSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
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
  // Many users sign up from 127.0.0.1 in the suites; the per-account limit stays at its default.
  AUTH_RATE_LIMIT_PER_MIN: "1000",
  // Plain `next start` (the serverless platform) runs with NODE_ENV=production, where the
  // sandboxes are off unless this says otherwise; every suite syncs against them.
  SANDBOX_ENABLED: "true",
  // Fan-out cases (fanout.test.ts, the chaos crowd of stream clients) open hundreds of streams as
  // one user; tests/integration/hardening.test.ts runs its own server with a low cap.
  STREAMS_PER_USER: "1000",
};

export const TEST_APP_SECRET = "integration-test-secret-0123456789abcdef";

/**
 * TEST_REDIS=1: the scale-out shape. The web server queues runs in Redis (BullMQ) and a
 * separate `npm run worker` process executes them; progress crosses over Redis pub/sub.
 */
export function useRedis(): boolean {
  return process.env.TEST_REDIS === "1";
}

export function testRedisUrl(): string {
  return process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379";
}

/** Redis settings for an app on `databaseUrl`: one key namespace per database. */
export function redisSettings(databaseUrl: string): Record<string, string> {
  return {
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: `it-${createHash("sha256").update(databaseUrl).digest("hex").slice(0, 12)}`,
    SYNC_RUN_IN_WEB: "false",
    // Killed workers' runs come back within seconds, not the production 30.
    SYNC_STALE_AFTER_S: "6",
  };
}

export interface RunningWorker {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `npm run worker` (tsx scripts/worker.ts) with the given settings; resolves once it takes runs. */
export async function startWorker(env: Record<string, string>, logFile?: string): Promise<RunningWorker> {
  const child = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "scripts/worker.ts"], {
    env: { ...process.env, ...TEST_SETTINGS, APP_SECRET: TEST_APP_SECRET, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const record = (d: Buffer) => {
    output += d.toString();
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  const deadline = Date.now() + 60_000;
  while (!output.includes("taking sync runs")) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (signal === "SIGKILL") killTree(child.pid!);
      else child.kill(signal);
      const timer = setTimeout(() => killTree(child.pid!), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface RunningServer {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  /** TEST_REDIS=1: the worker started with this server (stopped with it). */
  worker?: RunningWorker;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the web server only, leaving its worker running. */
  stopWeb?(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServer(opts: {
  databaseUrl: string;
  port?: number;
  env?: Record<string, string>;
  /** Also append everything the server prints to this file (tests grep it for secrets). */
  logFile?: string;
}): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const settings: Record<string, string> = {
    ...TEST_SETTINGS,
    ...(useRedis() ? redisSettings(opts.databaseUrl) : {}),
    PORT: String(port),
    DATABASE_URL: opts.databaseUrl,
    APP_SECRET: TEST_APP_SECRET,
    APP_URL: baseUrl,
    ...opts.env,
  };
  const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    env: { ...process.env, ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const record = (d: Buffer) => {
    output += d.toString();
    if (opts.logFile) appendFileSync(opts.logFile, d);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/integrations`);
      if (res.status === 401) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The worker comes and goes with its server: a SIGKILL of "the server" kills the machine.
  const worker = settings.REDIS_URL && settings.SYNC_RUN_IN_WEB === "false" ? await startWorker(settings, opts.logFile) : undefined;
  const stopWeb = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // start.mjs forwards SIGTERM/SIGINT to next; SIGKILL must reach the server itself.
    if (signal === "SIGKILL") killTree(child.pid!);
    else child.kill(signal);
    const timer = setTimeout(() => killTree(child.pid!), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    baseUrl,
    port,
    child,
    worker,
    output: () => output + (worker ? worker.output() : ""),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      await worker?.stop(signal);
      await stopWeb(signal);
    },
    stopWeb,
  };
}

function descendants(pid: number): number[] {
  const kids = execSync(`pgrep -P ${pid} || true`).toString().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [...descendants(k), k]);
}

/** SIGKILLs the server and everything it started (start.mjs -> next -> …), deepest first. */
function killTree(pid: number): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
