// Reads the test server's database directly, whichever kind it is (SQLite file or
// PostgreSQL). SQL is written with `?` placeholders; they become $1, $2, … on PostgreSQL.
import Database from "better-sqlite3";
import pg from "pg";

function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function queryDb<T = Record<string, unknown>>(databaseUrl: string, sql: string, ...params: unknown[]): Promise<T[]> {
  if (databaseUrl.startsWith("file:")) {
    const db = new Database(databaseUrl.slice("file:".length), { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(toPg(sql), params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Changes the test server's database directly (a fault a test sets up); returns the rows changed. */
export async function execDb(databaseUrl: string, sql: string, ...params: unknown[]): Promise<number> {
  if (databaseUrl.startsWith("file:")) {
    const db = new Database(databaseUrl.slice("file:".length));
    try {
      db.pragma("busy_timeout = 5000");
      return db.prepare(sql).run(...params).changes;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(toPg(sql), params)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}
