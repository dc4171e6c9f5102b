"use client";

import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import {
  AlertTriangle,
  CheckCircle,
  Circle,
  History,
  Loader2,
  KeyRound,
  RefreshCw,
  Unplug,
  type LucideIcon,
} from "lucide-react";
import type { ConnectorType } from "@/lib/contract";
import type { IntegrationSummary, LastSyncStatus } from "./types";
import { formatDateTime, formatRelative, plural } from "./labels";
import SyncHistory from "./SyncHistory";
import { PROVIDER_ICONS as ICONS, PROVIDER_TINTS as ICON_TINT, TOKEN_HINTS } from "./provider-look";

const LAST_STATUS: Record<LastSyncStatus, { text: string; cls: string }> = {
  complete: { text: "Succeeded", cls: "text-green-700" },
  error: { text: "Failed", cls: "text-red-700" },
  cancelled: { text: "Cancelled", cls: "text-neutral-600" },
};

export type CardBusy = "connect" | "sync" | "token" | "disconnect" | null;

export interface IntegrationCardProps {
  integration: IntegrationSummary;
  /** A request for this card is in flight. */
  busy?: CardBusy;
  /** The progress modal is currently showing this card's active sync. */
  modalOpen?: boolean;
  onConnect: (type: ConnectorType) => void;
  onSync: (type: ConnectorType) => void;
  onViewProgress: (type: ConnectorType, syncId: string) => void;
  /** Connects with a pasted token; resolves to an error message, or null when connected. */
  onPasteToken?: (type: ConnectorType, token: string) => Promise<string | null>;
  /** Opens the disconnect confirmation. */
  onDisconnect?: (type: ConnectorType) => void;
}

/** Re-renders every `ms` so relative times stay fresh. */
function useTick(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const btnBase =
  "inline-flex items-center justify-center gap-1.5 rounded-lg px-3.5 py-2 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 disabled:cursor-not-allowed";
const btnPrimary = `${btnBase} bg-blue-600 text-white hover:bg-blue-700 disabled:bg-blue-300`;
const btnSecondary = `${btnBase} bg-white text-neutral-700 ring-1 ring-neutral-300 hover:bg-neutral-50 disabled:text-neutral-400`;
const btnSmallBase =
  "inline-flex items-center justify-center gap-1.5 rounded-lg bg-white px-3 py-2 text-sm font-medium ring-1 transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-not-allowed disabled:opacity-60";
const btnSmall = `${btnSmallBase} text-neutral-700 ring-neutral-300 hover:bg-neutral-50 focus-visible:outline-blue-600`;
const btnDanger = `${btnSmallBase} text-red-700 ring-red-200 hover:bg-red-50 focus-visible:outline-red-600`;

/** One fact of the card: label left, value right; the label never wraps. */
function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-baseline justify-between gap-3">
      <dt className="shrink-0 whitespace-nowrap text-neutral-600">{label}</dt>
      <dd className="min-w-0 truncate text-right text-neutral-800">{children}</dd>
    </div>
  );
}

/** "2 minutes ago", ticking with the card; the exact time on hover. */
function RelativeTime({ iso, now, testId }: { iso: string; now: number; testId?: string }) {
  return (
    <time data-testid={testId} dateTime={iso} title={formatDateTime(iso)} suppressHydrationWarning>
      {formatRelative(iso, now)}
    </time>
  );
}

/**
 * The last successful sync: the server's last_success_at, or the latest attempt when that one
 * succeeded (a card updated in place when a run ends); never a failed attempt's time.
 */
export function lastSuccessAt(it: IntegrationSummary): string | null {
  if (it.last_sync_status === "complete" && it.last_sync_at && (!it.last_success_at || it.last_sync_at > it.last_success_at)) return it.last_sync_at;
  return it.last_success_at ?? null;
}

export function IntegrationCard({
  integration: it,
  busy = null,
  modalOpen = false,
  onConnect,
  onSync,
  onViewProgress,
  onPasteToken,
  onDisconnect,
}: IntegrationCardProps) {
  const now = useTick(15_000);
  const historyId = useId();
  const tokenInputId = useId();
  const [pasteOpen, setPasteOpen] = useState(false);
  const [token, setToken] = useState("");
  const [pasteError, setPasteError] = useState<string | null>(null);
  const [historyOpen, setHistoryOpen] = useState(false);
  const Icon = ICONS[it.type] ?? Circle;
  const active = it.active_sync_id !== null;
  const available = it.sync_available !== false;
  const needsReauth = it.connected && it.status === "needs_reauth";
  const syncing = active || busy === "sync";

  let statusText: string;
  let statusCls: string;
  let StatusIcon: LucideIcon;
  if (!available && !active) {
    statusText = "Coming soon";
    statusCls = "text-neutral-600";
    StatusIcon = Circle;
  } else if (!it.connected) {
    statusText = "Not connected";
    statusCls = "text-neutral-600";
    StatusIcon = Circle;
  } else if (needsReauth) {
    statusText = "Needs reconnecting";
    statusCls = "text-amber-700";
    StatusIcon = AlertTriangle;
  } else if (active) {
    statusText = "Syncing";
    statusCls = "text-blue-700";
    StatusIcon = RefreshCw;
  } else {
    statusText = "Connected";
    statusCls = "text-green-700";
    StatusIcon = CheckCircle;
  }

  const last = it.last_sync_status ? LAST_STATUS[it.last_sync_status] : null;
  const lastSynced = lastSuccessAt(it);
  const canConnect = available && (!it.connected || needsReauth);
  const tokenHint = TOKEN_HINTS[it.type];
  const liveReauth = needsReauth && it.mode === "live";

  const submitToken = async (e: FormEvent) => {
    e.preventDefault();
    if (!onPasteToken) return;
    const value = token.trim();
    if (!value) return setPasteError("Paste the token first.");
    setPasteError(null);
    const error = await onPasteToken(it.type, value);
    if (error) {
      setPasteError(error);
    } else {
      setToken("");
      setPasteOpen(false);
    }
  };

  return (
    <article
      data-testid={`card-${it.type}`}
      data-connected={it.connected ? "true" : "false"}
      data-syncing={active ? "true" : "false"}
      data-available={available ? "true" : "false"}
      aria-labelledby={`card-title-${it.type}`}
      tabIndex={-1}
      className={`flex min-w-0 flex-col rounded-2xl outline-none bg-white p-5 shadow-sm ring-1 ring-neutral-200 ${available ? "" : "opacity-75"}`}
    >
      <div className="flex items-start gap-3">
        <span className={`flex h-10 w-10 shrink-0 items-center justify-center rounded-xl ${ICON_TINT[it.type] ?? "bg-neutral-100"}`}>
          <Icon aria-hidden className="h-5 w-5" />
        </span>
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <h2 id={`card-title-${it.type}`} className="text-base font-semibold text-neutral-900">
              {it.label}
            </h2>
            {it.mode ? (
              <span
                data-testid={`mode-${it.type}`}
                className="rounded-full bg-blue-50 px-2 py-0.5 text-xs font-medium text-blue-700 ring-1 ring-blue-100"
              >
                {it.mode === "sandbox" ? "Sandbox" : "Live"}
              </span>
            ) : null}
          </div>
          <p data-testid={`status-${it.type}`} className={`mt-0.5 flex items-center gap-1 text-sm ${statusCls}`}>
            <StatusIcon aria-hidden className={`h-3.5 w-3.5 ${active ? "animate-spin motion-reduce:animate-none" : ""}`} />
            {statusText}
          </p>
        </div>
      </div>

      <dl className="mt-4 space-y-1.5 text-sm">
        <Row label="Account">
          {it.account_label ? (
            <span data-testid={`account-${it.type}`} title={it.account_label}>
              {it.account_label}
            </span>
          ) : (
            <span className="text-neutral-600">—</span>
          )}
        </Row>
        <Row label="Items">
          <span data-testid={`items-${it.type}`} className="tabular-nums">
            {plural(it.item_count, "item", "items")}
          </span>
        </Row>
        <Row label="Last synced">
          {lastSynced ? (
            <RelativeTime testId={`last-sync-${it.type}`} iso={lastSynced} now={now} />
          ) : (
            <span data-testid={`last-sync-${it.type}`} className="text-neutral-600">
              {it.last_sync_at ? "Not yet" : "Never"}
            </span>
          )}
        </Row>
        {/* Always four rows, so the action rows of neighbouring cards line up. */}
        <Row label="Last attempt">
          {it.last_sync_at && last ? (
            <span data-testid={`last-attempt-${it.type}`}>
              <RelativeTime iso={it.last_sync_at} now={now} />
              <span data-testid={`last-status-${it.type}`} className={`ml-1 ${last.cls}`}>
                · {last.text}
              </span>
            </span>
          ) : (
            <span data-testid={`last-attempt-${it.type}`} className="text-neutral-600">
              {active ? "Running now" : "—"}
            </span>
          )}
        </Row>
      </dl>

      {/* One action row, right under the facts (cards are top-aligned on the board, so the rows line up). */}
      <div data-testid={`actions-${it.type}`} className="mt-4 flex flex-wrap items-center gap-2">
        {!available && !active ? (
          <p data-testid={`unavailable-${it.type}`} className="text-sm text-neutral-600">
            Not available in this version yet.
          </p>
        ) : null}
        {canConnect && it.live_available ? (
          <a href={`/api/integrations/${it.type}/oauth/start`} data-testid={`connect-live-${it.type}`} className={btnPrimary}>
            {liveReauth ? `Reconnect ${it.label}` : `Connect ${it.label}`}
          </a>
        ) : null}
        {canConnect && it.sandbox_available !== false ? (
          <button
            type="button"
            data-testid={`connect-${it.type}`}
            onClick={() => onConnect(it.type)}
            disabled={busy === "connect"}
            className={it.live_available ? btnSecondary : btnPrimary}
          >
            {busy === "connect" ? <Loader2 aria-hidden className="h-4 w-4 animate-spin" /> : null}
            {busy === "connect" ? "Connecting…" : needsReauth && it.mode === "sandbox" ? "Reconnect sandbox" : "Connect sandbox"}
          </button>
        ) : null}
        {available && it.connected ? (
          <button
            type="button"
            data-testid={`sync-${it.type}`}
            onClick={() => onSync(it.type)}
            disabled={syncing || needsReauth}
            aria-busy={syncing}
            className={needsReauth ? btnSecondary : btnPrimary}
          >
            {syncing ? <Loader2 aria-hidden className="h-4 w-4 animate-spin motion-reduce:animate-none" /> : <RefreshCw aria-hidden className="h-4 w-4" />}
            {syncing ? "Syncing…" : "Sync"}
          </button>
        ) : null}
        {active && !modalOpen ? (
          <button type="button" data-testid={`view-progress-${it.type}`} onClick={() => onViewProgress(it.type, it.active_sync_id!)} className={btnSecondary}>
            View progress
          </button>
        ) : null}
        {it.connected || it.last_sync_at ? (
          <button
            type="button"
            data-testid={`history-${it.type}`}
            aria-expanded={historyOpen}
            aria-controls={historyId}
            onClick={() => setHistoryOpen((v) => !v)}
            className={btnSmall}
          >
            <History aria-hidden className="h-3.5 w-3.5" />
            {historyOpen ? "Hide history" : "History"}
          </button>
        ) : null}
        {canConnect && tokenHint && onPasteToken && !pasteOpen ? (
          <button
            type="button"
            data-testid={`paste-token-${it.type}`}
            onClick={() => {
              setPasteOpen(true);
              setPasteError(null);
            }}
            className={btnSmall}
          >
            <KeyRound aria-hidden className="h-3.5 w-3.5" />
            Paste a token
          </button>
        ) : null}
        {it.connected && onDisconnect ? (
          <button
            type="button"
            data-testid={`disconnect-${it.type}`}
            onClick={() => onDisconnect(it.type)}
            disabled={active || busy === "disconnect"}
            title={active ? "Wait for the running sync to finish, or cancel it, before disconnecting." : undefined}
            className={btnDanger}
          >
            <Unplug aria-hidden className="h-3.5 w-3.5" />
            Disconnect
          </button>
        ) : null}
      </div>

      {it.status_message && (needsReauth || it.status !== "connected") ? (
        <p className="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-900">{it.status_message}</p>
      ) : null}

      {/* For people, not operators: which settings are missing is in the README and the start-up log. */}
      {canConnect && !it.live_available ? (
        <p data-testid={`live-hint-${it.type}`} className="mt-3 text-xs text-neutral-600">
          Live connection not set up on this server.
        </p>
      ) : null}

      {historyOpen ? (
        <div id={historyId}>
          <SyncHistory type={it.type} refreshKey={`${it.active_sync_id ?? ""}|${it.last_sync_at ?? ""}`} />
        </div>
      ) : null}

      {canConnect && tokenHint && onPasteToken && pasteOpen ? (
        <form data-testid={`token-form-${it.type}`} onSubmit={submitToken} className="mt-3 space-y-2 rounded-xl bg-neutral-50 p-3 ring-1 ring-neutral-200">
          <label htmlFor={tokenInputId} className="block text-xs font-medium text-neutral-700">
            {it.label} token
          </label>
          <p className="text-xs text-neutral-500">{tokenHint} It is checked with {it.label} and stored encrypted.</p>
          <input
            id={tokenInputId}
            type="password"
            data-testid={`token-input-${it.type}`}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            maxLength={4096}
            disabled={busy === "token"}
            className="w-full rounded-lg border border-neutral-300 bg-white px-2.5 py-1.5 font-mono text-sm focus-visible:outline-2 focus-visible:outline-blue-600"
          />
          {pasteError ? (
            <p role="alert" data-testid={`token-error-${it.type}`} className="text-xs text-red-700">
              {pasteError}
            </p>
          ) : null}
          <div className="flex gap-2">
            <button type="submit" data-testid={`token-submit-${it.type}`} disabled={busy === "token"} className={btnPrimary}>
              {busy === "token" ? <Loader2 aria-hidden className="h-4 w-4 animate-spin" /> : null}
              {busy === "token" ? "Checking…" : "Connect"}
            </button>
            <button
              type="button"
              onClick={() => {
                setPasteOpen(false);
                setToken("");
                setPasteError(null);
              }}
              disabled={busy === "token"}
              className={btnSecondary}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </article>
  );
}

export default IntegrationCard;
