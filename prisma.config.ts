// Prisma CLI configuration. The CLI runs its JavaScript schema engine through the same
// driver adapter the app uses, so nothing is downloaded (see README, "Database").
// DATABASE_URL picks the mode: file: -> SQLite (prisma/schema.prisma, prisma/migrations);
// postgres:// -> PostgreSQL (prisma/postgres/schema.prisma, generated from the former by
// scripts/pg-schema.mjs). PostgreSQL migrations are applied by scripts/pg-migrate.mjs, not by
// `prisma migrate deploy` (which fails with the js engine, prisma/orm#27403).
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseKind, sqlitePathFromUrl, DEFAULT_DATABASE_URL } from "./lib/database-url";

const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const postgres = databaseKind(url) === "postgres";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgres ? "prisma/postgres/schema.prisma" : "prisma/schema.prisma",
  migrations: { path: postgres ? "prisma/postgres/migrations" : "prisma/migrations" },
  async adapter() {
    if (postgres) return new PrismaPg({ connectionString: url });
    return new PrismaBetterSQLite3({ url: sqlitePathFromUrl(url) });
  },
});
