#!/usr/bin/env node
// Runs the Prisma CLI with DATABASE_URL always set: with a config file the CLI does not
// read .env, and an unresolved datasource url makes `generate` try to download an engine.
// `generate` (without --schema) always builds both clients, so one build serves both
// modes: lib/generated/prisma (SQLite) and lib/generated/prisma-pg (PostgreSQL, from
// prisma/postgres/schema.prisma, which scripts/pg-schema.mjs rewrites first).
// In PostgreSQL mode `migrate deploy` runs scripts/pg-migrate.mjs instead (prisma/orm#27403).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.DATABASE_URL ??= "file:./.data/app.db";
const postgres = /^postgres(ql)?:\/\//i.test(env.DATABASE_URL);
if (env.DATABASE_URL.startsWith("file:")) {
  mkdirSync(path.dirname(env.DATABASE_URL.slice("file:".length)), { recursive: true });
}
const cli = require.resolve("prisma/build/index.js");
const args = process.argv.slice(2);

function run(argv, databaseUrl = env.DATABASE_URL) {
  const r = spawnSync(process.execPath, argv, { stdio: "inherit", env: { ...env, DATABASE_URL: databaseUrl } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (args[0] === "generate" && !args.some((a) => a.startsWith("--schema"))) {
  run([path.join(root, "scripts/pg-schema.mjs")]);
  // generate never connects; each schema only needs a url of its own kind to resolve.
  run([cli, ...args], postgres ? "file:./.data/app.db" : env.DATABASE_URL);
  run([cli, ...args], postgres ? env.DATABASE_URL : "postgresql://localhost:5432/unused");
} else if (postgres && args[0] === "migrate" && args[1] === "deploy") {
  run([path.join(root, "scripts/pg-migrate.mjs")]);
} else {
  run([cli, ...args]);
}
