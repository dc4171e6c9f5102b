// A server of the test's own, on a fresh database: a SQLite file in a temp dir, or (with
// TEST_DATABASE=postgres) a fresh PostgreSQL database. dispose() stops it and removes both.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, type RunningServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";

export interface OwnServer {
  server: RunningServer;
  databaseUrl: string;
  dispose(): Promise<void>;
}

export async function startOwnServer(name: string, env: Record<string, string> = {}): Promise<OwnServer> {
  const dir = mkdtempSync(path.join(tmpdir(), `sb-${name}-`));
  const pgUrl = usePostgres() ? await createPgDatabase() : undefined;
  const databaseUrl = pgUrl ?? `file:${path.join(dir, "app.db")}`;
  const server = await startServer({ databaseUrl, env });
  return {
    server,
    databaseUrl,
    async dispose() {
      await server.stop();
      if (pgUrl) await dropPgDatabase(pgUrl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
