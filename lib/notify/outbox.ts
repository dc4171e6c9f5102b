// The transactional outbox: a run's email is rendered and recorded in the same database
// transaction that writes the run's terminal event (lib/progress/store.ts appendEvent), so
// a run never ends without its email being recorded, and an email never exists for a run
// that did not end. Delivery happens later, after commit (lib/notify/sender.ts).
import type { Prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";
import { publicOrigin } from "@/lib/notify/config";
import {
  MAX_FAILED_ITEMS,
  completeSubject,
  failedSubject,
  integrationsUrl,
  renderSyncComplete,
  renderSyncFailed,
  type RenderedEmail,
  type RunEmailInput,
} from "@/lib/notify/templates";
import { logger } from "@/lib/platform/logger";
import { hadChanges, type LibraryChanges } from "@/lib/sync/run-words";

export const NOTIFICATION_KINDS = ["sync_complete", "sync_failed"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * all: every sync; changes: a sync that brought something (or failed), not "Already up to date"
 * (the default: a re-sync with nothing new is not worth an email); failures; never.
 */
export const NOTIFY_ON = ["all", "changes", "failures", "never"] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];
export const DEFAULT_NOTIFY_ON: NotifyOn = "changes";

export const NOTIFICATION_STATUSES = ["pending", "sent", "failed", "stored"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** complete -> sync_complete, error -> sync_failed; a cancelled run sends nothing (the user did it). */
export function kindForStatus(status: string): NotificationKind | null {
  if (status === "complete") return "sync_complete";
  if (status === "error") return "sync_failed";
  return null;
}

/** `changed`: the run handled something (lib/sync/run-words.ts hadChanges). */
export function wantsEmail(notifyOn: string, kind: NotificationKind, changed = true): boolean {
  if (notifyOn === "never") return false;
  if (notifyOn === "failures") return kind === "sync_failed";
  if (notifyOn === "changes") return kind === "sync_failed" || changed;
  return true;
}

export function parseNotes(notes: string | null): string[] {
  if (!notes) return [];
  try {
    const value: unknown = JSON.parse(notes);
    return Array.isArray(value) ? value.filter((n): n is string => typeof n === "string" && n.trim() !== "") : [];
  } catch {
    return [];
  }
}

/** Without SMTP settings mail is kept in the in-app outbox and never sent anywhere. */
function initialStatus(): NotificationStatus {
  return env().SMTP_HOST ? "pending" : "stored";
}

/**
 * Records the email for a run that just ended, inside the caller's transaction `tx`.
 * Honours the user's preference (default: every sync). At most one row per run and kind:
 * the unique index (runId, kind) decides, so a repeated terminal write cannot add a second.
 * A few indexed reads and one insert: it keeps the terminal transaction short.
 */
/** The run's library changes; a run that wrote nothing at all since these counters existed has none to tell. */
function changesOf(row: { addedItems: number; updatedItems: number; removedItems: number }): LibraryChanges {
  return { added: row.addedItems, updated: row.updatedItems, removed: row.removedItems };
}

export async function enqueueRunNotification(tx: Prisma.TransactionClient, run: { id: string; status: string }): Promise<boolean> {
  const kind = kindForStatus(run.status);
  if (!kind) return false;
  const row = await tx.syncRun.findUnique({
    where: { id: run.id },
    include: { failures: { orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: MAX_FAILED_ITEMS } },
  });
  if (!row) return false;
  const setting = await tx.notificationSetting.findUnique({ where: { userId: row.userId }, select: { notifyOn: true } });
  if (!wantsEmail(setting?.notifyOn ?? DEFAULT_NOTIFY_ON, kind, hadChanges({ processed: row.processedItems, failed: row.failedItems, changes: changesOf(row) }))) return false;
  const existing = await tx.notification.findUnique({ where: { runId_kind: { runId: row.id, kind } }, select: { id: true } });
  if (existing) return false;
  const user = await tx.user.findUnique({ where: { id: row.userId }, select: { email: true, emailVerified: true } });
  if (!user) return false;
  // No mail to an address its owner has not confirmed (the verification email aside): it may
  // not be theirs. The Notifications page says "verify your email to get sync emails".
  if (!user.emailVerified) return false;

  const type = row.connectorType as ConnectorType;
  const input: RunEmailInput = {
    connectorType: type,
    provider: CONNECTOR_LABELS[type] ?? row.connectorType,
    totalItems: row.totalItems,
    processedItems: row.processedItems,
    failedItems: row.failedItems,
    changes: changesOf(row),
    startedAt: row.startedAt,
    finishedAt: row.finishedAt ?? new Date(),
    errorMessage: row.errorMessage,
    notes: parseNotes(row.notes),
    failures: row.failures.map((f) => ({ externalId: f.externalId, title: f.title, reason: f.reason })),
    appUrl: publicOrigin(),
  };
  const email = renderSafely(kind, input);
  // upsert with an empty update: on the unique (runId, kind) an existing row is left as it
  // is and no error aborts the terminal transaction (SQLite has no createMany skipDuplicates).
  await tx.notification.upsert({
    where: { runId_kind: { runId: row.id, kind } },
    create: {
      userId: row.userId,
      workspaceId: row.workspaceId,
      runId: row.id,
      kind,
      toEmail: user.email,
      subject: email.subject,
      html: email.html,
      text: email.text,
      status: initialStatus(),
    },
    update: {},
  });
  return true;
}

/** A template bug must never cost the sync its terminal event: fall back to a bare email. */
function renderSafely(kind: NotificationKind, input: RunEmailInput): RenderedEmail {
  try {
    return kind === "sync_complete" ? renderSyncComplete(input) : renderSyncFailed(input);
  } catch (error) {
    logger.error({ err: error }, "[notify] rendering the email failed; sending a plain one");
    const subject = kind === "sync_complete" ? completeSubject(input) : failedSubject(input);
    const link = integrationsUrl(input.appUrl);
    return { subject, text: `${subject}\n\n${link}\n`, html: `<p>${subject.replace(/[&<>]/g, "")}</p><p><a href="${link}">${link}</a></p>` };
  }
}
