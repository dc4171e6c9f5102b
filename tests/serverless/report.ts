// The emulation's report: reports/serverless.md (started by setup.ts), also printed.
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";

export function report(title: string, lines: string[]): void {
  mkdirSync("reports", { recursive: true });
  appendFileSync(path.join("reports", "serverless.md"), `## ${title}\n\n${lines.map((l) => `- ${l}`).join("\n")}\n\n`);
  console.log(`[serverless] ${title}\n${lines.map((l) => `  ${l}`).join("\n")}`);
}
