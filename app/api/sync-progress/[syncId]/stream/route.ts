import { withViewer } from "@/lib/api/handler";
import { ApiError, notFound } from "@/lib/api/errors";
import { SYNC_ID_PATTERN, syncParams } from "@/lib/api/params";
import { SSE_HEADERS, parseLastEventId } from "@/lib/progress/sse";
import { progressStream } from "@/lib/progress/stream";
import { findOwnRun } from "@/lib/sync/service";

export const dynamic = "force-dynamic";

// Every 4xx is decided before the stream starts: after that the status is 200 for good.
export const GET = withViewer(syncParams, async ({ req, viewer, params }) => {
  if (!SYNC_ID_PATTERN.test(params.syncId)) throw notFound("No such sync");
  const run = await findOwnRun(viewer, params.syncId);
  const last = parseLastEventId(req.headers.get("last-event-id"));
  if (last.kind === "invalid") throw new ApiError(400, last.reason);
  if (last.kind === "valid" && last.seq > run.lastSeq) {
    throw new ApiError(400, `Last-Event-ID ${last.seq} is ahead of this sync's last event (${run.lastSeq}); reconnect without it.`);
  }
  const body = progressStream({ runId: run.id, after: last.kind === "valid" ? last.seq : null, signal: req.signal, run });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
});
