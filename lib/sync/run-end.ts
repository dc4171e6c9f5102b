// What happens when a run ends, decided by the sync layer and written by the progress store in
// the same transaction as the run's terminal event (so it happens exactly once, and only for the
// execution that still owns the run): the connection is released and records its last sync, and
// the run's email is recorded in the outbox. After commit the mail sender is woken.
import type { Prisma } from "@/lib/db";
import { appendEvent, type RunEndHook } from "@/lib/progress/store";
import type { EventSink } from "@/lib/progress/tracker";
import type { Fence } from "@/lib/progress/fence";
import { enqueueRunNotification } from "@/lib/notify/outbox";
import { wakeMailer } from "@/lib/notify/wake";
import type { TerminalStatus } from "@/lib/contract";

export const runEnd: RunEndHook = {
  async inTransaction(tx: Prisma.TransactionClient, runId: string, status: TerminalStatus, at: Date): Promise<void> {
    const run = await tx.syncRun.findUniqueOrThrow({ where: { id: runId }, select: { connectionId: true } });
    await tx.connection.updateMany({
      where: { id: run.connectionId, activeRunId: runId },
      data: { activeRunId: null, lastSyncStatus: status, lastSyncAt: at, ...(status === "complete" ? { lastSuccessAt: at } : {}) },
    });
    // The transactional outbox: the email exists if and only if the run ended.
    await enqueueRunNotification(tx, { id: runId, status });
  },
  // Delivery happens after commit, asynchronously: it never delays or changes the run.
  afterCommit: wakeMailer,
};

/** The event sink of an execution holding `fence`: fenced events, the run's end on the terminal one. */
export function runEventSink(fence: Fence): EventSink {
  return (seq, name, data) => appendEvent(fence, seq, name, data, runEnd);
}
