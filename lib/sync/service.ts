// What the routes call: start or attach, cancel, read progress. Always scoped by owner.
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import { ApiError, notFound } from "@/lib/api/errors";
import { consume } from "@/lib/api/rate-limit";
import { env } from "@/lib/env";
import { toProgressData } from "@/lib/progress/store";
import { progressBus } from "@/lib/progress/bus";
import { endRun } from "@/lib/sync/attempt";
import { staleAfterMs } from "@/lib/sync/engine";
import { dispatchRun, requestCancel } from "@/lib/sync/queue";
import { isAvailable, providerLabel } from "@/lib/connectors/registry";
import { isTerminal, type ConnectorType, type ProgressData } from "@/lib/sync/types";
import type { FailureItem } from "@/lib/contract/api";
import { logger } from "@/lib/platform/logger";
import type { Checkpoint } from "@/lib/sync/page-writer";

export interface StartResult {
  syncId: string;
  attached: boolean;
}

/** Starts a sync of the viewer's connection, or attaches to the one already running. */
export async function startOrAttach(viewer: Viewer, type: ConnectorType): Promise<StartResult> {
  const label = providerLabel(type);
  const conn = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  if (!conn || conn.status === "disconnected") throw new ApiError(409, `${label} is not connected; connect it first.`);
  if (!isAvailable(type)) throw new ApiError(409, `${label} sync is not available in this version yet.`);

  for (let attempt = 0; attempt < 3; attempt += 1) {
    const syncId = `sync_${randomUUID().replace(/-/g, "")}`;
    const created = await db().$transaction(async (tx) => {
      // The connection row is the lock: only one caller moves activeRunId from null to its run.
      const claimed = await tx.connection.updateMany({ where: { id: conn.id, activeRunId: null }, data: { activeRunId: syncId } });
      if (claimed.count === 0) return null;
      // Only new runs count against the limit: attaching to a running one is free.
      if (!(await consume(`sync-start:${viewer.userId}`, env().SYNC_START_LIMIT_PER_MIN, 60_000)).allowed) {
        await tx.connection.updateMany({ where: { id: conn.id, activeRunId: syncId }, data: { activeRunId: null } });
        return "limited" as const;
      }
      // A run that failed or was cancelled part-way left a checkpoint: continue from it.
      // Safe because the connection's cursor only moves when a run completes.
      const previous = await tx.syncRun.findFirst({
        where: { connectionId: conn.id },
        orderBy: { createdAt: "desc" },
        select: { status: true, checkpoint: true },
      });
      const carried = previous && previous.status !== "complete" && previous.checkpoint ? carryCheckpoint(previous.checkpoint) : null;
      const run = await tx.syncRun.create({
        data: {
          id: syncId,
          userId: viewer.userId,
          workspaceId: conn.workspaceId,
          connectionId: conn.id,
          connectorType: type,
          status: "queued",
          stage: `Waiting to start the ${label} sync…`,
          lastSeq: 1,
          checkpoint: carried,
        },
      });
      const data = JSON.stringify(toProgressData(run));
      await tx.syncEvent.create({ data: { runId: syncId, seq: 1, name: "started", data } });
      return data;
    });
    if (created === "limited") {
      throw new ApiError(429, `You started many syncs in the last minute; try again in a moment.`);
    }
    if (created !== null) {
      progressBus().publish({ runId: syncId, seq: 1, name: "started", data: created });
      await queueRun(syncId);
      return { syncId, attached: false };
    }
    const current = await db().connection.findUnique({ where: { id: conn.id }, select: { activeRunId: true } });
    const activeId = current?.activeRunId;
    if (!activeId) continue; // it just finished; try to start again
    const active = await db().syncRun.findUnique({ where: { id: activeId }, select: { finishedAt: true } });
    if (active && !active.finishedAt) return { syncId: activeId, attached: true };
    // The connection points at a run that is gone or over: release it and try again.
    await db().connection.updateMany({ where: { id: conn.id, activeRunId: activeId }, data: { activeRunId: null } });
  }
  throw new ApiError(409, `Another ${label} sync is starting; try again in a moment.`);
}

/**
 * The checkpoint a new run takes over from an unfinished one: the position to continue from,
 * but counters of its own (0): the new run's numbers are never the previous run's. What the
 * earlier runs handled is kept as `carried`, so the connector's totals (which cover the whole
 * listing) can be read as this run's share.
 */
export function carryCheckpoint(raw: string): string | null {
  let cp: Checkpoint;
  try {
    cp = JSON.parse(raw) as Checkpoint;
  } catch {
    return null;
  }
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0);
  const next: Checkpoint = { position: cp.position, processed: 0, failed: 0, total: 0, carried: n(cp.carried) + n(cp.processed) + n(cp.failed) };
  return JSON.stringify(next);
}

/**
 * Hands a new run to the queue. The run is already recorded: if the queue (Redis) cannot
 * take it right now, the workers' orphan sweep queues it once Redis is back, so the
 * start still succeeds and the run says it is waiting.
 */
async function queueRun(runId: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the queue did not answer within 3 s")), 3000);
  });
  try {
    await Promise.race([dispatchRun(runId), timeout]);
  } catch (error) {
    logger.child({ run_id: runId }).error(`[sync] run ${runId} recorded but not queued yet (${(error as Error).message}); the orphan sweep will queue it`);
  } finally {
    clearTimeout(timer);
  }
}

/** The viewer's run, or 404 (also for another user's run: no existence leak). */
export async function findOwnRun(viewer: Pick<Viewer, "userId">, syncId: string) {
  const run = await db().syncRun.findFirst({ where: { id: syncId, userId: viewer.userId } });
  if (!run) throw notFound("No such sync");
  return run;
}

export async function getProgress(viewer: Viewer, syncId: string): Promise<ProgressData> {
  return toProgressData(await findOwnRun(viewer, syncId));
}

export async function cancelSync(viewer: Viewer, syncId: string): Promise<ProgressData> {
  const run = await findOwnRun(viewer, syncId);
  if (isTerminal(run.status)) return toProgressData(run);
  await db().syncRun.update({ where: { id: run.id }, data: { cancelRequestedAt: new Date() } });
  const orphaned = run.workerId === null || Date.now() - run.heartbeatAt.getTime() > staleAfterMs();
  // Nobody is executing it (still queued, or its process died): end it here and now.
  if (orphaned) await endRun(run.id, "cancelled", "Cancelled");
  else await requestCancel(run.id);
  // Give an executing run a moment to record its terminal event, so the answer is final.
  for (let i = 0; i < 100; i += 1) {
    const now = await db().syncRun.findUniqueOrThrow({ where: { id: run.id } });
    if (isTerminal(now.status)) return toProgressData(now);
    await new Promise((r) => setTimeout(r, 50));
  }
  return toProgressData(await db().syncRun.findUniqueOrThrow({ where: { id: run.id } }));
}

export type { FailureItem } from "@/lib/contract/api";

export async function listFailures(viewer: Viewer, syncId: string, limit = 20): Promise<{ total: number; failures: FailureItem[] }> {
  const run = await findOwnRun(viewer, syncId);
  const [total, rows] = await Promise.all([
    db().syncItemFailure.count({ where: { runId: run.id } }),
    db().syncItemFailure.findMany({ where: { runId: run.id }, orderBy: { createdAt: "asc" }, take: limit }),
  ]);
  return { total, failures: rows.map((r) => ({ external_id: r.externalId, title: r.title, reason: r.reason, detail: r.detail })) };
}
