// What a progress-stream request may open, decided before any byte of the stream is sent
// (after that the status is 200 for good). Shared by the Next.js route and the custom
// server's direct path (lib/progress/node-stream.ts), so both answer alike.
import { ApiError, notFound } from "@/lib/api/errors";
import { SYNC_ID_PATTERN } from "@/lib/api/params";
import { parseLastEventId } from "@/lib/progress/sse";
import type { StreamOptions } from "@/lib/progress/stream";
import { db } from "@/lib/db";
import { acquireStreamSlot } from "@/lib/progress/stream-slots";

/**
 * The stream to open for the signed-in user, or an ApiError (404 not theirs or no such sync, 400
 * bad Last-Event-ID, 429 too many streams open). The caller must attach it or abort `signal`:
 * either gives its stream slot back.
 */
export async function streamRequest(
  viewer: { userId: string },
  syncId: string,
  lastEventId: string | null,
  signal: AbortSignal,
): Promise<StreamOptions> {
  if (!SYNC_ID_PATTERN.test(syncId)) throw notFound("No such sync");
  // Another user's sync answers exactly like an unknown one.
  const run = await db().syncRun.findFirst({ where: { id: syncId, userId: viewer.userId } });
  if (!run) throw notFound("No such sync");
  const last = parseLastEventId(lastEventId);
  if (last.kind === "invalid") throw new ApiError(400, last.reason);
  if (last.kind === "valid" && last.seq > run.lastSeq) {
    throw new ApiError(400, `Last-Event-ID ${last.seq} is ahead of this sync's last event (${run.lastSeq}); reconnect without it.`);
  }
  // Last: a refusal above takes no slot. Beyond the user's (or this instance's) streams: 429.
  const slot = await acquireStreamSlot(viewer.userId);
  // Freed when the stream ends (attachProgressStream), or here if the client leaves before that.
  signal.addEventListener("abort", slot.release, { once: true });
  if (signal.aborted) slot.release();
  return { runId: run.id, after: last.kind === "valid" ? last.seq : null, signal, run, release: slot.release };
}
