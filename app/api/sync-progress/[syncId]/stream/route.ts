import { withViewer } from "@/lib/api/handler";
import { syncParams } from "@/lib/api/params";
import { SSE_HEADERS } from "@/lib/progress/sse";
import { progressStream } from "@/lib/progress/stream";
import { streamRequest } from "@/lib/progress/stream-request";

export const dynamic = "force-dynamic";

// Under `npm start` the custom server (scripts/server.mjs) answers this path itself with the
// same decisions (lib/progress/node-stream.ts); this route serves it under `next dev` and
// wherever the app runs without that server.
// Every 4xx is decided before the stream starts: after that the status is 200 for good.
export const GET = withViewer(syncParams, async ({ req, viewer, params }) => {
  const opts = await streamRequest(viewer, params.syncId, req.headers.get("last-event-id"), req.signal);
  return new Response(progressStream(opts), { status: 200, headers: SSE_HEADERS });
});
