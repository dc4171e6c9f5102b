// Writes one page of a run: its documents (new ones in one multi-row INSERT, stored ones updated),
// its per-item failures and its checkpoint, in one transaction fenced by the run's epoch.
import { createHash } from "node:crypto";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { DocumentInput, SyncPage } from "@/lib/connectors/types";
import { holdFence, type Fence } from "@/lib/progress/fence";
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
): Promise<void> {
  const before = tracker.snapshot;
  const checkpoint: Checkpoint = {
    position: page.checkpoint,
    processed: before.processed_items + page.documents.length,
    failed: before.failed_items + page.failures.length,
    // The total as reported so far (0 = still unknown: a resumed run shows it as unknown too).
    total: before.total_items,
    ...(carried > 0 ? { carried } : {}),
  };
  const { runId } = fence;
  const now = new Date();
  await db().$transaction(async (tx) => {
    // First, and on the fence's condition: a process that lost the run writes no document, and
    // the run row's lock orders this page against a concurrent claim. A checkpoint is progress:
    // the resume budget counts takeovers since the last one (a crash loop), not pauses.
    await holdFence(tx, fence, "page", { checkpoint: JSON.stringify(checkpoint), heartbeatAt: now, resumeCount: 0 });
    // New documents go in with one multi-row INSERT; only those already stored (a re-sync, or a
    // page written again after a lost commit answer) are updated one by one. A first sync's page
    // is then two statements instead of one upsert per document: less time holding a pooled
    // connection, and far less CPU per item in the process that runs the sync.
    const stored = new Set(
      page.documents.length
        ? (
            await tx.document.findMany({
              where: { connectionId: conn.id, externalId: { in: page.documents.map((d) => d.externalId) } },
              select: { externalId: true },
            })
          ).map((d) => d.externalId)
        : [],
    );
    const fresh: Prisma.DocumentCreateManyInput[] = [];
    const seen = new Map<string, number>();
    for (const doc of page.documents) {
      const data = {
        kind: doc.kind,
        title: doc.title,
        text: doc.text,
        url: doc.url ?? null,
        author: doc.author ?? null,
        metadata: doc.metadata ? JSON.stringify(doc.metadata) : null,
        createdAt: doc.createdAt,
        updatedAt: doc.updatedAt,
        contentHash: contentHash(doc),
        syncedAt: now,
        lastRunId: runId,
      };
      const row = { ...data, userId: conn.userId, workspaceId: conn.workspaceId, connectionId: conn.id, externalId: doc.externalId };
      if (stored.has(doc.externalId)) {
        await tx.document.upsert({ where: { connectionId_externalId: { connectionId: conn.id, externalId: doc.externalId } }, create: row, update: data });
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
    if (page.failures.length) {
      await tx.syncItemFailure.createMany({
        data: page.failures.map((f) => ({ runId, userId: conn.userId, externalId: f.externalId, title: f.title ?? null, reason: f.reason, detail: f.detail ?? null })),
      });
    }
  });
  page.documents.forEach((_, i) => tracker.itemDone(page.labels?.[i]));
  page.failures.forEach((f) => tracker.itemDone(f.title ? `Failed: ${f.title}` : `Failed: ${f.externalId}`, true));
}
