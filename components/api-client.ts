// The browser's side of the app's API: every component calls the server through here (progress
// streams stay EventSource). Each call keeps its route's URL, method, headers and body, and
// answers one shape: the typed body from lib/contract/api.ts, or an ApiFailure. The 401 redirect
// and the words shown for a failure stay with the caller, which knows what it was doing.
import {
  API_ERROR_CODES,
  type ApiErrorCode,
  type CancelSyncResponse,
  type ConnectorType,
  type DisconnectResponse,
  type DocumentsResponse,
  type FailuresResponse,
  type HistoryResponse,
  type IntegrationResponse,
  type IntegrationsResponse,
  type NotificationResponse,
  type NotificationsResponse,
  type NotifyOnName,
  type NotifyPreferenceResponse,
  type StartSyncResponse,
} from "@/lib/contract";

/** A call that did not succeed. status 0: the server could not be reached (or the call was aborted). */
export interface ApiFailure {
  ok: false;
  status: number;
  /** The server's machine-readable reason, when it sent one of ours. */
  code: ApiErrorCode | null;
  /** The server's words for a person, when it sent some. */
  error: string | null;
}

export type ApiResult<T> = { ok: true; status: number; body: T } | ApiFailure;

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" } as const;
const ACCEPT_JSON = { accept: "application/json" } as const;

/** The one place the browser calls fetch (the progress tracker takes it as its default transport). */
export function apiFetch(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, init);
}

function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === "string" && (API_ERROR_CODES as readonly string[]).includes(value);
}

/** Our routes answer `{ error }`; Better Auth answers `{ message }` (sometimes `{ error: { message } }`). */
export function errorWords(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as { error?: unknown; message?: unknown };
  if (typeof b.error === "string" && b.error) return b.error;
  if (typeof b.message === "string" && b.message) return b.message;
  if (b.error && typeof b.error === "object") {
    const m = (b.error as { message?: unknown }).message;
    if (typeof m === "string" && m) return m;
  }
  return null;
}

/** Succeeds on a 2xx JSON object that does not say `success: false`. Never throws. */
export async function apiRequest<T>(url: string, init?: RequestInit): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await apiFetch(url, init);
  } catch {
    return { ok: false, status: 0, code: null, error: null };
  }
  const body = (await res.json().catch(() => null)) as unknown;
  const isObject = body !== null && typeof body === "object";
  if (res.ok && isObject && (body as { success?: unknown }).success !== false) return { ok: true, status: res.status, body: body as T };
  const code = isObject ? (body as { code?: unknown }).code : undefined;
  return { ok: false, status: res.status, code: isApiErrorCode(code) ? code : null, error: errorWords(body) };
}

// ---------------------------------------------------------------- auth (Better Auth)

export type SignInBody = { email: string; password: string };
export type SignUpBody = SignInBody & { name: string };

export function signIn(body: SignInBody): Promise<ApiResult<unknown>> {
  return apiRequest("/api/auth/sign-in/email", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
}

export function signUp(body: SignUpBody): Promise<ApiResult<unknown>> {
  return apiRequest("/api/auth/sign-up/email", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
}

export function signOut(): Promise<ApiResult<unknown>> {
  return apiRequest("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
}

// ---------------------------------------------------------------- integrations

/** Board calls: no-store, JSON accepted, a JSON content type when there is a body. */
function boardRequest<T>(url: string, body?: unknown): Promise<ApiResult<T>> {
  if (body === undefined) return apiRequest<T>(url, { cache: "no-store", headers: ACCEPT_JSON });
  return apiRequest<T>(url, { cache: "no-store", method: "POST", body: JSON.stringify(body), headers: JSON_HEADERS });
}

export function listIntegrations(): Promise<ApiResult<IntegrationsResponse>> {
  return boardRequest("/api/integrations");
}

/** The same list, read as the library's poll always has (no-store, no accept header). */
export function pollIntegrations(): Promise<ApiResult<IntegrationsResponse>> {
  return apiRequest("/api/integrations", { cache: "no-store" });
}

export function connectSandbox(type: ConnectorType): Promise<ApiResult<IntegrationResponse>> {
  return boardRequest(`/api/integrations/${type}/connect`, { mode: "sandbox" });
}

export function connectWithToken(type: ConnectorType, token: string): Promise<ApiResult<IntegrationResponse>> {
  return boardRequest(`/api/integrations/${type}/connect`, { mode: "token", token });
}

export function startSync(type: ConnectorType): Promise<ApiResult<StartSyncResponse>> {
  return boardRequest(`/api/integrations/${type}/sync`, {});
}

export function disconnectIntegration(type: ConnectorType, deleteDocuments: boolean): Promise<ApiResult<DisconnectResponse>> {
  return boardRequest(`/api/integrations/${type}/disconnect`, { delete_documents: deleteDocuments });
}

export function getSyncHistory(type: string, limit: number, signal?: AbortSignal): Promise<ApiResult<HistoryResponse>> {
  return apiRequest(`/api/integrations/${encodeURIComponent(type)}/history?limit=${limit}`, { cache: "no-store", signal });
}

// ---------------------------------------------------------------- syncs

/** GET /api/sync-progress/{id} (the ProgressData itself); the progress tracker polls it. */
export function syncProgressUrl(syncId: string): string {
  return `/api/sync-progress/${encodeURIComponent(syncId)}`;
}

export function cancelSync(syncId: string): Promise<ApiResult<CancelSyncResponse>> {
  return apiRequest(`${syncProgressUrl(syncId)}/cancel`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
}

export function getSyncFailures(syncId: string, signal?: AbortSignal): Promise<ApiResult<FailuresResponse>> {
  return apiRequest(`${syncProgressUrl(syncId)}/failures`, { cache: "no-store", signal });
}

// ---------------------------------------------------------------- documents

export interface DocumentQuery {
  q?: string;
  provider?: string;
  kind?: string;
  cursor?: string | null;
  limit: number;
}

export function searchDocuments(query: DocumentQuery): Promise<ApiResult<DocumentsResponse>> {
  const params = new URLSearchParams();
  if (query.q) params.set("q", query.q);
  if (query.provider) params.set("provider", query.provider);
  if (query.kind) params.set("kind", query.kind);
  if (query.cursor) params.set("cursor", query.cursor);
  params.set("limit", String(query.limit));
  return apiRequest(`/api/documents?${params.toString()}`, { cache: "no-store" });
}

// ---------------------------------------------------------------- notifications

export function listNotifications(): Promise<ApiResult<NotificationsResponse>> {
  return apiRequest("/api/notifications", { cache: "no-store", headers: ACCEPT_JSON });
}

export function getNotification(id: string): Promise<ApiResult<NotificationResponse>> {
  return apiRequest(`/api/notifications/${encodeURIComponent(id)}`, { cache: "no-store", headers: ACCEPT_JSON });
}

/** "changes" (email only when a sync changed something or failed) is the server's newer value. */
export function saveNotifyPreference(notifyOn: NotifyOnName | "changes"): Promise<ApiResult<NotifyPreferenceResponse>> {
  return apiRequest("/api/settings/notifications", { method: "PUT", headers: JSON_HEADERS, body: JSON.stringify({ notifyOn }) });
}
