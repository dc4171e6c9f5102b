// The mapping from anything thrown inside a run to the SyncError a user sees. The error type
// itself is part of the contract (lib/contract/errors.ts).
import { SyncError } from "@/lib/contract/errors";

export { SyncError, formatDuration, formatSeconds, type SyncErrorKind } from "@/lib/contract/errors";

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
