// Throwaway PostgreSQL databases for the integration suites (TEST_DATABASE=postgres).
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Server URL the test databases are created on (its own database is only used to CREATE/DROP). */
export function pgAdminUrl(): string {
  return process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";
}

export function usePostgres(): boolean {
  return process.env.TEST_DATABASE === "postgres";
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates an empty database `sb_it_<random>`; returns its URL. */
export async function createPgDatabase(): Promise<string> {
  const name = `sb_it_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(pgAdminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropPgDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^sb_it_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
