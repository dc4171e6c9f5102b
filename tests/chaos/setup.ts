// Vitest globalSetup of the chaos project: the suite runs against a build made beforehand
// (NEXT_DIST_DIR honoured, as scripts/start.mjs does), and starts a fresh report.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export function setup(): void {
  const dist = process.env.NEXT_DIST_DIR || ".next";
  if (!existsSync(path.join(dist, "BUILD_ID"))) {
    throw new Error(`no build in ${dist}/: run \`npm run build\` first (the resilience suite starts the built app)`);
  }
  mkdirSync("reports", { recursive: true });
  rmSync(path.join("reports", "chaos.md"), { force: true });
  writeFileSync(path.join("reports", "chaos.md"), `# Resilience suite (npm run test:chaos)\n\nStarted ${new Date().toISOString()}\n\n`);
}
