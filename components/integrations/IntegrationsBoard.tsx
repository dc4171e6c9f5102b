"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { AlertCircle, AlertTriangle, CheckCircle, X } from "lucide-react";
import type { ConnectorType, ProgressData } from "@/lib/contract";
import IntegrationCard, { type CardBusy } from "./IntegrationCard";
import SyncProgressModal from "./SyncProgressModal";
import DisconnectDialog from "./DisconnectDialog";
import { connectorLabel } from "./labels";
import { oauthConnectedMessage, oauthErrorMessage } from "./oauth-messages";
import type { IntegrationSummary } from "./types";
import {
  connectSandbox,
  connectWithToken,
  disconnectIntegration,
  listIntegrations,
  startSync,
  type ApiFailure,
} from "@/components/api-client";

export interface IntegrationsBoardProps {
  initial: IntegrationSummary[];
}

interface OpenModal {
  syncId: string;
  type: ConnectorType;
}

interface Notice {
  kind: "success" | "warning" | "error";
  text: string;
}

const NOTICE_STYLE: Record<Notice["kind"], string> = {
  success: "border-green-200 bg-green-50 text-green-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
  error: "border-red-200 bg-red-50 text-red-800",
};

/** While any sync runs, refresh the cards this often (runs started in another tab or by the API included). */
const ACTIVE_REFRESH_MS = 4000;
/** Otherwise, while the page is visible, look for a run started elsewhere this often. */
const IDLE_REFRESH_MS = 20_000;

/** The words a card shows for a failed call. */
function failureMessage(r: ApiFailure): string {
  if (r.status === 0) return "Could not reach the server. Check your connection and try again.";
  return r.error ?? (r.status === 401 ? "Your session has expired. Please sign in again." : "Something went wrong on the server. Try again in a moment.");
}

/**
 * Where focus goes back to when a dialog of this card closes: the control that opened it when it
 * is still there and enabled, else the card's next best control, else the card itself.
 */
function focusCardControl(type: ConnectorType, preferred: string[]): void {
  for (const id of [...preferred, `sync-${type}`, `connect-${type}`, `connect-live-${type}`]) {
    const el = document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    if (el && !(el as HTMLButtonElement).disabled && el.offsetParent !== null) {
      el.focus();
      return;
    }
  }
  document.querySelector<HTMLElement>(`[data-testid="card-${type}"]`)?.focus();
}

export function IntegrationsBoard({ initial }: IntegrationsBoardProps) {
  const [items, setItems] = useState<IntegrationSummary[]>(initial);
  const [modal, setModal] = useState<OpenModal | null>(null);
  const [busy, setBusy] = useState<Partial<Record<ConnectorType, CardBusy>>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [disconnecting, setDisconnecting] = useState<{ type: ConnectorType; error: string | null } | null>(null);

  const setCardBusy = (type: ConnectorType, value: CardBusy) => setBusy((b) => ({ ...b, [type]: value }));
  const patchCard = (type: ConnectorType, patch: Partial<IntegrationSummary>) =>
    setItems((list) => list.map((it) => (it.type === type ? { ...it, ...patch } : it)));

  const handleUnauthorized = (status: number) => {
    if (status === 401) {
      window.location.assign("/sign-in");
      return true;
    }
    return false;
  };

  const refresh = useCallback(async () => {
    const r = await listIntegrations();
    if (r.ok) {
      if (Array.isArray(r.body.integrations)) setItems(r.body.integrations);
    } else if (r.status === 401) {
      window.location.assign("/sign-in");
    }
    // Other refresh failures stay quiet: the cards keep their last known state.
  }, []);

  // Reloading mid-sync re-opens the modal on the running sync.
  const reopenedRef = useRef(false);
  useEffect(() => {
    if (reopenedRef.current) return;
    reopenedRef.current = true;
    const running = initial.find((it) => it.active_sync_id);
    if (running?.active_sync_id) setModal({ syncId: running.active_sync_id, type: running.type });
  }, [initial]);

  // Follow runs started elsewhere (another tab, the API, an email link): refresh when the page
  // comes back into view or focus, every few seconds while any run is active, and now and then
  // otherwise while the page is visible.
  const anyActive = items.some((it) => it.active_sync_id);
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible") void refresh();
    };
    window.addEventListener("focus", onVisible);
    document.addEventListener("visibilitychange", onVisible);
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, anyActive ? ACTIVE_REFRESH_MS : IDLE_REFRESH_MS);
    return () => {
      window.removeEventListener("focus", onVisible);
      document.removeEventListener("visibilitychange", onVisible);
      clearInterval(t);
    };
  }, [anyActive, refresh]);

  // Focus goes back to the card whose dialog just closed (after React has rendered the card
  // without the dialog: the Sync button may be enabled again, or "View progress" may have appeared).
  const [returnFocus, setReturnFocus] = useState<{ type: ConnectorType; preferred: string[] } | null>(null);
  useEffect(() => {
    if (!returnFocus) return;
    focusCardControl(returnFocus.type, returnFocus.preferred);
    setReturnFocus(null);
  }, [returnFocus]);

  const connect = async (type: ConnectorType) => {
    setError(null);
    setCardBusy(type, "connect");
    const r = await connectSandbox(type);
    setCardBusy(type, null);
    if (r.ok) {
      if (r.body.integration) setItems((list) => list.map((it) => (it.type === type ? r.body.integration : it)));
      else void refresh();
    } else if (!handleUnauthorized(r.status)) {
      setError(failureMessage(r));
    }
  };

  const sync = async (type: ConnectorType) => {
    setError(null);
    setCardBusy(type, "sync");
    const r = await startSync(type);
    setCardBusy(type, null);
    if (r.ok && typeof r.body.sync_id === "string") {
      patchCard(type, { active_sync_id: r.body.sync_id });
      setModal({ syncId: r.body.sync_id, type });
    } else if (!r.ok && !handleUnauthorized(r.status)) {
      setError(failureMessage(r));
    } else if (r.ok) {
      setError("The server did not return a sync id.");
    }
  };

  const pasteToken = async (type: ConnectorType, token: string): Promise<string | null> => {
    setError(null);
    setCardBusy(type, "token");
    const r = await connectWithToken(type, token);
    setCardBusy(type, null);
    if (r.ok) {
      const it = r.body.integration;
      if (it) setItems((list) => list.map((x) => (x.type === type ? it : x)));
      else void refresh();
      setNotice({ kind: "success", text: oauthConnectedMessage(connectorLabel(type), it?.account_label) });
      return null;
    }
    if (handleUnauthorized(r.status)) return null;
    return failureMessage(r);
  };

  const confirmDisconnect = async (deleteDocuments: boolean) => {
    if (!disconnecting) return;
    const type = disconnecting.type;
    setCardBusy(type, "disconnect");
    const r = await disconnectIntegration(type, deleteDocuments);
    setCardBusy(type, null);
    if (r.ok) {
      const it = r.body.integration;
      if (it) setItems((list) => list.map((x) => (x.type === type ? it : x)));
      else void refresh();
      closeDisconnect();
      setNotice({ kind: r.body.revoked === false ? "warning" : "success", text: r.body.message ?? `${connectorLabel(type)} is disconnected.` });
    } else if (!handleUnauthorized(r.status)) {
      setDisconnecting({ type, error: failureMessage(r) });
    }
  };

  // Back from a provider's sign-in (/integrations?connected=github, or ?error=<code>&provider=github):
  // say how it went, once, and drop the parameters so a reload does not say it again.
  const announcedRef = useRef(false);
  useEffect(() => {
    if (announcedRef.current) return;
    announcedRef.current = true;
    const url = new URL(window.location.href);
    const connected = url.searchParams.get("connected");
    const failed = url.searchParams.get("error");
    const provider = url.searchParams.get("provider");
    if (connected === null && failed === null) return;
    for (const k of ["connected", "error", "provider"]) url.searchParams.delete(k);
    window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
    if (connected !== null) {
      const it = initial.find((i) => i.type === connected);
      if (it) setNotice({ kind: "success", text: oauthConnectedMessage(it.label, it.account_label) });
    } else if (failed !== null) {
      const it = initial.find((i) => i.type === provider);
      setNotice({ kind: "error", text: oauthErrorMessage(failed, it?.label ?? "the provider") });
    }
  }, [initial]);

  // A link from a "sync failed" email (/integrations?sync=github) starts that sync once,
  // then drops the parameter so a reload does not start another.
  const retriedRef = useRef(false);
  useEffect(() => {
    if (retriedRef.current) return;
    retriedRef.current = true;
    const url = new URL(window.location.href);
    const type = url.searchParams.get("sync");
    if (type === null) return;
    url.searchParams.delete("sync");
    window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
    const it = initial.find((i) => i.type === type);
    if (!it || !it.sync_available) return;
    if (it.active_sync_id) return; // already running: the modal re-opens on it (above)
    if (!it.connected) return setError(`Connect ${it.label} first, then sync.`);
    if (it.status === "needs_reauth") return setError(`Reconnect ${it.label} first, then sync.`);
    void sync(it.type); // once, on the initial page state
  }, [initial]);

  const onFinished = useCallback(
    (progress: ProgressData) => {
      const status = progress.status;
      setItems((list) =>
        list.map((it) =>
          it.active_sync_id === progress.sync_id
            ? {
                ...it,
                active_sync_id: null,
                last_sync_at: progress.finished_at ?? new Date().toISOString(),
                last_sync_status: status === "complete" || status === "error" || status === "cancelled" ? status : it.last_sync_status,
              }
            : it,
        ),
      );
      void refresh();
    },
    [refresh],
  );

  const modalRef = useRef(modal);
  modalRef.current = modal;
  const closeModal = useCallback(() => {
    const m = modalRef.current;
    if (m) setReturnFocus({ type: m.type, preferred: [`view-progress-${m.type}`, `sync-${m.type}`] });
    setModal(null);
  }, []);

  const closeDisconnect = () => {
    if (disconnecting) setReturnFocus({ type: disconnecting.type, preferred: [`disconnect-${disconnecting.type}`] });
    setDisconnecting(null);
  };

  return (
    <div>
      {error ? (
        <div
          role="alert"
          data-testid="board-error"
          className="mb-6 flex items-start gap-3 rounded-xl border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
        >
          <AlertCircle aria-hidden className="mt-0.5 h-4 w-4 shrink-0" />
          <p className="flex-1">{error}</p>
          <button
            type="button"
            onClick={() => setError(null)}
            aria-label="Dismiss"
            className="rounded p-0.5 text-red-500 hover:bg-red-100 hover:text-red-700 focus-visible:outline-2 focus-visible:outline-red-600"
          >
            <X aria-hidden className="h-4 w-4" />
          </button>
        </div>
      ) : null}

      {notice ? (
        <div
          role={notice.kind === "error" ? "alert" : "status"}
          data-testid="board-notice"
          data-kind={notice.kind}
          className={`mb-6 flex items-start gap-3 rounded-xl border px-4 py-3 text-sm ${NOTICE_STYLE[notice.kind]}`}
        >
          {notice.kind === "success" ? (
            <CheckCircle aria-hidden className="mt-0.5 h-4 w-4 shrink-0" />
          ) : notice.kind === "warning" ? (
            <AlertTriangle aria-hidden className="mt-0.5 h-4 w-4 shrink-0" />
          ) : (
            <AlertCircle aria-hidden className="mt-0.5 h-4 w-4 shrink-0" />
          )}
          <p className="flex-1">{notice.text}</p>
          <button
            type="button"
            data-testid="board-notice-dismiss"
            onClick={() => setNotice(null)}
            aria-label="Dismiss"
            className="rounded p-0.5 opacity-70 hover:opacity-100 focus-visible:outline-2 focus-visible:outline-blue-600"
          >
            <X aria-hidden className="h-4 w-4" />
          </button>
        </div>
      ) : null}

      <div className="grid grid-cols-1 items-start gap-5 md:grid-cols-2">
        {items.map((it) => (
          <IntegrationCard
            key={it.type}
            integration={it}
            busy={busy[it.type] ?? null}
            modalOpen={modal !== null && modal.syncId === it.active_sync_id}
            onConnect={connect}
            onSync={sync}
            onViewProgress={(type, syncId) => setModal({ syncId, type })}
            onPasteToken={pasteToken}
            onDisconnect={(type) => setDisconnecting({ type, error: null })}
          />
        ))}
      </div>

      {items.length === 0 ? <p className="text-sm text-neutral-500">No integrations available.</p> : null}

      {disconnecting
        ? (() => {
            const it = items.find((x) => x.type === disconnecting.type);
            return it ? (
              <DisconnectDialog
                integration={it}
                busy={busy[it.type] === "disconnect"}
                error={disconnecting.error}
                onConfirm={(del) => void confirmDisconnect(del)}
                onCancel={closeDisconnect}
              />
            ) : null;
          })()
        : null}

      {modal ? (
        <SyncProgressModal
          key={modal.syncId}
          syncId={modal.syncId}
          connectorType={modal.type}
          onClose={closeModal}
          onFinished={onFinished}
        />
      ) : null}
    </div>
  );
}

export default IntegrationsBoard;
