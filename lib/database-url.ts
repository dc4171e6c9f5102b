// Shared by the app, the Prisma CLI config and the start script: one place that knows
// what DATABASE_URL means.
export const DEFAULT_DATABASE_URL = "file:./.data/app.db";

export type DatabaseKind = "sqlite" | "postgres";

export function databaseKind(url: string): DatabaseKind {
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgres";
  if (url.startsWith("file:")) return "sqlite";
  throw new Error(
    `DATABASE_URL must start with "file:" (SQLite) or "postgres://" (PostgreSQL); got "${url.split(":")[0]}:…"`,
  );
}

/** `file:./.data/app.db` -> `./.data/app.db` (relative to the working directory). */
export function sqlitePathFromUrl(url: string): string {
  return url.replace(/^file:/, "");
}
