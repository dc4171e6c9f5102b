// What the notification routes and pages call. Always scoped to the signed-in user.
import { z } from "zod";
import { db } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import { notFound } from "@/lib/api/errors";
import type { Notification } from "@/lib/generated/prisma/client";
import { DEFAULT_NOTIFY_ON, NOTIFY_ON, type NotifyOn } from "@/lib/notify/outbox";
import type { NotificationDetail, NotificationSummary } from "@/lib/notify/types";

export const LIST_LIMIT = 100;

export const notifyOnBody = z
  .object({
    notifyOn: z.enum(NOTIFY_ON, { error: () => `notifyOn must be one of: ${NOTIFY_ON.join(", ")}` }),
  })
  .strict();

const summarySelect = {
  id: true,
  kind: true,
  runId: true,
  toEmail: true,
  subject: true,
  status: true,
  attempts: true,
  lastError: true,
  nextAttemptAt: true,
  messageId: true,
  sentAt: true,
  createdAt: true,
} as const;

type SummaryRow = Pick<Notification, keyof typeof summarySelect>;

function toSummary(n: SummaryRow): NotificationSummary {
  return {
    id: n.id,
    kind: n.kind as NotificationSummary["kind"],
    run_id: n.runId,
    to_email: n.toEmail,
    subject: n.subject,
    status: n.status as NotificationSummary["status"],
    attempts: n.attempts,
    last_error: n.lastError,
    next_attempt_at: n.status === "pending" ? n.nextAttemptAt.toISOString() : null,
    message_id: n.messageId,
    sent_at: n.sentAt?.toISOString() ?? null,
    created_at: n.createdAt.toISOString(),
  };
}

/** The viewer's emails, newest first. */
export async function listNotifications(viewer: Viewer, limit = LIST_LIMIT): Promise<NotificationSummary[]> {
  const rows = await db().notification.findMany({
    where: { userId: viewer.userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: summarySelect,
  });
  return rows.map(toSummary);
}

/** One of the viewer's emails with its HTML and text exactly as recorded; 404 for anyone else's. */
export async function getNotification(viewer: Viewer, id: string): Promise<NotificationDetail> {
  const n = await db().notification.findFirst({ where: { id, userId: viewer.userId } });
  if (!n) throw notFound("No such notification");
  return { ...toSummary(n), html: n.html, text: n.text };
}

export async function getNotifyOn(viewer: Viewer): Promise<NotifyOn> {
  const s = await db().notificationSetting.findUnique({ where: { userId: viewer.userId }, select: { notifyOn: true } });
  return (NOTIFY_ON as readonly string[]).includes(s?.notifyOn ?? "") ? (s!.notifyOn as NotifyOn) : DEFAULT_NOTIFY_ON;
}

export async function setNotifyOn(viewer: Viewer, notifyOn: NotifyOn): Promise<NotifyOn> {
  await db().notificationSetting.upsert({
    where: { userId: viewer.userId },
    create: { userId: viewer.userId, notifyOn },
    update: { notifyOn },
  });
  return notifyOn;
}
