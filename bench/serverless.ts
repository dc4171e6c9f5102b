// The serverless shape (issue 14, point 6), measured like the others: the built app as plain
// `next start` functions behind the emulated platform (tests/serverless/platform.ts: frozen
// between invocations, maxDuration, the cron), runs advancing in after() slices chained by
// signed continuations. The Gmail sandbox is a provider server of its own (`scripts/start.mjs`
// on the same database), reached through the platform's /sandbox/* pass-through: one quota for
// the account, as Google keeps it, never frozen.
//   node --import tsx bench/serverless.ts --out <file> [--quick] [--latency 80]
// Needs PostgreSQL (DATABASE_URL_TEST, default postgres://postgres@127.0.0.1:5432/test); writes
// { skipped } otherwise. Reports; asserts nothing.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import pg from "pg";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { createPgDatabase, dropPgDatabase, pgAdminUrl } from "@/tests/helpers/pg";
import { TEST_APP_SECRET, freePort } from "@/tests/helpers/server";
import { migrate, startPlatform, type Platform } from "@/tests/serverless/platform";
import { GMAIL_COSTS, GMAIL_USER_QUOTA } from "@/lib/sandbox/gmail/quota";

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const quick = args.includes("--quick");
const out = arg("out", "bench/results/.serverless.json");
const latency = Number(arg("latency", "80"));
// Past the bucket's 15,000 units (3,000 messages.get) the quota binds: 4,000 messages are ~20 s
// of quota-bound work, 10,000 ~140 s (several slices and continuations either way).
const items = Number(arg("items", quick ? "4000" : "10000"));
const ttfpRuns = Number(arg("ttfp-runs", quick ? "2" : "5"));
const PLATFORM = { instances: 2, maxDurationMs: 60_000, sliceS: "20", staleAfterS: "30", cronEveryMs: 10_000 };
const LIST_PAGE = 500;

const log = (m: string) => console.log(`[bench:serverless] ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function postgresDown(): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The provider: the app's own server on the same database, serving only what /sandbox/* asks. */
async function startProvider(databaseUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, APP_SECRET: TEST_APP_SECRET, APP_URL: url, SANDBOX_ENABLED: "true", OPTIMIZE_FOR: "speed" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`provider exited early:\n${output.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/api/integrations`)).status === 401) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`provider did not start:\n${output.slice(-2000)}`);
    await sleep(200);
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(10_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** ms from just before the POST to the first `progress` event parsed off the stream. */
async function firstProgress(user: TestUser): Promise<{ postMs: number; firstProgressMs: number | null }> {
  const t0 = Date.now();
  const { syncId } = await user.startSync("gmail");
  const postMs = Date.now() - t0;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 120_000);
  try {
    const res = await user.fetch(`/api/sync-progress/${syncId}/stream`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let first: number | null = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      if (first === null && /(^|\n)event: progress\n/.test(buffer)) first = Date.now() - t0;
      if (/(^|\n)event: (complete|error|cancelled)\n/.test(buffer)) break;
    }
    controller.abort();
    return { postMs, firstProgressMs: first };
  } finally {
    clearTimeout(timer);
  }
}

/** The shortest time Gmail's per-user quota allows for this many messages, and the items/s that means. */
function quotaBound(messages: number): { seconds: number; itemsPerSecond: number | null; basis: string } {
  const listPages = Math.ceil(messages / LIST_PAGE);
  const units = messages * GMAIL_COSTS["messages.get"] + listPages * GMAIL_COSTS["messages.list"] + GMAIL_COSTS.getProfile;
  const seconds = Math.max(0, (units - GMAIL_USER_QUOTA.capacity) / GMAIL_USER_QUOTA.refillPerSecond);
  return {
    seconds: round(seconds),
    itemsPerSecond: seconds > 0 ? round(messages / seconds) : null,
    basis: `${messages} messages.get + ${listPages} messages.list (${LIST_PAGE} ids a page) + getProfile = ${units} units; bucket ${GMAIL_USER_QUOTA.capacity} + ${GMAIL_USER_QUOTA.refillPerSecond}/s`,
  };
}

/** One Gmail sync of `items` messages by a fresh user of the app at `baseUrl`, timed from its stored events. */
async function measureSync(baseUrl: string, slicesLogged: () => number) {
  const user = await TestUser.signUp(baseUrl);
  await user.connectSandbox("gmail", { items, latency_ms: latency, fault: "none" });
  const { syncId } = await user.startSync("gmail");
  const deadline = Date.now() + 900_000;
  let end;
  for (;;) {
    end = await user.progress(syncId);
    if (["complete", "error", "cancelled"].includes(end.status)) break;
    if (Date.now() > deadline) throw new Error(`the ${items}-message sync did not end in 15 min (last: ${end.status}, ${end.processed_items})`);
    await sleep(1000);
  }
  const databaseUrl = databaseUrlOf!;
  const [run] = await queryDb<{ epoch: number; resumeCount: number }>(databaseUrl, `SELECT epoch, "resumeCount" FROM sync_run WHERE id = ?`, syncId);
  const times = await queryDb<{ t: number }>(
    databaseUrl,
    `SELECT (EXTRACT(EPOCH FROM ("createdAt" AT TIME ZONE 'UTC')) * 1000)::float8 AS t FROM sync_event WHERE "runId" = ? ORDER BY seq`,
    syncId,
  );
  const seconds = (times.at(-1)!.t - times[0]!.t) / 1000;
  const done = end.processed_items + end.failed_items;
  const bound = quotaBound(done);
  const itemsPerSecond = round(done / seconds);
  return {
    status: end.status,
    items: done,
    seconds: round(seconds),
    itemsPerSecond,
    quotaBound: bound,
    ratioToBound: bound.itemsPerSecond ? round(itemsPerSecond / bound.itemsPerSecond, 2) : null,
    claims: run?.epoch ?? null,
    resumes: run?.resumeCount ?? null,
    slicesLogged: slicesLogged(),
  };
}

let databaseUrlOf: string | undefined;

async function main(): Promise<void> {
  const down = await postgresDown();
  if (down) {
    writeFileSync(out, JSON.stringify({ skipped: `no PostgreSQL at ${pgAdminUrl().replace(/\/\/[^@]*@/, "//…@")}: ${down}` }));
    log(`skipped: no PostgreSQL (${down})`);
    return;
  }
  const databaseUrl = await createPgDatabase();
  databaseUrlOf = databaseUrl;
  let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
  let platform: Platform | undefined;
  try {
    await migrate(databaseUrl);
    provider = await startProvider(databaseUrl);
    platform = await startPlatform({
      ...PLATFORM,
      databaseUrl,
      providerUrl: provider.url,
      env: { SYNC_CONNECT_TIMEOUT_S: "30", SYNC_REQUEST_TIMEOUT_S: "30", SYNC_STALL_TIMEOUT_S: "120", SYNC_TIMEOUT_S: "900", AUTH_RATE_LIMIT_PER_MIN: "1000", SYNC_START_LIMIT_PER_MIN: "1000" },
    });
    log(`platform up: ${PLATFORM.instances} instances, maxDuration ${PLATFORM.maxDurationMs / 1000} s, slices of ${PLATFORM.sliceS} s`);
    const freshUser = async (messages: number) => {
      const user = await TestUser.signUp(platform!.url);
      await user.connectSandbox("gmail", { items: messages, latency_ms: latency, fault: "none" });
      return user;
    };

    // Time to first progress: a first sync of 200 messages by a fresh user, as for the other shapes.
    const runs = [];
    for (let i = 0; i < ttfpRuns; i++) runs.push(await firstProgress(await freshUser(200)));
    const sorted = runs.map((r) => r.firstProgressMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
    const firstProgressResult = { runs, medianMs: sorted.length ? sorted[Math.ceil(sorted.length / 2) - 1]! : null, maxMs: sorted.at(-1) ?? null, items: 200 };
    log(`first progress: ${runs.map((r) => r.firstProgressMs).join(", ")} ms`);

    // Throughput against the quota bound: one Gmail sync big enough for the quota to bind, then the
    // same sync run by the provider server itself (`npm start`'s embedded shape, same database and
    // sandbox, one after the other): the baseline the serverless figure is read against.
    const throughput = await measureSync(platform.url, () => (platform!.output().match(/slice ended/g) ?? []).length);
    const embedded = await measureSync(provider.url, () => 0);
    const vsEmbedded = embedded.itemsPerSecond ? round(throughput.itemsPerSecond / embedded.itemsPerSecond, 2) : null;
    log(`throughput: ${JSON.stringify(throughput)}`);
    log(`embedded baseline: ${JSON.stringify(embedded)}; serverless / embedded = ${vsEmbedded}`);
    if (process.env.BENCH_SERVERLESS_LOG) writeFileSync(process.env.BENCH_SERVERLESS_LOG, platform.output());
    writeFileSync(
      out,
      JSON.stringify({
        shape: "serverless",
        description: `plain \`next start\` functions (${PLATFORM.instances} instances) behind the emulated platform (tests/serverless/platform.ts): frozen between invocations, maxDuration ${PLATFORM.maxDurationMs / 1000} s, cron every ${PLATFORM.cronEveryMs / 1000} s; runs advance in after() slices of ${PLATFORM.sliceS} s chained by signed continuations; PostgreSQL; the Gmail sandbox is a provider server of its own`,
        fanout: [],
        firstProgress: firstProgressResult,
        throughput,
        embeddedBaseline: embedded,
        vsEmbedded,
        platform: platform.reportLines(),
      }),
    );
  } finally {
    await platform?.stop().catch(() => {});
    await provider?.stop().catch(() => {});
    await dropPgDatabase(databaseUrl).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`[bench:serverless] failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
