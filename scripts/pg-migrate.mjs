#!/usr/bin/env node
// Applies prisma/postgres/migrations/*.sql (postgrator naming: NNN.do.name.sql) to the
// PostgreSQL database at DATABASE_URL, in order, recording each in the "schemaversion"
// table. Used by `npm start` in PostgreSQL mode instead of `prisma migrate deploy`, which
// fails with Prisma's js engine (prisma/orm#27403). A PostgreSQL advisory lock keeps two
// servers starting at once from running the same migration twice.
import path from "node:path";
import pg from "pg";
import Postgrator from "postgrator";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const PG_MIGRATIONS = path.join(root, "prisma/postgres/migrations");
const LOCK_KEY = 7_212_604_551; // any constant; shared by every process of this app

/** @returns {Promise<string[]>} names of the migrations applied now */
export async function migratePostgres(connectionString, { log = () => {} } = {}) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    const postgrator = new Postgrator({
      migrationPattern: path.join(PG_MIGRATIONS, "*.do.*.sql"),
      driver: "pg",
      database: client.database,
      schemaTable: "schemaversion",
      execQuery: (query) => client.query(query),
    });
    postgrator.on("migration-started", (m) => log(`applying ${m.filename}`));
    const applied = await postgrator.migrate();
    return applied.map((m) => m.filename);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) {
    console.error("[pg-migrate] DATABASE_URL must be a postgres:// URL");
    process.exit(1);
  }
  migratePostgres(url, { log: (m) => console.log(`[pg-migrate] ${m}`) })
    .then((applied) => console.log(`[pg-migrate] ${applied.length ? `${applied.length} migration(s) applied` : "database is up to date"}`))
    .catch((err) => {
      console.error(`[pg-migrate] failed: ${err.message}`);
      process.exit(1);
    });
}
