import { errorResponse, unauthorized } from "@/lib/api/errors";
import { getSessionUserId } from "@/lib/auth";
import { env, executionShape } from "@/lib/env";
import { syncParams } from "@/lib/api/params";
import { SSE_HEADERS } from "@/lib/progress/sse";
import { progressStream } from "@/lib/progress/stream";
import { streamRequest } from "@/lib/progress/stream-request";
import { gatedStream } from "@/lib/progress/stream-slots";

export const dynamic = "force-dynamic";
// A platform with a maximum duration (Vercel) cuts a response at maxDuration: the stream ends
// itself a little before (STREAM_MAX_OPEN_MS) and EventSource reconnects with Last-Event-ID.
export const maxDuration = 300;
const STREAM_MAX_OPEN_MS = (maxDuration - 15) * 1000;

// Under `npm start` the custom server (scripts/server.mjs) answers this path itself with the
// same decisions (lib/progress/node-stream.ts); this route serves it under `next dev` and
// wherever the app runs without that server.
// Every 4xx is decided before the stream starts: after that the status is 200 for good. A
// session at its cap of open streams is refused before its session is even read (gatedStream).
export async function GET(req: Request, route: { params: Promise<{ syncId: string }> }): Promise<Response> {
  try {
    const opts = await gatedStream(req.headers, req.signal, async () => {
      // Ownership is all a stream needs: the session's user (no workspace lookup).
      const userId = await getSessionUserId(req.headers);
      if (!userId) throw unauthorized();
      const { syncId } = syncParams.parse(await route.params);
      return streamRequest({ userId }, syncId, req.headers.get("last-event-id"), req.signal);
    });
    const serverless = executionShape() === "serverless";
    // Serverless without Redis: the run executes in another instance, and only the database
    // tells this one about its events: read it every second, not every five.
    const stream = progressStream({ ...opts, ...(serverless ? { maxOpenMs: STREAM_MAX_OPEN_MS, ...(env().REDIS_URL ? {} : { pollMs: 1000 }) } : {}) });
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  } catch (error) {
    return errorResponse(error);
  }
}
