// APP_SECRET: from the environment, else the one `npm start` generated into .data/.
// Several instances (PostgreSQL mode) must share one, so there it is required.
import { readFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { databaseKind } from "@/lib/database-url";

export const SECRET_FILE = path.join(".data", "app-secret");

let cached: string | undefined;

export function appSecret(): string {
  if (cached) return cached;
  const e = env();
  if (e.APP_SECRET) {
    if (e.APP_SECRET.length < 32) throw new Error("APP_SECRET must be at least 32 characters");
    return (cached = e.APP_SECRET);
  }
  if (databaseKind(e.DATABASE_URL) === "postgres") {
    throw new Error("APP_SECRET is required when DATABASE_URL points at PostgreSQL (every instance must share it)");
  }
  try {
    cached = readFileSync(SECRET_FILE, "utf8").trim();
  } catch {
    throw new Error(`APP_SECRET is not set and ${SECRET_FILE} does not exist; start the app with \`npm start\` or set APP_SECRET`);
  }
  return cached;
}
