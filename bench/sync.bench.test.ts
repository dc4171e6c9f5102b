// Sync benchmarks, run in-process against the sandboxes on 127.0.0.1 (bench/run.mjs drives it).
//   BENCH_MODE=sync    scenario 1 (throughput vs quota bound, with a sequential unpaced baseline)
//                      and scenario 2 (incremental re-sync: nothing changed / 1% new items)
//   BENCH_MODE=memory  scenario 4 (one Gmail sync of BENCH_ITEMS messages; peak RSS of this process,
//                      with the Gmail sandbox in a child process of its own: bench/gmail-sandbox.ts;
//                      BENCH_TRACE=1 prints rss/heap every 2 s, BENCH_TRACE=gc also V8's GC lines)
// Results are written as JSON to BENCH_OUT.
import { spawn, type ChildProcess } from "node:child_process";
import { setMaxListeners } from "node:events";
import { writeFileSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Connector, QuotaSpec, SyncContext } from "@/lib/connectors/types";
import { gmailConnector, GMAIL_QUOTA, gmailQuotaCost } from "@/lib/connectors/gmail/connector";
import { slackConnector, SLACK_QUOTA } from "@/lib/connectors/slack/connector";
import { boxConnector, BOX_QUOTA } from "@/lib/connectors/box/connector";
import { githubConnector, GITHUB_QUOTA } from "@/lib/connectors/github/connector";
import { createGmailSandbox, GMAIL_USER_QUOTA } from "@/lib/sandbox/gmail/handler";
import { createSlackSandbox, TIERS } from "@/lib/sandbox/slack/handler";
import { createBoxSandbox, BOX_USER_QUOTA } from "@/lib/sandbox/box/handler";
import { createGithubSandbox, type SandboxAccount } from "@/lib/sandbox/github/handler";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import { createPacer, type Pacer } from "@/lib/sync/pacer";

type Provider = "gmail" | "slack" | "box" | "github";
const mode = process.env.BENCH_MODE ?? "sync";
const latency = Number(process.env.BENCH_LATENCY ?? 80);
const out = process.env.BENCH_OUT ?? "bench/results/.sync.json";
const sizes = JSON.parse(process.env.BENCH_SIZES ?? "{}") as Record<string, number>;

const CONNECTORS: Record<Provider, { connector: Connector; quota: QuotaSpec }> = {
  gmail: { connector: gmailConnector, quota: GMAIL_QUOTA },
  slack: { connector: slackConnector, quota: SLACK_QUOTA },
  box: { connector: boxConnector, quota: BOX_QUOTA },
  github: { connector: githubConnector, quota: GITHUB_QUOTA },
};

interface Hit {
  path: string;
  status: number;
  /** The bearer token it carried: runs side by side on one sandbox are told apart by account. */
  token: string;
  /** When the answer left the sandbox (ms since epoch). */
  at: number;
}

interface Sandbox {
  server: SandboxServer;
  baseUrl: string;
  hits: Hit[];
  counted(): number;
  /** A fresh account (fresh quota); returns its token and a way to change its item count. */
  account(items: number, latencyMs: number): { token: string; setItems(n: number): void };
  close(): Promise<void>;
}

let seq = 0;

async function startSandbox(p: Provider, now?: () => number, record = true): Promise<Sandbox> {
  const hits: Hit[] = [];
  let counted = 0;
  const auth = new MemorySandboxAuth();
  const ghAccounts = new Map<string, SandboxAccount>();
  const handler =
    p === "gmail"
      ? createGmailSandbox({ auth, now })
      : p === "slack"
        ? createSlackSandbox({ auth, now })
        : p === "box"
          ? createBoxSandbox({ auth, now })
          : createGithubSandbox({ resolveToken: async (t) => ghAccounts.get(t) ?? null, now });
  const mount = p === "gmail" ? "/sandbox/gmail" : `/${p}`;
  const server = await serveSandbox({
    [mount]: async (req, subpath) => {
      const res = await handler(req, subpath);
      // The memory run only counts (a log of 100,000 requests would itself grow with the items).
      if (record) {
        const token = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
        hits.push({ path: subpath, status: res.status, token, at: Date.now() });
      }
      else counted++;
      return res;
    },
  });
  const baseUrl = p === "slack" ? `${server.url}/slack/api` : `${server.url}${mount}`;
  return {
    server,
    baseUrl,
    hits,
    counted: () => counted,
    account(items, latencyMs) {
      const key = `bench-${p}-${process.pid}-${++seq}`;
      const scenario = { items, latency_ms: latencyMs, fault: "none" as const };
      if (p === "github") {
        const token = `gho_bench${seq}_${Math.random().toString(36).slice(2)}`;
        const account: SandboxAccount = { key, scenario, login: "bench-user" };
        ghAccounts.set(token, account);
        return { token, setItems: (n) => (account.scenario = { ...account.scenario, items: n }) };
      }
      const tokens = auth.account(key, scenario, p !== "slack");
      return { token: tokens.accessToken, setItems: (n) => auth.setScenario(key, { ...scenario, items: n }) };
    },
    close: () => server.close(),
  };
}

/** The engine's pacer for a quota (lib/sync/pacer.ts), or the baseline's: one at a time, or the cap alone. */
function makePacer(kind: "paced" | "sequential" | "concurrent-unpaced", quota: QuotaSpec): Pacer {
  if (kind === "paced") return createPacer(quota);
  return createPacer({ maxConcurrency: kind === "sequential" ? 1 : quota.maxConcurrency });
}

interface RunResult {
  items: number;
  docs: number;
  failures: number;
  seconds: number;
  itemsPerSecond: number;
  requests: number;
  rateLimited: number;
  notModified: number;
  cursor: unknown;
}

async function runSync(
  p: Provider,
  /** Where the provider answers, and the request log of an in-process sandbox (empty for one in another process). */
  sb: Pick<Sandbox, "baseUrl" | "hits">,
  token: string,
  items: number,
  kind: "paced" | "sequential" | "concurrent-unpaced",
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
    seconds: round(seconds, 2),
    itemsPerSecond: round((docs + failures) / seconds, 1),
    requests: hits.length,
    rateLimited: hits.filter((h) => h.status === 429).length,
    notModified: hits.filter((h) => h.status === 304).length,
    cursor: next,
    ...({ hits } as object),
  } as RunResult;
}

function round(n: number, d = 1): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

/**
 * The shortest time the sandbox's quota allows for the requests this workload made (429 answers
 * excluded, bucket/window starting full), and the items/s that means. null: the quota never binds.
 */
function quotaBound(p: Provider, hits: Hit[], items: number): { seconds: number; itemsPerSecond: number | null; basis: string } {
  const ok = hits.filter((h) => h.status !== 429);
  let seconds = 0;
  let basis = "";
  if (p === "gmail") {
    const units = ok.reduce((s, h) => s + gmailQuotaCost(new URL(`http://x/sandbox/gmail${h.path}`), "GET"), 0);
    seconds = Math.max(0, (units - GMAIL_USER_QUOTA.capacity) / GMAIL_USER_QUOTA.refillPerSecond);
    basis = `${ok.length} requests = ${units} units; bucket ${GMAIL_USER_QUOTA.capacity} + ${GMAIL_USER_QUOTA.refillPerSecond}/s`;
  } else if (p === "slack") {
    const per = new Map<string, number>();
    for (const h of ok) {
      const m = h.path.replace(/^\/api\//, "").replace(/^\//, "");
      per.set(m, (per.get(m) ?? 0) + 1);
    }
    const tierOf: Record<string, { limit: number; windowMs: number }> = {
      "auth.test": TIERS.tier4,
      "conversations.list": TIERS.tier2,
      "users.list": TIERS.tier2,
      "conversations.history": TIERS.tier3,
      "conversations.replies": TIERS.tier3,
    };
    const parts: string[] = [];
    for (const [m, n] of per) {
      const t = tierOf[m] ?? TIERS.tier2;
      seconds = Math.max(seconds, ((Math.ceil(n / t.limit) - 1) * t.windowMs) / 1000);
      parts.push(`${m} ${n} (${t.limit}/min)`);
    }
    basis = parts.join(", ");
  } else if (p === "box") {
    const api = ok.filter((h) => h.path.startsWith("/2.0/")).length;
    seconds = ((Math.ceil(api / BOX_USER_QUOTA.limit) - 1) * BOX_USER_QUOTA.windowMs) / 1000;
    basis = `${api} API requests (${BOX_USER_QUOTA.limit}/min sliding window)`;
  } else {
    const counted = ok.filter((h) => h.status !== 304).length;
    seconds = Math.max(0, ((Math.ceil(counted / 5000) - 1) * 3_600_000) / 1000);
    basis = `${counted} requests (5,000/h)`;
  }
  return { seconds: round(seconds, 1), itemsPerSecond: seconds > 0 ? round(items / seconds, 1) : null, basis };
}

function strip(r: RunResult): Omit<RunResult, "cursor"> {
  const { cursor: _c, hits: _h, ...rest } = r as RunResult & { hits?: unknown };
  return rest;
}

function readStatus(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

describe.runIf(mode === "sync")("sync throughput and incremental re-sync", () => {
  it("runs every provider, paced and baseline, side by side", async () => {
    const providers = (process.env.BENCH_PROVIDERS ?? "gmail,slack,box,github").split(",") as Provider[];
    const results = await Promise.all(
      providers.map(async (p) => {
        const sb = await startSandbox(p);
        try {
          const full = sizes[`${p}`] ?? 1000;
          const baseItems = sizes[`${p}Baseline`] ?? full;
          const incItems = sizes[`${p}Incremental`] ?? full;
          // Scenario 1: paced engine path and the sequential, unpaced baseline, at the same time
          // on separate accounts (separate quotas) of the same sandbox.
          const a = sb.account(full, latency);
          const b = sb.account(baseItems, latency);
          const [paced, baseline] = await Promise.all([
            runSync(p, sb, a.token, full, "paced"),
            runSync(p, sb, b.token, baseItems, "sequential"),
          ]);
          const bound = quotaBound(p, (paced as unknown as { hits: Hit[] }).hits, full);
          const baseBound = quotaBound(p, (baseline as unknown as { hits: Hit[] }).hits, baseItems);
          // Scenario 2: a fresh account: full sync, re-sync with nothing changed, re-sync after 1% new items.
          const c = sb.account(incItems, latency);
          const first = await runSync(p, sb, c.token, incItems, "paced");
          const same = await runSync(p, sb, c.token, 0, "paced", first.cursor);
          const grown = Math.ceil(incItems * 1.01);
          c.setItems(grown);
          const changed = await runSync(p, sb, c.token, grown - incItems, "paced", same.cursor);
          console.log(`[bench:sync] ${p} done (${Math.round(paced.seconds)} s paced)`);
          return {
            provider: p,
            throughput: {
              paced: { ...strip(paced), quotaBound: bound, ratioToBound: bound.itemsPerSecond ? round(paced.itemsPerSecond / bound.itemsPerSecond, 2) : null },
              baseline: { ...strip(baseline), quotaBound: baseBound, ratioToBound: baseBound.itemsPerSecond ? round(baseline.itemsPerSecond / baseBound.itemsPerSecond, 2) : null },
            },
            incremental: { full: strip(first), unchanged: strip(same), onePercent: strip(changed) },
          };
        } finally {
          await sb.close();
        }
      }),
    );
    writeFileSync(out, JSON.stringify({ latencyMs: latency, providers: results }, null, 2));
    for (const r of results) expect(r.throughput.paced.docs + r.throughput.paced.failures).toBeGreaterThan(0);
  });
});

/** bench/gmail-sandbox.ts in a child process: its base URL and token, what it counted, and a way to end it. */
interface RemoteSandbox {
  baseUrl: string;
  token: string;
  child: ChildProcess;
  stats(): Promise<{ requests: number; rateLimited: number; notModified: number; vmHwmBytes: number; vmRssBytes: number }>;
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();

async function spawnGmailSandbox(items: number): Promise<RemoteSandbox> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  // Plain node with tsx's loader (tsconfig paths for "@/"): one process, no tsx wrapper in between.
  const child = spawn(process.execPath, ["--import", "tsx", "bench/gmail-sandbox.ts", String(items)], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    children.delete(child);
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

describe.runIf(mode === "memory")("gmail sync memory", () => {
  // However the test ends, no sandbox process outlives it (it also exits when its stdin closes).
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
  });

  it("syncs BENCH_ITEMS messages and reports peak RSS", async () => {
    const items = Number(process.env.BENCH_ITEMS ?? 10_000);
    // The Gmail sandbox runs in a process of its own (bench/gmail-sandbox.ts), reached over
    // loopback HTTP like the real Gmail over the network: what is measured here is the sync's
    // memory only (connector, SDK, engine fetch path), not the fake provider generating and
    // serialising the messages. Quota lifted: the sandbox's quota clock runs 1000x fast, latency
    // 0, and the engine path runs with Gmail's concurrency cap but no token bucket, so the run
    // is CPU-bound.
    // BENCH_TRACE=gc: V8's own line per garbage collection as well (live heap after each full GC).
    if (process.env.BENCH_TRACE === "gc") v8.setFlagsFromString("--trace-gc");
    const sb = await spawnGmailSandbox(items);
    try {
      const rssBefore = readStatus("VmRSS");
      let peak = rssBefore;
      const heap = { used: 0, total: 0, external: 0, arrayBuffers: 0 };
      const timer = setInterval(() => {
        peak = Math.max(peak, readStatus("VmRSS"));
        const m = process.memoryUsage();
        heap.used = Math.max(heap.used, m.heapUsed);
        heap.total = Math.max(heap.total, m.heapTotal);
        heap.external = Math.max(heap.external, m.external);
        heap.arrayBuffers = Math.max(heap.arrayBuffers, m.arrayBuffers);
        if (process.env.BENCH_TRACE) console.log(`[bench:mem] rss ${(readStatus("VmRSS") / 1e6).toFixed(0)} heapUsed ${(m.heapUsed / 1e6).toFixed(0)} heapTotal ${(m.heapTotal / 1e6).toFixed(0)} external ${(m.external / 1e6).toFixed(0)}`);
      }, process.env.BENCH_TRACE ? 2000 : 50);
      const r = await runSync("gmail", { baseUrl: sb.baseUrl, hits: [] }, sb.token, items, "concurrent-unpaced");
      clearInterval(timer);
      peak = Math.max(peak, readStatus("VmRSS"));
      const vmHwm = readStatus("VmHWM");
      const st = await sb.stats();
      r.requests = st.requests;
      r.rateLimited = st.rateLimited;
      r.notModified = st.notModified;
      writeFileSync(
        out,
        JSON.stringify(
          {
            ...strip(r),
            rssBeforeBytes: rssBefore,
            peakRssSampledBytes: peak,
            vmHwmBytes: vmHwm,
            peakHeap: heap,
            sandboxVmHwmBytes: st.vmHwmBytes,
            sandbox: "child process (bench/gmail-sandbox.ts), loopback HTTP; not counted in vmHwmBytes",
          },
          null,
          2,
        ),
      );
      if (process.env.BENCH_TRACE) console.log(`[bench:mem] done: VmHWM ${(vmHwm / 1e6).toFixed(0)} MB, sandbox process VmHWM ${(st.vmHwmBytes / 1e6).toFixed(0)} MB`);
      expect(r.docs + r.failures).toBe(items);
    } finally {
      await sb.kill();
    }
  });
});
