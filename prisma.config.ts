// Prisma CLI configuration. The CLI runs its JavaScript schema engine through the same
// driver adapter the app uses, so nothing is downloaded (see README, "Database").
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { sqlitePathFromUrl, DEFAULT_DATABASE_URL } from "./lib/database-url";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    return new PrismaBetterSQLite3({ url: sqlitePathFromUrl(url) });
  },
});
