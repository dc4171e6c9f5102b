// Sync history of one connection: its runs, newest first. Scoped by owner.
import type { HistoryRun } from "@/lib/contract/api";
import { db } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import type { ConnectorType } from "@/lib/sync/types";

export type { HistoryRun };

function parseNotes(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export async function listHistory(viewer: Viewer, type: ConnectorType, limit: number): Promise<HistoryRun[]> {
  const conn = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } }, select: { id: true, userId: true } });
  if (!conn || conn.userId !== viewer.userId) return [];
  const runs = await db().syncRun.findMany({
    where: { connectionId: conn.id, userId: viewer.userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: {
      id: true,
      status: true,
      startedAt: true,
      finishedAt: true,
      totalItems: true,
      processedItems: true,
      failedItems: true,
      errorMessage: true,
      errorDetail: true,
      stage: true,
      notes: true,
      addedItems: true,
      updatedItems: true,
      removedItems: true,
    },
  });
  return runs.map((r) => ({
    id: r.id,
    status: r.status,
    started_at: r.startedAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
    duration_ms: r.finishedAt ? Math.max(0, r.finishedAt.getTime() - r.startedAt.getTime()) : null,
    total_items: r.totalItems,
    processed_items: r.processedItems,
    failed_items: r.failedItems,
    added_items: r.addedItems,
    updated_items: r.updatedItems,
    removed_items: r.removedItems,
    error_message: r.errorMessage,
    detail: r.errorDetail,
    summary: r.stage,
    notes: parseNotes(r.notes),
  }));
}
