// Whether the database has the app's tables. A deployment whose release step did not migrate
// (plain `next start`, a serverless host) answers 503 with what to run, never an empty 500.
import { db } from "@/lib/db";

export const SCHEMA_MISSING_MESSAGE =
  "The app's database is not set up yet. An operator must run `npm run db:migrate` with this DATABASE_URL (README: Deploy).";

/** A table or column of the schema is missing (SQLite, PostgreSQL, or Prisma's own codes). */
export function isSchemaMissing(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | null, depth = 0; e && depth < 5; depth += 1) {
    if (typeof e.code === "string" && ["P2021", "P2022", "42P01", "42703"].includes(e.code)) return true;
    if (typeof e.message === "string" && /no such table|no such column|relation "?[\w.]+"? does not exist|column "?[\w.]+"? does not exist|does not exist in the current database/i.test(e.message)) {
      return true;
    }
    if (e.cause === e) break;
    e = e.cause as typeof e;
  }
  return false;
}

let ready = false;

/** Probes the newest migration's column once; true from then on. */
export async function schemaReady(): Promise<boolean> {
  if (ready) return true;
  try {
    await db().$queryRawUnsafe(`SELECT "epoch" FROM "sync_run" WHERE 1 = 0`);
    ready = true;
  } catch (error) {
    if (!isSchemaMissing(error)) throw error;
  }
  return ready;
}
