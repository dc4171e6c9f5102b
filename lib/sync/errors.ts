// The mapping from anything thrown inside a run to the SyncError a user sees. The error type
// itself is part of the contract (lib/contract/errors.ts).
import { SyncError, type SyncErrorKind } from "@/lib/contract/errors";

export { SyncError, formatDuration, formatSeconds, type SyncErrorKind } from "@/lib/contract/errors";

/**
 * The error a user sees for anything thrown inside a run: the kind is kept, the message is in a
 * person's words (what happened, what to do), and the technical side (status code, attempts,
 * the provider's own words) moves to `detail`, for the server log and a "Details" disclosure.
 */
export function describeError(error: unknown, provider: string): SyncError {
  // SDKs wrap what our fetch threw (Octokit: a RequestError with status 500 and the
  // original as `cause`); the innermost SyncError says what really happened.
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof SyncError) return forPeople(e, provider);
  }
  const status = typeof (error as { status?: unknown })?.status === "number" ? (error as { status: number }).status : undefined;
  if (status === 401) return forPeople(new SyncError("auth", "HTTP 401", 401), provider);
  if (status === 403) {
    return new SyncError("auth", `${provider} refused access. Check that 2nd Brain still has permission, then reconnect ${provider}.`, 403, "HTTP 403");
  }
  if (status !== undefined && status >= 400) return forPeople(new SyncError("provider", `HTTP ${status}`, status), provider);
  return new SyncError("internal", `The sync stopped on an unexpected problem; try again. If it keeps happening, reconnect ${provider}.`);
}

/** Kinds whose messages are written for people where they are thrown (timeouts, cancel, …). */
const ALREADY_WORDS = new Set<SyncErrorKind>(["connect_timeout", "stalled", "run_timeout", "cancelled", "interrupted", "internal"]);

/**
 * A SyncError as a person reads it. One that already carries a detail was written in both
 * registers where it was thrown; otherwise its message is the technical side and the words
 * come from its kind.
 */
export function forPeople(error: SyncError, provider: string): SyncError {
  if (error.detail !== undefined || ALREADY_WORDS.has(error.kind)) return error;
  const words = peopleWords(error.kind, provider);
  return words ? new SyncError(error.kind, words, error.status, error.message) : error;
}

function peopleWords(kind: SyncErrorKind, provider: string): string | undefined {
  switch (kind) {
    case "auth":
      return `${provider} no longer accepts 2nd Brain's access. Reconnect ${provider} to keep syncing.`;
    case "rate_limit":
      return `${provider}'s rate limit will not reset soon enough for this sync to wait. Try again later; the next sync continues where this one stopped.`;
    case "timeout":
      return `${provider} did not answer in time. Try the sync again in a few minutes; it continues where it stopped.`;
    case "provider":
      return `${provider} is having trouble right now. Try the sync again later; it continues where it stopped.`;
    case "malformed":
      return `${provider} sent data 2nd Brain could not read. Try the sync again later; if it keeps happening, tell us.`;
    case "network":
      return `${provider} could not be reached. Check the internet connection, then try the sync again.`;
    default:
      return undefined;
  }
}
