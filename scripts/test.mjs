#!/usr/bin/env node
// `npm test`: build once, then the vitest suites (unit + integration over HTTP), then
// Playwright in real Chromium, then the integration suites again in the scale-out shape:
// PostgreSQL (TEST_DATABASE=postgres; DATABASE_URL_TEST, default
// postgres://postgres@127.0.0.1:5432/test) with Redis (TEST_REDIS=1; REDIS_URL_TEST, default
// redis://127.0.0.1:6379): runs queued in BullMQ and executed by `npm run worker` processes,
// progress over Redis pub/sub, plus the multi-process test. Skipped with a message when no
// PostgreSQL answers; on PostgreSQL alone (no Redis) when Redis does not. Every stage runs even
// if an earlier one failed, and the last line counts passed and failed tests from the
// runners' own JSON reports.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import pg from "pg";

rmSync("reports", { recursive: true, force: true });
mkdirSync("reports", { recursive: true });
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function step(name, cmd, args, extraEnv = {}) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...env, ...extraEnv } });
  return r.status === 0;
}

const typed = step("typecheck", "npx", ["tsc", "--noEmit", "-p", "."]);
const built = step("build", "npm", ["run", "build"]);
const results = { passed: 0, failed: 0 };
let ok = built;
if (built) {
  ok = step("vitest", "npx", ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=reports/vitest.json"]) && ok;
  ok =
    step("playwright", "npx", ["playwright", "test", "--reporter=list,json"], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: "reports/playwright.json",
    }) && ok;
}

const pgUrl = process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";
async function postgresReachable() {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (err) {
    console.log(`\n=== vitest integration on PostgreSQL: SKIPPED (no PostgreSQL at ${pgUrl.replace(/\/\/[^@]*@/, "//…@")}: ${err.message}) ===`);
    return false;
  }
}
const redisUrl = process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379";
async function redisReachable() {
  const { Redis } = await import("ioredis");
  const r = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch (err) {
    console.log(`\n(no Redis at ${redisUrl.replace(/\/\/[^@]*@/, "//…@")}: ${err.message}; the PostgreSQL stage runs without it)`);
    return false;
  } finally {
    r.disconnect();
  }
}
const pgRun = built && (await postgresReachable());
if (pgRun) {
  const withRedis = await redisReachable();
  ok =
    step(
      withRedis ? "vitest integration on PostgreSQL + Redis (BullMQ workers)" : "vitest integration on PostgreSQL",
      "npx",
      ["vitest", "run", "--project", "integration", "--reporter=default", "--reporter=json", "--outputFile.json=reports/vitest-postgres.json"],
      { TEST_DATABASE: "postgres", ...(withRedis ? { TEST_REDIS: "1" } : {}) },
    ) && ok;
}

function countVitest(file, expected) {
  if (existsSync(file)) {
    const v = JSON.parse(readFileSync(file, "utf8"));
    results.passed += v.numPassedTests;
    results.failed += v.numFailedTests;
    // A file that failed to load has no tests in the counts; count it as a failure.
    results.failed += (v.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  } else if (expected) results.failed += 1;
}
countVitest("reports/vitest.json", built);
countVitest("reports/vitest-postgres.json", pgRun);
if (existsSync("reports/playwright.json")) {
  const p = JSON.parse(readFileSync("reports/playwright.json", "utf8"));
  results.passed += p.stats.expected + (p.stats.flaky ?? 0);
  results.failed += p.stats.unexpected;
  results.failed += (p.errors ?? []).length;
} else if (built) results.failed += 1;
if (!built) results.failed += 1;
if (!typed) results.failed += 1; // type errors count as one failure: the suite is not green with them

console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(ok && typed && results.failed === 0 ? 0 : 1);
