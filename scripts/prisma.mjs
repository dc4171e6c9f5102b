#!/usr/bin/env node
// Runs the Prisma CLI with DATABASE_URL always set: with a config file the CLI does not
// read .env, and an unresolved datasource url makes `generate` try to download an engine.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.DATABASE_URL ??= "file:./.data/app.db";
if (env.DATABASE_URL.startsWith("file:")) {
  mkdirSync(path.dirname(env.DATABASE_URL.slice("file:".length)), { recursive: true });
}
const cli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(result.status ?? 1);
