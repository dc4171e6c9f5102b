import { withViewer } from "@/lib/api/handler";
import { env, executionShape } from "@/lib/env";
import { syncParams } from "@/lib/api/params";
import { SSE_HEADERS } from "@/lib/progress/sse";
import { progressStream } from "@/lib/progress/stream";
import { streamRequest } from "@/lib/progress/stream-request";

export const dynamic = "force-dynamic";
// A platform with a maximum duration (Vercel) cuts a response at maxDuration: the stream ends
// itself a little before (STREAM_MAX_OPEN_MS) and EventSource reconnects with Last-Event-ID.
export const maxDuration = 300;
const STREAM_MAX_OPEN_MS = (maxDuration - 15) * 1000;

// Under `npm start` the custom server (scripts/server.mjs) answers this path itself with the
// same decisions (lib/progress/node-stream.ts); this route serves it under `next dev` and
// wherever the app runs without that server.
// Every 4xx is decided before the stream starts: after that the status is 200 for good.
export const GET = withViewer(syncParams, async ({ req, viewer, params }) => {
  const opts = await streamRequest(viewer, params.syncId, req.headers.get("last-event-id"), req.signal);
  const serverless = executionShape() === "serverless";
  // Serverless without Redis: the run executes in another instance, and only the database
  // tells this one about its events: read it every second, not every five.
  const stream = progressStream({ ...opts, ...(serverless ? { maxOpenMs: STREAM_MAX_OPEN_MS, ...(env().REDIS_URL ? {} : { pollMs: 1000 }) } : {}) });
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
});
