"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { AlertCircle, X } from "lucide-react";
import type { ConnectorType, ProgressData } from "@/lib/sync/types";
import IntegrationCard, { type CardBusy } from "./IntegrationCard";
import SyncProgressModal from "./SyncProgressModal";
import type { IntegrationSummary } from "./types";

export interface IntegrationsBoardProps {
  initial: IntegrationSummary[];
}

interface OpenModal {
  syncId: string;
  type: ConnectorType;
}

/** While a sync runs with its modal hidden, refresh the cards this often. */
const BACKGROUND_REFRESH_MS = 4000;

type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: string };

async function api<T>(url: string, init?: RequestInit): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      cache: "no-store",
      ...init,
      headers: init?.body ? { accept: "application/json", "content-type": "application/json" } : { accept: "application/json" },
    });
  } catch {
    return { ok: false, status: 0, error: "Could not reach the server. Check your connection and try again." };
  }
  const body = (await res.json().catch(() => null)) as (T & { success?: boolean; error?: unknown; message?: unknown }) | null;
  if (res.ok && body && body.success !== false) return { ok: true, status: res.status, body };
  const msg =
    (typeof body?.error === "string" && body.error) ||
    (typeof body?.message === "string" && body.message) ||
    (res.status === 401 ? "Your session has expired. Please sign in again." : `Request failed (HTTP ${res.status}).`);
  return { ok: false, status: res.status, error: msg };
}

export function IntegrationsBoard({ initial }: IntegrationsBoardProps) {
  const [items, setItems] = useState<IntegrationSummary[]>(initial);
  const [modal, setModal] = useState<OpenModal | null>(null);
  const [busy, setBusy] = useState<Partial<Record<ConnectorType, CardBusy>>>({});
  const [error, setError] = useState<string | null>(null);

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
    const r = await api<{ integrations: IntegrationSummary[] }>("/api/integrations");
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

  // A sync running in the background (modal hidden): keep the cards current.
  const hasHiddenActive = items.some((it) => it.active_sync_id && it.active_sync_id !== modal?.syncId);
  useEffect(() => {
    if (!hasHiddenActive) return;
    const t = setInterval(() => void refresh(), BACKGROUND_REFRESH_MS);
    return () => clearInterval(t);
  }, [hasHiddenActive, refresh]);

  const connect = async (type: ConnectorType) => {
    setError(null);
    setCardBusy(type, "connect");
    const r = await api<{ integration: IntegrationSummary }>(`/api/integrations/${type}/connect`, {
      method: "POST",
      body: JSON.stringify({ mode: "sandbox" }),
    });
    setCardBusy(type, null);
    if (r.ok) {
      if (r.body.integration) setItems((list) => list.map((it) => (it.type === type ? r.body.integration : it)));
      else void refresh();
    } else if (!handleUnauthorized(r.status)) {
      setError(r.error);
    }
  };

  const sync = async (type: ConnectorType) => {
    setError(null);
    setCardBusy(type, "sync");
    const r = await api<{ sync_id: string; attached?: boolean }>(`/api/integrations/${type}/sync`, {
      method: "POST",
      body: "{}",
    });
    setCardBusy(type, null);
    if (r.ok && typeof r.body.sync_id === "string") {
      patchCard(type, { active_sync_id: r.body.sync_id });
      setModal({ syncId: r.body.sync_id, type });
    } else if (!r.ok && !handleUnauthorized(r.status)) {
      setError(r.error);
    } else if (r.ok) {
      setError("The server did not return a sync id.");
    }
  };

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

  const closeModal = useCallback(() => setModal(null), []);

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

      <div className="grid grid-cols-1 gap-5 sm:grid-cols-2 xl:grid-cols-4">
        {items.map((it) => (
          <IntegrationCard
            key={it.type}
            integration={it}
            busy={busy[it.type] ?? null}
            modalOpen={modal !== null && modal.syncId === it.active_sync_id}
            onConnect={connect}
            onSync={sync}
            onViewProgress={(type, syncId) => setModal({ syncId, type })}
          />
        ))}
      </div>

      {items.length === 0 ? <p className="text-sm text-neutral-500">No integrations available.</p> : null}

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
