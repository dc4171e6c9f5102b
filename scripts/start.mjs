#!/usr/bin/env node
// `npm start`: everything a fresh checkout needs, then the server.
//  1. .data/ and an APP_SECRET generated on first start (unless set in the environment)
//  2. database migrations: SQLite (default) with `prisma migrate deploy`; PostgreSQL
//     (DATABASE_URL=postgres://…) with scripts/pg-migrate.mjs (prisma/postgres/migrations)
//  3. a production build when there is none or the sources changed since it was made
//  4. the server on $PORT: scripts/server.mjs (Next.js, production build; `--dev`: `next dev`)
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { nodeFlags } from "./node-flags.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
const dev = process.argv.includes("--dev");
// Tests start the server against a build made beforehand and must never rebuild it.
const noBuild = process.argv.includes("--no-build");
const env = { ...process.env };
env.DATABASE_URL ??= "file:./.data/app.db";
env.PORT ??= "3000";
env.NEXT_TELEMETRY_DISABLED = "1";
// The embedded start serves the built-in sandboxes unless the operator's environment says
// production (Next.js sets NODE_ENV=production in the server itself, so decide here).
if (!env.SANDBOX_ENABLED?.trim()) env.SANDBOX_ENABLED = process.env.NODE_ENV === "production" ? "false" : "true";
// OPTIMIZE_FOR (scripts/node-flags.mjs): V8's --optimize-for-size unless it says `speed`.
let flags;
try {
  flags = nodeFlags(env);
} catch (error) {
  console.error(`[start] ${error.message}`);
  process.exit(1);
}

function log(msg) {
  console.log(`[start] ${msg}`);
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

mkdirSync(".data", { recursive: true });
const secretFile = path.join(".data", "app-secret");
if (!env.APP_SECRET && !existsSync(secretFile)) {
  if (env.DATABASE_URL.startsWith("postgres")) {
    console.error("[start] APP_SECRET must be set when DATABASE_URL points at PostgreSQL.");
    process.exit(1);
  }
  writeFileSync(secretFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
  log(`generated APP_SECRET into ${secretFile}`);
}

if (env.DATABASE_URL.startsWith("file:")) {
  const file = env.DATABASE_URL.slice("file:".length);
  mkdirSync(path.dirname(file), { recursive: true });
  // WAL lets the sync write while pages and streams read.
  const Database = require("better-sqlite3");
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.close();
}
if (env.DATABASE_URL.startsWith("file:")) {
  log("applying database migrations (SQLite)");
  run(process.execPath, ["scripts/prisma.mjs", "migrate", "deploy"]);
} else {
  log("applying database migrations (PostgreSQL)");
  run(process.execPath, ["scripts/pg-migrate.mjs"]);
}

const nextBin = require.resolve("next/dist/bin/next");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "generated" || entry.name.startsWith(".")) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

if (!dev) {
  const buildId = path.join(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID");
  const sources = ["app", "components", "lib", "public"].filter((d) => existsSync(d));
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const changedAt = Math.max(...sources.map(newestSource), statSync("package.json").mtimeMs, statSync("next.config.ts").mtimeMs);
  if (noBuild && !builtAt) {
    console.error("[start] no build found; run `npm run build` first");
    process.exit(1);
  }
  if (!noBuild && builtAt < changedAt) {
    log(builtAt ? "sources changed since the last build; building" : "building the app (first start only, about a minute)");
    run(process.execPath, ["scripts/prisma.mjs", "generate"]);
    run(process.execPath, [nextBin, "build"]);
  }
}

log(`listening on http://localhost:${env.PORT}`);
// Production: scripts/server.mjs (Next.js's custom-server API; it serves the live progress
// streams itself). Development: `next dev`.
const argv = dev ? [nextBin, "dev", "-p", env.PORT] : [...flags, "scripts/server.mjs"];
const child = spawn(process.execPath, argv, { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
