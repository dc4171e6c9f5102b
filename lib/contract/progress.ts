// ProgressData and the event stream's names, as ../shared/DESIGN.md fixes them. Client-safe.
import type { ConnectorType } from "@/lib/contract/providers";

export const ACTIVE_STATUSES = ["queued", "connecting", "syncing", "parsing", "embedding", "rate_limited"] as const;
export const TERMINAL_STATUSES = ["complete", "error", "cancelled"] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type SyncStatus = ActiveStatus | TerminalStatus;

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export interface ProgressData {
  sync_id: string;
  connector_type: ConnectorType;
  status: SyncStatus;
  stage: string;
  total_items: number;
  processed_items: number;
  failed_items: number;
  current_item?: string;
  error_message?: string;
  percent_complete: number;
  started_at: string;
  finished_at?: string;
  retry_at?: string;
}

export const EVENT_NAMES = ["started", "progress", "complete", "error", "cancelled"] as const;
export type SyncEventName = (typeof EVENT_NAMES)[number];

export function terminalEventName(status: TerminalStatus): SyncEventName {
  return status; // complete | error | cancelled share their names with the statuses
}
