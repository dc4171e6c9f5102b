// Why a run (or a provider request) failed, in a small union with words a user can act on.
export type SyncErrorKind =
  | "auth" // the provider refused the credentials: reconnect
  | "rate_limit" // the provider's limit resets later than we are willing to wait
  | "timeout" // a request got no answer within SYNC_REQUEST_TIMEOUT_S (after retries)
  | "connect_timeout" // connecting took longer than SYNC_CONNECT_TIMEOUT_S
  | "stalled" // nothing moved for SYNC_STALL_TIMEOUT_S
  | "run_timeout" // the whole run exceeded SYNC_TIMEOUT_S
  | "provider" // the provider kept answering 5xx / an unexpected status
  | "malformed" // the provider's answer could not be read
  | "network" // the provider could not be reached
  | "cancelled"
  | "interrupted" // the process running it died and it could not be resumed
  | "internal";

export class SyncError extends Error {
  constructor(
    readonly kind: SyncErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "SyncError";
  }
}

/** The error message a user sees for anything thrown inside a run. */
export function describeError(error: unknown, provider: string): SyncError {
  // SDKs wrap what our fetch threw (Octokit: a RequestError with status 500 and the
  // original as `cause`); the innermost SyncError says what really happened.
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof SyncError) return e;
  }
  const status = typeof (error as { status?: unknown })?.status === "number" ? (error as { status: number }).status : undefined;
  if (status === 401) return new SyncError("auth", `${provider} rejected the saved credentials (HTTP 401). Reconnect ${provider}.`, 401);
  if (status === 403) return new SyncError("auth", `${provider} refused access (HTTP 403). Check the permissions and reconnect ${provider}.`, 403);
  if (status !== undefined && status >= 400) {
    return new SyncError("provider", `${provider} answered with an error (HTTP ${status}); try again later.`, status);
  }
  return new SyncError("internal", `The sync stopped on an unexpected problem; try again. If it keeps happening, reconnect ${provider}.`);
}

/** "0.3 s", "1 s", "45 s" — for messages about timeouts. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
}

/** "1.5 s", "12 min", "2 h 5 min". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return formatSeconds(ms);
  const min = Math.round(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ""}`;
}
