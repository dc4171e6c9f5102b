// Writes one page of a run: its documents (new ones in one multi-row INSERT, stored ones updated),
// its per-item failures and its checkpoint, in one transaction fenced by the run's epoch.
import { createHash } from "node:crypto";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { DocumentInput, SyncPage } from "@/lib/connectors/types";
import { fencedRun, holdFence, type Fence } from "@/lib/progress/fence";
import type { ProgressTracker } from "@/lib/progress/tracker";

/**
 * Saved on the run after every page: where to resume and the run's own counters at that point.
 * `carried`: items earlier runs handled before this run continued their checkpoint (they are in
 * the connector's listing but not in this run's counts).
 */
export interface Checkpoint {
  position: unknown;
  processed: number;
  failed: number;
  total: number;
  carried?: number;
  /** What the run changed in the library so far (absent in checkpoints written before these counters). */
  added?: number;
  updated?: number;
  removed?: number;
}

function contentHash(doc: DocumentInput): string {
  return createHash("sha256")
    .update(JSON.stringify([doc.kind, doc.title, doc.text, doc.url ?? null, doc.author ?? null, doc.metadata ?? null]))
    .digest("hex");
}

export async function writePage(
  fence: Fence,
  conn: { id: string; userId: string; workspaceId: string },
  page: SyncPage,
  tracker: ProgressTracker,
  carried = 0,
  /** Provider requests not yet on the run row: added to it with this page once it commits. */
  requests: { pending: number } = { pending: 0 },
): Promise<void> {
  const sent = requests.pending;
  const before = tracker.snapshot;
  const base: Checkpoint = {
    position: page.checkpoint,
    processed: before.processed_items + page.documents.length,
    failed: before.failed_items + page.failures.length,
    // The total as reported so far (0 = still unknown: a resumed run shows it as unknown too).
    total: before.total_items,
    ...(carried > 0 ? { carried } : {}),
  };
  const { runId } = fence;
  const now = new Date();
  // An id both reported gone and present in the same page is present (the later word wins).
  const present = new Set(page.documents.map((d) => d.externalId));
  const removed = [...new Set(page.removed ?? [])].filter((id) => !present.has(id));
  const counts = await db().$transaction(async (tx) => {
    // First, and on the fence's condition: a process that lost the run writes no document, and
    // the run row's lock orders this page against a concurrent claim. A checkpoint is progress:
    // the resume budget counts takeovers since the last one (a crash loop), not pauses. The
    // counters saved with it are the run's after this page, computed below before the commit.
    await holdFence(tx, fence, "page", { heartbeatAt: now, resumeCount: 0, providerRequests: { increment: sent } });
    // New documents go in with one multi-row INSERT; only those already stored (a re-sync, an
    // edit, or a page written again after a lost commit answer) are looked at one by one, and
    // written only when their content changed (its hash): an edit is an update in place, never
    // a second document, and an unchanged item costs no write and no re-indexing.
    const stored = new Map(
      page.documents.length
        ? (
            await tx.document.findMany({
              where: { connectionId: conn.id, externalId: { in: page.documents.map((d) => d.externalId) } },
              select: { externalId: true, contentHash: true },
            })
          ).map((d) => [d.externalId, d.contentHash] as const)
        : [],
    );
    const fresh: Prisma.DocumentCreateManyInput[] = [];
    const seen = new Map<string, number>();
    let updated = 0;
    for (const doc of page.documents) {
      const hash = contentHash(doc);
      const data = {
        kind: doc.kind,
        title: doc.title,
        text: doc.text,
        url: doc.url ?? null,
        author: doc.author ?? null,
        metadata: doc.metadata ? JSON.stringify(doc.metadata) : null,
        createdAt: doc.createdAt,
        updatedAt: doc.updatedAt,
        contentHash: hash,
        syncedAt: now,
        lastRunId: runId,
      };
      const row = { ...data, userId: conn.userId, workspaceId: conn.workspaceId, connectionId: conn.id, externalId: doc.externalId };
      const storedHash = stored.get(doc.externalId);
      if (storedHash !== undefined) {
        if (storedHash === hash) continue;
        await tx.document.update({ where: { connectionId_externalId: { connectionId: conn.id, externalId: doc.externalId } }, data });
        stored.set(doc.externalId, hash);
        updated += 1;
        continue;
      }
      // Twice in one page: the later copy wins, as upserts in order did.
      const at = seen.get(doc.externalId);
      if (at === undefined) {
        seen.set(doc.externalId, fresh.length);
        fresh.push(row);
      } else fresh[at] = row;
    }
    if (fresh.length) await tx.document.createMany({ data: fresh });
    // Gone at the provider: out of the library and the search index, with this page.
    let gone = 0;
    if (removed.length) {
      const rows = await tx.document.findMany({ where: { connectionId: conn.id, externalId: { in: removed } }, select: { id: true } });
      if (rows.length) {
        const ids = rows.map((r) => r.id);
        await tx.$executeRawUnsafe(`DELETE FROM "document_fts" WHERE "documentId" IN (${ids.map(() => "?").join(",")})`, ...ids);
        gone = (await tx.document.deleteMany({ where: { id: { in: ids } } })).count;
      }
    }
    if (page.failures.length) {
      await tx.syncItemFailure.createMany({
        data: page.failures.map((f) => ({ runId, userId: conn.userId, externalId: f.externalId, title: f.title ?? null, reason: f.reason, detail: f.detail ?? null })),
      });
    }
    const checkpoint: Checkpoint = {
      ...base,
      added: (before.added_items ?? 0) + fresh.length,
      updated: (before.updated_items ?? 0) + updated,
      removed: (before.removed_items ?? 0) + gone,
    };
    await tx.syncRun.updateMany({ where: fencedRun(fence), data: { checkpoint: JSON.stringify(checkpoint) } });
    return { added: fresh.length, updated, removed: gone };
  });
  requests.pending -= sent;
  tracker.changed(counts.added, counts.updated, counts.removed);
  page.documents.forEach((_, i) => tracker.itemDone(page.labels?.[i]));
  page.failures.forEach((f) => tracker.itemDone(f.title ? `Failed: ${f.title}` : `Failed: ${f.externalId}`, true));
}
