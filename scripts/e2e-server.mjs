#!/usr/bin/env node
// The server Playwright tests against: the real build on a fresh SQLite database.
import { rmSync } from "node:fs";
import { spawn } from "node:child_process";

rmSync(".data/e2e", { recursive: true, force: true });
const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: "file:./.data/e2e/app.db" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
