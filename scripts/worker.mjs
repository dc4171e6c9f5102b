#!/usr/bin/env node
// `npm run worker`: starts scripts/worker.ts (TypeScript, through tsx's loader; no build
// needed) with the node flags OPTIMIZE_FOR asks for (scripts/node-flags.mjs), forwards
// SIGTERM/SIGINT to it (it hands its runs back and exits) and exits with its code.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeFlags } from "./node-flags.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let flags;
try {
  flags = nodeFlags(process.env, "worker");
} catch (error) {
  console.error(`[worker] ${error.message}`);
  process.exit(1);
}
const child = spawn(process.execPath, [...flags, "--import", "tsx", path.join(root, "scripts", "worker.ts")], { stdio: "inherit", cwd: root });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
