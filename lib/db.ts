// One Prisma client per process. Kept on globalThis: Next.js may load this module in
// several bundles (route handlers, instrumentation) and they must share one connection.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { databaseKind, sqlitePathFromUrl } from "@/lib/database-url";

export type Db = PrismaClient;
export type { Prisma } from "@/lib/generated/prisma/client";

const globalKey = Symbol.for("2nd-brain.db");
type Holder = { [globalKey]?: PrismaClient };

function create(): PrismaClient {
  const url = env().DATABASE_URL;
  if (databaseKind(url) !== "sqlite") {
    throw new Error("PostgreSQL mode is not available in this build yet; use a file: DATABASE_URL.");
  }
  // busy timeout: concurrent writers wait instead of failing with SQLITE_BUSY.
  const adapter = new PrismaBetterSQLite3({ url: sqlitePathFromUrl(url), timeout: 10_000 });
  return new PrismaClient({ adapter });
}

export function db(): PrismaClient {
  const holder = globalThis as Holder;
  holder[globalKey] ??= create();
  return holder[globalKey];
}
