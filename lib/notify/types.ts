// Shapes of the notifications API, shared by the route handlers and the UI (types only).

export type NotificationKindName = "sync_complete" | "sync_failed";
export type NotificationStatusName = "pending" | "sent" | "failed" | "stored";
export type NotifyOnName = "all" | "failures" | "never";

/** GET /api/notifications -> { success: true, notifications: NotificationSummary[] } */
export interface NotificationSummary {
  id: string;
  kind: NotificationKindName;
  run_id: string;
  to_email: string;
  subject: string;
  status: NotificationStatusName;
  attempts: number;
  /** Why the last send failed (pending: retrying; failed: gave up). Never contains the SMTP password. */
  last_error: string | null;
  /** When the next attempt is due (pending only). */
  next_attempt_at: string | null;
  message_id: string | null;
  sent_at: string | null;
  created_at: string;
}

/** GET /api/notifications/{id} -> { success: true, notification: NotificationDetail } */
export interface NotificationDetail extends NotificationSummary {
  html: string;
  text: string;
}
