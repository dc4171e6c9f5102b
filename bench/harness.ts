// What the sync benchmarks share (bench/sync.bench.test.ts, scenarios 1 and 2, under vitest; and
// bench/memory.ts, scenario 4, a plain Node process like `npm run worker`): one connector sync
// through the engine's provider fetch (runSync), and the Gmail sandbox in a child process of its
// own (spawnGmailSandbox). Nothing here imports vitest or the sandboxes' handlers: bench/memory.ts
// loads only what a worker process would, plus this file.
import { spawn, type ChildProcess } from "node:child_process";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Connector, QuotaSpec, SyncContext } from "@/lib/connectors/types";
import { gmailConnector, GMAIL_QUOTA } from "@/lib/connectors/gmail/connector";
import { slackConnector, SLACK_QUOTA } from "@/lib/connectors/slack/connector";
import { boxConnector, BOX_QUOTA } from "@/lib/connectors/box/connector";
import { githubConnector, GITHUB_QUOTA } from "@/lib/connectors/github/connector";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import { createPacer, type Pacer } from "@/lib/sync/pacer";

export type Provider = "gmail" | "slack" | "box" | "github";

export const CONNECTORS: Record<Provider, { connector: Connector; quota: QuotaSpec }> = {
  gmail: { connector: gmailConnector, quota: GMAIL_QUOTA },
  slack: { connector: slackConnector, quota: SLACK_QUOTA },
  box: { connector: boxConnector, quota: BOX_QUOTA },
  github: { connector: githubConnector, quota: GITHUB_QUOTA },
};

export interface Hit {
  path: string;
  status: number;
  /** The bearer token it carried: runs side by side on one sandbox are told apart by account. */
  token: string;
  /** When the answer left the sandbox (ms since epoch). */
  at: number;
}

export type PacerKind = "paced" | "sequential" | "concurrent-unpaced";

/** The engine's pacer for a quota (lib/sync/pacer.ts), or the baseline's: one at a time, or the cap alone. */
export function makePacer(kind: PacerKind, quota: QuotaSpec): Pacer {
  if (kind === "paced") return createPacer(quota);
  return createPacer({ maxConcurrency: kind === "sequential" ? 1 : quota.maxConcurrency });
}

export interface RunResult {
  items: number;
  docs: number;
  failures: number;
  /** External ids the connector reported gone (deleted, trashed). */
  removed: number;
  seconds: number;
  itemsPerSecond: number;
  requests: number;
  rateLimited: number;
  notModified: number;
  cursor: unknown;
}

export async function runSync(
  p: Provider,
  /** Where the provider answers, and the request log of an in-process sandbox (empty for one in another process). */
  sb: { baseUrl: string; hits: Hit[] },
  token: string,
  items: number,
  kind: PacerKind,
  cursor: unknown = null,
): Promise<RunResult> {
  const { connector, quota } = CONNECTORS[p];
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // as the engine does: every request and pacer waiter listens to the run's signal
  const fetchFn = createProviderFetch({
    provider: p,
    signal: controller.signal,
    requestTimeoutMs: 60_000,
    maxAttempts: 3,
    maxRateLimitWaitMs: 120_000,
    pacer: makePacer(kind, quota),
  });
  const ctx: SyncContext = {
    signal: controller.signal,
    fetch: fetchFn,
    baseUrl: sb.baseUrl,
    credentials: { accessToken: token },
    cursor,
    checkpoint: null,
    progress: { stage() {}, total() {}, phase() {}, capped() {} },
    limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1000 },
  };
  const before = sb.hits.length;
  const t0 = performance.now();
  let docs = 0;
  let failures = 0;
  let removed = 0;
  const gen = connector.sync(ctx);
  let next: unknown = null;
  for (;;) {
    const r = await gen.next();
    if (r.done) {
      next = r.value.cursor;
      break;
    }
    docs += r.value.documents.length;
    failures += r.value.failures.length;
    removed += r.value.removed?.length ?? 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  const hits = sb.hits.slice(before).filter((h) => h.token === token);
  if (process.env.BENCH_TRACE) {
    // Requests answered per 5 s (API calls / all), to see how the quota windows were used.
    const start = Date.now() - seconds * 1000;
    const slots = new Map<number, [number, number]>();
    for (const h of hits) {
      const k = Math.floor((h.at - start) / 5000);
      const v = slots.get(k) ?? [0, 0];
      if (h.path.startsWith("/2.0/") || h.path.startsWith("/api/")) v[0] += 1;
      v[1] += 1;
      slots.set(k, v);
    }
    console.log(`[bench:trace] ${p} ${kind}: ${[...slots].map(([k, v]) => `${k * 5}s:${v[0]}/${v[1]}`).join(" ")}`);
  }
  return {
    items,
    docs,
    failures,
    removed,
    seconds: round(seconds, 2),
    itemsPerSecond: round((docs + failures) / seconds, 1),
    requests: hits.length,
    rateLimited: hits.filter((h) => h.status === 429).length,
    notModified: hits.filter((h) => h.status === 304).length,
    cursor: next,
    ...({ hits } as object),
  } as RunResult;
}

export function round(n: number, d = 1): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

/** A run's figures without its cursor and request log (what goes into the JSON). */
export function strip(r: RunResult): Omit<RunResult, "cursor"> {
  const { cursor: _c, hits: _h, ...rest } = r as RunResult & { hits?: unknown };
  return rest;
}

/** A field of /proc/self/status in bytes (VmRSS, VmHWM, …); 0 where there is none. */
export function readStatus(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** bench/gmail-sandbox.ts in a child process: its base URL and token, what it counted, and a way to end it. */
export interface RemoteSandbox {
  baseUrl: string;
  token: string;
  child: ChildProcess;
  stats(): Promise<{ requests: number; rateLimited: number; notModified: number; vmHwmBytes: number; vmRssBytes: number }>;
  kill(): Promise<void>;
}

/** Every sandbox child still running, for a last SIGKILL however the parent ends. */
export const sandboxChildren = new Set<ChildProcess>();

export async function spawnGmailSandbox(items: number): Promise<RemoteSandbox> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  // Plain node with tsx's loader (tsconfig paths for "@/"): one process, no tsx wrapper in between.
  const child = spawn(process.execPath, ["--import", "tsx", "bench/gmail-sandbox.ts", String(items)], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  sandboxChildren.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    sandboxChildren.delete(child);
  };
  try {
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("the Gmail sandbox process did not start within 60 s")), 60_000);
      lines.once("line", (l) => {
        clearTimeout(t);
        resolve(l);
      });
      child.once("exit", (code, sig) => {
        clearTimeout(t);
        reject(new Error(`the Gmail sandbox process ended before it started (${sig ?? `exit ${code}`})`));
      });
    });
    lines.on("line", (l) => console.log(`[gmail-sandbox] ${l}`));
    const info = JSON.parse(first) as { baseUrl: string; statsUrl: string; token: string };
    return {
      baseUrl: info.baseUrl,
      token: info.token,
      child,
      stats: async () => (await (await fetch(info.statsUrl)).json()) as Awaited<ReturnType<RemoteSandbox["stats"]>>,
      kill,
    };
  } catch (err) {
    await kill();
    throw err;
  }
}
