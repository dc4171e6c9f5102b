"use client";

import { useCallback, useEffect, useState } from "react";
import { AlertCircle, CheckCircle2, Clock, Inbox, Mail, RefreshCw } from "lucide-react";
import type { NotificationDetail, NotificationSummary } from "@/lib/contract/api";
import { formatWhen, statusView, type StatusTone } from "./status";
import { getNotification, listNotifications } from "@/components/api-client";

export interface NotificationsViewProps {
  initial: NotificationSummary[];
}

/** While an email waits for delivery, re-read the list this often. */
const REFRESH_MS = 5000;

const TONE: Record<StatusTone, { cls: string; Icon: typeof Mail }> = {
  ok: { cls: "bg-green-50 text-green-700 ring-green-200", Icon: CheckCircle2 },
  info: { cls: "bg-neutral-100 text-neutral-700 ring-neutral-200", Icon: Inbox },
  warn: { cls: "bg-amber-50 text-amber-800 ring-amber-200", Icon: RefreshCw },
  error: { cls: "bg-red-50 text-red-700 ring-red-200", Icon: AlertCircle },
};

function StatusBadge({ n }: { n: NotificationSummary }) {
  const v = statusView(n);
  const { cls, Icon } = TONE[v.tone];
  return (
    <span data-testid="notification-status" className={`inline-flex shrink-0 items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${cls}`}>
      <Icon aria-hidden className="h-3 w-3" />
      {v.label}
    </span>
  );
}

type Detail = { id: string } & ({ state: "loading" } | { state: "error"; message: string } | { state: "ready"; n: NotificationDetail });

export function NotificationsView({ initial }: NotificationsViewProps) {
  const [items, setItems] = useState(initial);
  const [selected, setSelected] = useState<string | null>(initial[0]?.id ?? null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [tab, setTab] = useState<"html" | "text">("html");

  const refresh = useCallback(async () => {
    const r = await listNotifications();
    if (r.status === 401) return window.location.assign("/sign-in");
    if (r.ok && Array.isArray(r.body.notifications)) setItems(r.body.notifications);
  }, []);

  const waiting = items.some((n) => n.status === "pending");
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(t);
  }, [waiting, refresh]);

  useEffect(() => {
    if (!selected) return;
    let cancelled = false;
    setDetail({ id: selected, state: "loading" });
    void (async () => {
      const r = await getNotification(selected);
      if (cancelled) return;
      if (r.status === 401) return window.location.assign("/sign-in");
      if (r.ok && r.body.notification) return setDetail({ id: selected, state: "ready", n: r.body.notification });
      const message = r.status === 0 ? "Could not reach the server to load the email." : ((!r.ok && r.error) || "Could not load the email. Try again in a moment.");
      setDetail({ id: selected, state: "error", message });
    })();
    return () => {
      cancelled = true;
    };
  }, [selected]);

  if (items.length === 0) {
    return (
      <div data-testid="notifications-empty" className="rounded-2xl bg-white p-8 text-center shadow-sm ring-1 ring-neutral-200">
        <Mail aria-hidden className="mx-auto h-8 w-8 text-neutral-400" />
        <p className="mt-3 text-sm text-neutral-600">No emails yet. When a sync brings something new or fails, its email shows up here (see “Email me about” above).</p>
      </div>
    );
  }

  const current = items.find((n) => n.id === selected);
  const view = current ? statusView(current) : null;

  return (
    <div className="grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
      <ul data-testid="notification-list" aria-label="Emails" className="min-w-0 divide-y divide-neutral-200 self-start overflow-hidden rounded-2xl bg-white shadow-sm ring-1 ring-neutral-200">
        {items.map((n) => {
          const active = n.id === selected;
          const v = statusView(n);
          return (
            <li key={n.id}>
              <button
                type="button"
                data-testid="notification-item"
                aria-current={active ? "true" : undefined}
                onClick={() => {
                  setSelected(n.id);
                  setTab("html");
                }}
                className={`block w-full px-4 py-3 text-left focus-visible:outline-2 focus-visible:outline-blue-600 ${active ? "bg-blue-50" : "hover:bg-neutral-50"}`}
              >
                <div className="flex items-start justify-between gap-3">
                  <span data-testid="notification-subject" className="min-w-0 text-sm font-medium text-neutral-900">
                    {n.subject}
                  </span>
                  <StatusBadge n={n} />
                </div>
                <div className="mt-1 flex min-w-0 items-center gap-1 text-xs text-neutral-600">
                  <Clock aria-hidden className="h-3 w-3 shrink-0" />
                  <time dateTime={n.sent_at ?? n.created_at} className="shrink-0" suppressHydrationWarning>
                    {formatWhen(n.sent_at ?? n.created_at)}
                  </time>
                  <span aria-hidden>·</span>
                  <span className="min-w-0 truncate">to {n.to_email}</span>
                </div>
                {v.detail && n.status !== "stored" ? <p className={`mt-1 text-xs ${v.tone === "error" ? "text-red-700" : "text-amber-800"}`}>{v.detail}</p> : null}
              </button>
            </li>
          );
        })}
      </ul>

      <section aria-label="Email preview" data-testid="notification-preview" className="min-w-0 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-neutral-200 sm:p-5">
        {current && view ? (
          <>
            <h2 data-testid="preview-subject" className="break-words text-lg font-semibold text-neutral-900">
              {current.subject}
            </h2>
            <p className="mt-1 break-words text-sm text-neutral-600">
              To {current.to_email} · {formatWhen(current.sent_at ?? current.created_at)}
            </p>
            <p data-testid="preview-status" className="mt-1 break-all text-sm text-neutral-600">
              {view.detail ?? (current.status === "sent" ? `Sent${current.message_id ? ` as ${current.message_id}` : ""}.` : view.label)}
            </p>
            <div role="tablist" aria-label="Email part" className="mt-4 flex gap-1">
              {(["html", "text"] as const).map((t) => (
                <button
                  key={t}
                  type="button"
                  role="tab"
                  aria-selected={tab === t}
                  data-testid={`preview-tab-${t}`}
                  onClick={() => setTab(t)}
                  className={`rounded-md px-3 py-1.5 text-sm font-medium ${tab === t ? "bg-blue-50 text-blue-700" : "text-neutral-600 hover:bg-neutral-100"}`}
                >
                  {t === "html" ? "HTML" : "Plain text"}
                </button>
              ))}
            </div>
            <div className="mt-3">
              {detail?.id !== current.id || detail.state === "loading" ? (
                <p className="text-sm text-neutral-600">Loading…</p>
              ) : detail.state === "error" ? (
                <p role="alert" className="text-sm text-red-700">
                  {detail.message}
                </p>
              ) : tab === "html" ? (
                // sandbox="" : no scripts, no forms, no same-origin access — the HTML exactly as sent, inert.
                <iframe
                  data-testid="preview-html"
                  title={`Email: ${detail.n.subject}`}
                  sandbox=""
                  srcDoc={detail.n.html}
                  referrerPolicy="no-referrer"
                  className="block h-[560px] w-full max-w-full rounded-lg ring-1 ring-neutral-200 sm:h-[640px]"
                />
              ) : (
                <pre data-testid="preview-text" className="max-h-[640px] overflow-auto whitespace-pre-wrap rounded-lg bg-neutral-50 p-4 text-sm text-neutral-800 ring-1 ring-neutral-200">
                  {detail.n.text}
                </pre>
              )}
            </div>
          </>
        ) : (
          <p className="text-sm text-neutral-600">Choose an email to see it as it was sent.</p>
        )}
      </section>
    </div>
  );
}

export default NotificationsView;
