// The local full-text index (table "document_fts"): the `embedding` stage of a sync takes in
// every document of the connection that changed since it was last indexed. On SQLite it is an
// FTS5 virtual table; on PostgreSQL a plain table with a generated tsvector column and a GIN
// index (prisma/postgres/migrations/001.do.init.sql). Same columns in both, so the SQL below
// is shared: `?` placeholders become $n on PostgreSQL (lib/db.ts), and "indexedAt" <
// "syncedAt" compares ISO text on SQLite and timestamps on PostgreSQL.
import { db, type Prisma } from "@/lib/db";

const BATCH = 500;
const STATEMENT_DOCS = 100;

/** Documents of the connection waiting to be indexed. */
export async function countUnindexed(connectionId: string): Promise<number> {
  const rows = await db().$queryRawUnsafe<{ n: bigint | number }[]>(
    `SELECT COUNT(*) AS n FROM "document" WHERE "connectionId" = ? AND ("indexedAt" IS NULL OR "indexedAt" < "syncedAt")`,
    connectionId,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Indexes one batch; returns how many documents it took in (0: nothing left). A few statements
 * copy the batch into the index (not one insert per document); only documents indexed before
 * (re-synced since) have an old entry to delete first: "documentId" is not an indexed column of
 * the FTS5 table, so that delete scans it, and a first sync (nothing indexed yet) never pays
 * for it.
 */
export async function indexNextBatch(connectionId: string, guard?: (tx: Prisma.TransactionClient) => Promise<void>): Promise<number> {
  return db().$transaction(async (tx) => {
    // The run's fence (lib/sync/fence.ts), in this transaction: a lost run indexes nothing.
    if (guard) await guard(tx);
    const due = await tx.$queryRawUnsafe<{ id: string; seen: unknown }[]>(
      `SELECT "id", ("indexedAt" IS NOT NULL) AS "seen" FROM "document"
        WHERE "connectionId" = ? AND ("indexedAt" IS NULL OR "indexedAt" < "syncedAt") LIMIT ${BATCH}`,
      connectionId,
    );
    if (due.length === 0) return 0;
    const ids = due.map((d) => d.id);
    const marks = ids.map(() => "?").join(",");
    const stale = due.filter((d) => d.seen === true || Number(d.seen) === 1).map((d) => d.id);
    if (stale.length > 0) {
      await tx.$executeRawUnsafe(`DELETE FROM "document_fts" WHERE "documentId" IN (${stale.map(() => "?").join(",")})`, ...stale);
    }
    // A statement per 100 documents: each is one synchronous call into SQLite (tokenizing the
    // text), and the event loop (live progress streams) gets a turn between them.
    for (let k = 0; k < ids.length; k += STATEMENT_DOCS) {
      const part = ids.slice(k, k + STATEMENT_DOCS);
      await tx.$executeRawUnsafe(
        `INSERT INTO "document_fts" ("documentId", "title", "text") SELECT "id", "title", "text" FROM "document" WHERE "id" IN (${part.map(() => "?").join(",")})`,
        ...part,
      );
    }
    const now = new Date().toISOString().replace("Z", "+00:00");
    await tx.$executeRawUnsafe(`UPDATE "document" SET "indexedAt" = ? WHERE "id" IN (${marks})`, now, ...ids);
    return due.length;
  });
}
