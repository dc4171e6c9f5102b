// Pure state logic behind useSyncProgress: no React, no EventSource, no timers,
// so it can be unit-tested. Only type imports from lib/contract (keeps zod out
// of the client bundle).
import type { ProgressData, SyncEventName, SyncStatus, TerminalStatus } from "@/lib/contract";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The handful of states the UI actually distinguishes. */
export type SyncPhase = "running" | "rate_limited" | "complete" | "error" | "cancelled";

const TERMINAL: readonly string[] = ["complete", "error", "cancelled"];
const STATUSES: readonly string[] = [
  "queued",
  "connecting",
  "syncing",
  "parsing",
  "embedding",
  "rate_limited",
  "complete",
  "error",
  "cancelled",
];
export const SYNC_EVENT_NAMES: readonly SyncEventName[] = ["started", "progress", "complete", "error", "cancelled"];

export function isTerminalStatus(status: string | null | undefined): status is TerminalStatus {
  return typeof status === "string" && TERMINAL.includes(status);
}

export function phaseOf(status: SyncStatus | null | undefined): SyncPhase | null {
  if (!status) return null;
  if (status === "complete" || status === "error" || status === "cancelled") return status;
  if (status === "rate_limited") return "rate_limited";
  return "running";
}

/**
 * EventSource dispatches two different things under the name "error":
 *  - the server's `event: error` (the sync failed): a MessageEvent whose data is ProgressData JSON;
 *  - the browser's own connection-trouble event: a plain Event with no data.
 * Only the first one means the sync failed.
 */
export function isServerErrorEvent(ev: Event | { data?: unknown }): ev is MessageEvent<string> {
  const data = (ev as { data?: unknown }).data;
  return typeof data === "string" && data.trim() !== "";
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Parses an event's data (or a snapshot body) into ProgressData; null when it is not one. */
export function parseProgress(input: unknown): ProgressData | null {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch {
      return null;
    }
  }
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  if (typeof v.sync_id !== "string" || typeof v.status !== "string" || !STATUSES.includes(v.status)) return null;
  const opt = (k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  return {
    sync_id: v.sync_id,
    connector_type: v.connector_type as ProgressData["connector_type"],
    status: v.status as SyncStatus,
    stage: typeof v.stage === "string" ? v.stage : "",
    total_items: num(v.total_items),
    processed_items: num(v.processed_items),
    failed_items: num(v.failed_items),
    current_item: opt("current_item"),
    error_message: opt("error_message"),
    percent_complete: Math.min(100, Math.max(0, num(v.percent_complete))),
    started_at: typeof v.started_at === "string" ? v.started_at : "",
    finished_at: opt("finished_at"),
    retry_at: opt("retry_at"),
    // Optional fields (a server that does not send them yet leaves them out).
    ...(typeof v.eta_s === "number" && Number.isFinite(v.eta_s) && v.eta_s >= 0 ? { eta_s: v.eta_s } : {}),
    ...(typeof v.counting === "boolean" ? { counting: v.counting } : {}),
    ...(opt("error_detail") ? { error_detail: opt("error_detail") } : {}),
    ...(typeof v.added_items === "number" ? { added_items: num(v.added_items) } : {}),
    ...(typeof v.updated_items === "number" ? { updated_items: num(v.updated_items) } : {}),
    ...(typeof v.removed_items === "number" ? { removed_items: num(v.removed_items) } : {}),
  };
}

export interface SyncProgressState {
  /** The sync this state belongs to (state of a previous id is never shown for a new one). */
  syncId: string | null;
  progress: ProgressData | null;
  connection: ConnectionState;
  finished: boolean;
  /** A problem that stops tracking for good (unknown sync, signed out). */
  fatal: string | null;
}

export type SyncProgressAction =
  | { type: "reset"; syncId: string | null }
  | { type: "open" }
  /** A named event from the stream (the server's "error" included). */
  | { type: "event"; name: SyncEventName; data: ProgressData }
  /** The browser's own connection-trouble event; readyState of the EventSource at that moment. */
  | { type: "connection_error"; readyState: number }
  /** GET /api/sync-progress/{id} (polling fallback) or the cancel answer. */
  | { type: "snapshot"; data: ProgressData }
  | { type: "fatal"; message: string };

export const initialSyncProgressState: SyncProgressState = {
  syncId: null,
  progress: null,
  connection: "connecting",
  finished: false,
  fatal: null,
};

function settle(state: SyncProgressState, data: ProgressData): SyncProgressState {
  const finished = isTerminalStatus(data.status);
  return {
    ...state,
    progress: data,
    finished,
    connection: finished ? "closed" : state.connection,
  };
}

/** Work done so far; used to drop a snapshot that is older than what the stream already showed. */
function work(p: ProgressData): number {
  return p.processed_items + p.failed_items;
}

export function syncProgressReducer(state: SyncProgressState, action: SyncProgressAction): SyncProgressState {
  switch (action.type) {
    case "reset":
      return { ...initialSyncProgressState, syncId: action.syncId };
    case "open":
      if (state.finished || state.fatal) return state;
      return { ...state, connection: "open" };
    case "event": {
      if (state.finished) return state; // a terminal state is final
      if (state.syncId !== null && action.data.sync_id !== state.syncId) return state;
      let data = action.data;
      // A terminal event name is authoritative even if its payload lags behind.
      if (isTerminalStatus(action.name) && !isTerminalStatus(data.status)) data = { ...data, status: action.name };
      return settle({ ...state, connection: "open" }, data);
    }
    case "connection_error":
      if (state.finished || state.fatal) return state;
      return { ...state, connection: "reconnecting" };
    case "snapshot": {
      if (state.finished) return state;
      if (state.syncId !== null && action.data.sync_id !== state.syncId) return state;
      const data = action.data;
      const cur = state.progress;
      if (
        cur &&
        !isTerminalStatus(data.status) &&
        cur.sync_id === data.sync_id &&
        (work(data) < work(cur) || (data.total_items === 0 && cur.total_items > 0))
      ) {
        return state; // stale: the stream already showed more
      }
      return settle(state, data);
    }
    case "fatal":
      if (state.finished) return state;
      return { ...state, fatal: action.message, connection: "closed" };
    default:
      return state;
  }
}

/** Whole seconds until an ISO time (never negative); null when there is no valid time. */
export function secondsUntil(iso: string | undefined | null, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - now) / 1000));
}

/** Backoff before re-opening a stream that the browser gave up on: 1 s, 2 s, 4 s … capped at 30 s. */
export function reopenDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}
