#!/usr/bin/env node
// `npm test`: build once, then the vitest suites (unit + integration over HTTP), then
// Playwright in real Chromium. Every stage runs even if an earlier one failed, and the
// last line counts passed and failed tests from the runners' own JSON reports.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

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

if (existsSync("reports/vitest.json")) {
  const v = JSON.parse(readFileSync("reports/vitest.json", "utf8"));
  results.passed += v.numPassedTests;
  results.failed += v.numFailedTests;
  // A file that failed to load has no tests in the counts; count it as a failure.
  results.failed += (v.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
} else if (built) results.failed += 1;
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
