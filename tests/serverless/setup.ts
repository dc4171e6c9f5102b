// Vitest globalSetup of the serverless project: the emulation runs a build made beforehand
// (NEXT_DIST_DIR honoured, default .next, as next start does), and starts a fresh report.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export function setup(): void {
  const dist = process.env.NEXT_DIST_DIR || ".next";
  if (!existsSync(path.join(dist, "BUILD_ID"))) {
    throw new Error(`no build in ${dist}/: run \`npm run build\` (with the same NEXT_DIST_DIR) first (the emulation starts the built app)`);
  }
  mkdirSync("reports", { recursive: true });
  writeFileSync(path.join("reports", "serverless.md"), `# Serverless emulation (npm run test:serverless)\n\nBuild: ${dist}/. Started ${new Date().toISOString()}\n\n`);
}
