// The wire types of the app's JSON answers, shared by the route handlers and the client
// components (types and small constants only: client-safe).
import type { ConnectorType } from "@/lib/contract/providers";

// ---------------------------------------------------------------- GET /api/integrations
export type IntegrationMode = "sandbox" | "live";
export type IntegrationStatus = "connected" | "needs_reauth" | "disconnected";
export type LastSyncStatus = "complete" | "error" | "cancelled";

export interface IntegrationSummary {
  type: ConnectorType;
  label: string; // "GitHub"
  connected: boolean;
  mode: IntegrationMode | null;
  status: IntegrationStatus | null;
  status_message: string | null;
  account_label: string | null;
  item_count: number; // documents synced from it
  last_sync_at: string | null; // ISO 8601
  last_sync_status: LastSyncStatus | null;
  active_sync_id: string | null; // a running sync of this connection
  live_available: boolean; // real OAuth configured: the provider's client id and secret are set
  not_configured_hint: string | null; // "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET" (null when live_available)
  sync_available: boolean; // this version has a connector for it (false: "Coming soon", no Connect/Sync)
}

/** GET /api/integrations */
export interface IntegrationsResponse {
  success: true;
  integrations: IntegrationSummary[];
}

// ---------------------------------------------------------------- GET /api/integrations/{type}/history

export interface HistoryRun {
  id: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  total_items: number;
  processed_items: number;
  failed_items: number;
  error_message: string | null;
  notes: string[];
}

// ---------------------------------------------------------------- GET /api/documents

/** [start, end) offsets (UTF-16 code units, like JS string indices) of matched words. */
export type Range = [number, number];

export interface HighlightedText {
  text: string;
  highlights: Range[];
}

export interface SearchHit {
  id: string;
  provider: string;
  kind: string;
  title: HighlightedText;
  snippet: HighlightedText;
  author: string | null;
  url: string | null;
  updated_at: string;
}

// ---------------------------------------------------------------- notifications
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

// ---------------------------------------------------------------- OAuth callback -> /integrations?error=<code>
// What the callback reports back: codes in the URL, words in the UI (only known codes are shown,
// so a crafted link cannot put arbitrary text on the page).
export const OAUTH_ERROR_CODES = [
  "access_denied",
  "provider_error",
  "state_missing",
  "state_invalid",
  "state_expired",
  "state_mismatch",
  "state_replayed",
  "user_mismatch",
  "missing_code",
  "exchange_failed",
  "provider_unreachable",
  "token_unusable",
  "not_configured",
  "sync_running",
  "unavailable",
  "failed",
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export function isOAuthErrorCode(code: string): code is OAuthErrorCode {
  return (OAUTH_ERROR_CODES as readonly string[]).includes(code);
}
