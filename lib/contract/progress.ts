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
  /**
   * Estimated seconds left (the measured item rate, the provider's quota and any rate-limit
   * wait); absent until it can be honest: a known total, enough items and seconds measured.
   */
  eta_s?: number;
  /**
   * true while the provider has not said how many items there are: total_items is what was
   * found so far and may still grow (show "counting…", not a final count or a percent).
   */
  counting?: boolean;
  /** The technical side of error_message (status codes, attempts), for a "Details" disclosure. */
  error_detail?: string;
  /**
   * What the run changed in the library so far ("N new, N updated, N removed"): documents it
   * stored for the first time, documents whose content changed (updated in place), and documents
   * the provider reported deleted, trashed or no longer readable. Items handled again unchanged
   * count in processed_items only. Absent in events of runs from before these counters.
   */
  added_items?: number;
  updated_items?: number;
  removed_items?: number;
}

export const EVENT_NAMES = ["started", "progress", "complete", "error", "cancelled"] as const;
export type SyncEventName = (typeof EVENT_NAMES)[number];

export function terminalEventName(status: TerminalStatus): SyncEventName {
  return status; // complete | error | cancelled share their names with the statuses
}
