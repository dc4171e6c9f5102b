// The wire types of the app's JSON answers, shared by the route handlers and the client
// components (types and small constants only: client-safe).
import type { ProgressData } from "@/lib/contract/progress";
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
  /** When the latest sync ended, however it ended (last_sync_status says how). ISO 8601. */
  last_sync_at: string | null;
  /** When the latest sync that completed ended: "Last synced". ISO 8601. */
  last_success_at: string | null;
  last_sync_status: LastSyncStatus | null;
  active_sync_id: string | null; // a running sync of this connection
  live_available: boolean; // real OAuth configured: the provider's client id and secret are set
  /**
   * No longer sent: what an operator must set is in the start-up log and the README, not on
   * every user's card. Kept optional only until the card stops reading it.
   * @deprecated read live_available
   */
  not_configured_hint?: string | null;
  sync_available: boolean; // this version has a connector for it (false: "Coming soon", no Connect/Sync)
  sandbox_available?: boolean; // this server serves the built-in sandbox (SANDBOX_ENABLED); false: no "Connect sandbox"
}

/** GET /api/integrations */
export interface IntegrationsResponse {
  success: true;
  integrations: IntegrationSummary[];
}

/** POST /api/integrations/{type}/connect */
export interface IntegrationResponse {
  success: true;
  integration: IntegrationSummary;
}

/** POST /api/integrations/{type}/sync: 202 for a new run, 200 with `attached` for the one already running. */
export interface StartSyncResponse {
  success: true;
  sync_id: string;
  attached?: true;
}

/** POST /api/integrations/{type}/disconnect */
export interface DisconnectResponse {
  success: true;
  integration: IntegrationSummary;
  /** true: the provider confirmed; false: it did not (see message); null: there was nothing to revoke. */
  revoked: boolean | null;
  deleted_items: number;
  message: string;
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
  /** What the run changed in the library: "N new, N updated, N removed". */
  added_items: number;
  updated_items: number;
  removed_items: number;
  error_message: string | null;
  /** The technical side of error_message (status code, attempts), for a "Details" disclosure. */
  detail: string | null;
  /** The run's last words, as the modal showed them: "Already up to date", "Synced 1,200 items.", "Cancelled". */
  summary: string;
  notes: string[];
}

/** GET /api/integrations/{type}/history */
export interface HistoryResponse {
  success: true;
  runs: HistoryRun[];
}

// ---------------------------------------------------------------- /api/sync-progress/{id}
// GET /api/sync-progress/{id} answers the ProgressData itself (no envelope).

/** POST /api/sync-progress/{id}/cancel */
export interface CancelSyncResponse {
  success: true;
  progress: ProgressData;
}

export interface FailureItem {
  external_id: string;
  title: string | null;
  /** What happened to the item and what to do, in a person's words. */
  reason: string;
  /** The technical side (schema reason, status code), for a "Details" disclosure; null when none. */
  detail: string | null;
}

/** GET /api/sync-progress/{id}/failures: the first failed items, with the run's total. */
export interface FailuresResponse {
  success: true;
  total: number;
  failures: FailureItem[];
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
  /** The provider's own id of the item (Gmail message id, "C…:ts" for Slack, a Box file id, "owner/repo#n"). */
  external_id: string;
  provider: string;
  kind: string;
  title: HighlightedText;
  snippet: HighlightedText;
  author: string | null;
  url: string | null;
  updated_at: string;
}

/** GET /api/documents */
export interface DocumentsResponse {
  success: true;
  documents: SearchHit[];
  next_cursor: string | null;
}

// ---------------------------------------------------------------- notifications
/** Sync emails, and the account emails (address verification, a sign-up attempt with a taken address). */
export type NotificationKindName = "sync_complete" | "sync_failed" | "verify_email" | "sign_up_attempt";
export type NotificationStatusName = "pending" | "sent" | "failed" | "stored";
/** changes: only when a sync brought something new or failed (the default); see lib/notify/outbox.ts. */
export type NotifyOnName = "all" | "changes" | "failures" | "never";

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

export interface NotificationsResponse {
  success: true;
  notifications: NotificationSummary[];
}

export interface NotificationResponse {
  success: true;
  notification: NotificationDetail;
}

/** GET and PUT /api/settings/notifications */
export interface NotifyPreferenceResponse {
  success: true;
  notifyOn: NotifyOnName;
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

// ---------------------------------------------------------------- error answers (every route)
/** Stable, machine-readable reasons: clients and logs branch on these, never on the words. */
export const API_ERROR_CODES = [
  "validation_failed", // 400: a parameter or body that does not fit
  "unauthorized", // 401: no session (or a bad signature)
  "forbidden", // 403: e.g. a cross-site request
  "not_found", // 404
  "conflict", // 409: the state does not allow it now (a sync running, not connected, not configured)
  "payload_too_large", // 413
  "unsupported_media_type", // 415
  "rate_limited", // 429 (with Retry-After)
  "upstream_unavailable", // 502: a provider could not be reached
  "database_not_ready", // 503: the schema is missing (Retry-After)
  "internal", // 500: details stay in the server's log
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The body of every error answer. */
export interface ApiErrorBody {
  success: false;
  error: string; // words for a person
  code: ApiErrorCode;
}
