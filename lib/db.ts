// One Prisma client per process (a process singleton: route handlers and instrumentation
// must share one connection).
//
// DATABASE_URL picks the database: file: -> SQLite through @prisma/adapter-better-sqlite3
// (client lib/generated/prisma); postgres:// -> PostgreSQL through @prisma/adapter-pg (client
// lib/generated/prisma-pg, generated from prisma/postgres/schema.prisma, which is
// prisma/schema.prisma with the provider swapped — `npm run db:check` enforces it).
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { PrismaClient as PgPrismaClient } from "@/lib/generated/prisma-pg/client";
import { env } from "@/lib/env";
import { createPgPool } from "@/lib/pg-pool";
import { databaseKind, sqlitePathFromUrl, type DatabaseKind } from "@/lib/database-url";
import { processSingleton } from "@/lib/platform/singleton";

export type Db = PrismaClient;
export type { Prisma } from "@/lib/generated/prisma/client";

/**
 * `?` placeholders -> `$1, $2, …` (PostgreSQL). Question marks inside '…' or "…" are left
 * alone. Raw SQL in this app is written once with `?` (SQLite's style); on PostgreSQL the
 * client rewrites it on the way out (see create()).
 */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  let out = "";
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "?") {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * Many runs write pages and events at once: a transaction may wait a while for a pooled
 * connection (PostgreSQL) or the write lock (SQLite) before it is refused. Prisma's
 * defaults (2 s wait, 5 s run) failed runs under load (20 concurrent runs on one worker).
 */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 };
const IDLE_IN_TRANSACTION_MS = 10_000;

function create(): PrismaClient {
  const url = env().DATABASE_URL;
  if (databaseKind(url) === "postgres") {
    const client = new PgPrismaClient({
      adapter: new PrismaPg(
        createPgPool({
          connectionString: url,
          max: env().DATABASE_POOL_SIZE,
          connectionTimeoutMillis: 30_000,
          // A process paused inside a transaction (a VM pause, a long GC, a frozen serverless
          // instance) would hold its row locks, the run row's among them, for as long as the
          // pause lasts, and the process taking the run over would wait on them. The server
          // ends such a session instead; our transactions are a few statements back to back.
          options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
        }),
      ),
      transactionOptions: TRANSACTION_OPTIONS,
    }).$extends({
      name: "sqlite-style-placeholders",
      query: {
        $queryRawUnsafe: ({ args, query }) => query([toPostgresPlaceholders(args[0]), ...args.slice(1)]),
        $executeRawUnsafe: ({ args, query }) => query([toPostgresPlaceholders(args[0]), ...args.slice(1)]),
      },
    });
    // The one cast between the two clients. Both are generated from the same datamodel
    // (prisma/postgres/schema.prisma is derived from prisma/schema.prisma, checked by
    // `npm run db:check`), so their model delegates, $transaction and raw-query methods
    // have identical shapes; only provider-internal type parameters differ. The rest of
    // the app is typed against the SQLite client's types.
    return client as unknown as PrismaClient;
  }
  // busy timeout: concurrent writers wait instead of failing with SQLITE_BUSY.
  const adapter = new PrismaBetterSQLite3({ url: sqlitePathFromUrl(url), timeout: 10_000 });
  return new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
}

/** Which database this process talks to (for the few raw SQL statements that differ). */
export function dbKind(): DatabaseKind {
  return databaseKind(env().DATABASE_URL);
}

export function db(): PrismaClient {
  return processSingleton("db", create);
}
