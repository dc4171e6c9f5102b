// Why a run (or a provider request) failed: a small union with words a user can act on (the
// message, in a person's words) and the technical detail apart from them. Thrown
// by connectors and the engine alike; client code reads the kind. Client-safe.
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
    /** The technical side (status code, attempts, the provider's words): logs and "Details", never the headline. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "SyncError";
  }
}

/** "0.3 s", "1 s", "45 s": for messages about timeouts. */
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
