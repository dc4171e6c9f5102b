// `npm run db:check` as a test: the SQLite and PostgreSQL schemas and migrations must not
// drift (see scripts/db-check.mjs). The PostgreSQL part is skipped by the script itself when
// no server is reachable at DATABASE_URL_TEST / 127.0.0.1:5432.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { toPostgresPlaceholders } from "@/lib/db";

describe("database schemas", () => {
  it("prisma/postgres is the provider-swapped schema, and both migration sets build exactly the schema", () => {
    const r = spawnSync(process.execPath, ["scripts/db-check.mjs"], { encoding: "utf8", timeout: 150_000 });
    expect(`${r.stdout}\n${r.stderr}`).toContain("[db:check] OK");
    expect(r.status).toBe(0);
  }, 180_000);
});

describe("toPostgresPlaceholders", () => {
  it("numbers ? placeholders and leaves quoted question marks alone", () => {
    expect(toPostgresPlaceholders(`SELECT "a?" FROM t WHERE x = ? AND y IN (?, ?) AND z = 'why?'`)).toBe(
      `SELECT "a?" FROM t WHERE x = $1 AND y IN ($2, $3) AND z = 'why?'`,
    );
  });
});
