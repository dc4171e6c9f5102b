// How an email's delivery state reads in the outbox list (pure; shared by list and preview).
import type { NotificationSummary } from "@/lib/contract/api";

export type StatusTone = "ok" | "info" | "warn" | "error";

export interface StatusView {
  /** Short badge text. */
  label: string;
  /** The longer line under the subject, if any. */
  detail: string | null;
  tone: StatusTone;
}

export function statusView(n: Pick<NotificationSummary, "status" | "last_error" | "attempts">): StatusView {
  switch (n.status) {
    case "sent":
      return { label: "Sent", detail: null, tone: "ok" };
    case "stored":
      return { label: "In outbox", detail: "In outbox — email sending is not set up on this server, so it was kept here instead of sent.", tone: "info" };
    case "failed":
      return { label: "Failed", detail: `Failed: ${n.last_error ?? "the mail server refused it"}`, tone: "error" };
    default:
      return n.last_error
        ? { label: "Retrying", detail: `Retrying: ${n.last_error}`, tone: "warn" }
        : { label: "Sending", detail: "Waiting to be sent…", tone: "info" };
  }
}

export const NOTIFY_ON_OPTIONS = [
  { value: "changes", label: "Changes and failures", hint: "An email when a sync brings something new or fails. The default." },
  { value: "all", label: "Every sync", hint: "An email after every sync, even when nothing changed." },
  { value: "failures", label: "Failures only", hint: "An email only when a sync fails." },
  { value: "never", label: "Never", hint: "No emails. Syncs still show their result in the app." },
] as const;

/** The choices this page offers ("changes" is the server's newer default). */
export type NotifyChoice = (typeof NOTIFY_ON_OPTIONS)[number]["value"];

export function isNotifyChoice(v: unknown): v is NotifyChoice {
  return NOTIFY_ON_OPTIONS.some((o) => o.value === v);
}

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
}
