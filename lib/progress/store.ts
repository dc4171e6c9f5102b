// Persistence of progress: the run row (current state) and its append-only event log.
// Every event is written together with the run row it describes, then published on the bus.
import { db, type Prisma } from "@/lib/db";
import type { SyncRun } from "@/lib/generated/prisma/client";
import { progressBus } from "@/lib/progress/bus";
import { RunLostError, fencedRun, type Fence } from "@/lib/progress/fence";
import { isTerminal, type ConnectorType, type ProgressData, type SyncEventName, type SyncStatus, type TerminalStatus } from "@/lib/contract";

export function toProgressData(run: SyncRun): ProgressData {
  const p: ProgressData = {
    sync_id: run.id,
    connector_type: run.connectorType as ConnectorType,
    status: run.status as SyncStatus,
    stage: run.stage,
    total_items: run.totalItems,
    processed_items: run.processedItems,
    failed_items: run.failedItems,
    percent_complete: run.percentComplete,
    started_at: run.startedAt.toISOString(),
  };
  if (run.currentItem) p.current_item = run.currentItem;
  if (run.errorMessage) p.error_message = run.errorMessage;
  if (run.finishedAt) p.finished_at = run.finishedAt.toISOString();
  if (run.retryAt) p.retry_at = run.retryAt.toISOString();
  if (run.errorDetail) p.error_detail = run.errorDetail;
  if (run.etaS !== null && run.etaS !== undefined && !isTerminal(run.status)) p.eta_s = run.etaS;
  if (run.counting && !isTerminal(run.status)) p.counting = true;
  p.added_items = run.addedItems;
  p.updated_items = run.updatedItems;
  p.removed_items = run.removedItems;
  return p;
}

function runColumns(p: ProgressData) {
  return {
    status: p.status,
    stage: p.stage,
    totalItems: p.total_items,
    processedItems: p.processed_items,
    failedItems: p.failed_items,
    currentItem: p.current_item ?? null,
    errorMessage: p.error_message ?? null,
    errorDetail: p.error_detail ?? null,
    etaS: p.eta_s ?? null,
    counting: p.counting === true,
    addedItems: p.added_items ?? 0,
    updatedItems: p.updated_items ?? 0,
    removedItems: p.removed_items ?? 0,
    percentComplete: p.percent_complete,
    finishedAt: p.finished_at ? new Date(p.finished_at) : null,
    retryAt: p.retry_at ? new Date(p.retry_at) : null,
  };
}

export interface StoredEvent {
  seq: number;
  name: SyncEventName;
  data: ProgressData;
}

/**
 * What the owner of a run does with its end, in the terminal event's transaction and after its
 * commit (lib/sync/run-end.ts: release the connection, record the email, wake the sender).
 */
export interface RunEndHook {
  inTransaction(tx: Prisma.TransactionClient, runId: string, status: TerminalStatus, at: Date): Promise<void>;
  afterCommit?(): void;
}

/**
 * Appends event `seq` for the run and updates the run row to match, in one transaction, as
 * long as `fence` still owns the run (lib/progress/fence.ts): the run row is updated first, on
 * the fence's condition, so a process that lost the run writes no event at all (RunLostError),
 * and nothing is ever written after the terminal event. A terminal event runs `onEnd` in the
 * same transaction.
 */
export async function appendEvent(fence: Fence, seq: number, name: SyncEventName, data: ProgressData, onEnd?: RunEndHook): Promise<void> {
  const { runId } = fence;
  const payload = JSON.stringify(data);
  const now = new Date();
  const written = await db().$transaction(async (tx) => {
    const { count } = await tx.syncRun.updateMany({
      where: fencedRun(fence),
      data: { ...runColumns(data), lastSeq: seq, heartbeatAt: now },
    });
    if (count === 0) {
      // A retry whose first commit landed (its answer was lost) finds its own event there.
      const row = await tx.syncRun.findUnique({ where: { id: runId }, select: { epoch: true, lastSeq: true } });
      if (row && row.epoch === fence.epoch && row.lastSeq >= seq) return false;
      throw new RunLostError(fence, `event ${seq} (${name})`);
    }
    await tx.syncEvent.create({ data: { runId, seq, name, data: payload } });
    // The run's own end time (the event's finished_at), so the connection's last sync time and
    // the run's finished_at are the same instant, not a millisecond apart.
    if (isTerminal(data.status)) await onEnd?.inTransaction(tx, runId, data.status, data.finished_at ? new Date(data.finished_at) : now);
    return true;
  });
  if (!written) return;
  progressBus().publish({ runId, seq, name, data: payload });
  if (isTerminal(data.status)) onEnd?.afterCommit?.();
}

export async function eventsAfter(runId: string, afterSeq: number, limit = 500): Promise<StoredEvent[]> {
  const rows = await db().syncEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
  });
  return rows.map((r) => ({ seq: r.seq, name: r.name as SyncEventName, data: JSON.parse(r.data) as ProgressData }));
}
