// Progress streams served straight on Node's HTTP response, by the custom server
// (scripts/server.mjs) ahead of Next.js's router. A stream is open for the whole sync: through
// Next.js each one kept its request pipeline alive (about 100 KB of heap a stream, and every
// event piped through web streams per subscriber); here a stream is the socket, one subscriber
// record in the run's hub and the bytes the hub encoded once for everyone. Same decisions and
// answers as the route (app/api/sync-progress/[syncId]/stream/route.ts): lib/progress/stream-request.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse, unauthorized } from "@/lib/api/errors";
import { getSessionUserId } from "@/lib/auth";
import { requestHeaders } from "@/lib/http/node-headers";
import { securityHeaders } from "@/lib/http/security-headers";
import { SSE_HEADERS } from "@/lib/progress/sse";
import { attachProgressStream } from "@/lib/progress/stream";
import { gatedStream } from "@/lib/progress/stream-slots";
import { streamRequest } from "@/lib/progress/stream-request";

/** A client that has not read this much of its stream is cut off; it reconnects with Last-Event-ID and catches up. */
export const MAX_UNREAD_BYTES = 1 << 20;

/** The path this handler serves (without the query): `/api/sync-progress/<id>/stream`; the id is checked by streamRequest. */
export const STREAM_PATH = /^\/api\/sync-progress\/([^/?#]+)\/stream$/;

/** What instrumentation.ts registers for scripts/server.mjs: the path, and the handler for a GET of it. */
export const directRoute = { path: STREAM_PATH, serve: serveProgressStream };


function baseHeaders(): Record<string, string> {
  return Object.fromEntries(securityHeaders().map((h) => [h.key, h.value]));
}

async function answer(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (res.headersSent || res.destroyed) return;
  res.writeHead(response.status, { ...baseHeaders(), ...Object.fromEntries(response.headers), "content-length": String(body.length) });
  res.end(body);
}

/** Serves one progress stream request (GET); `syncId` is the path segment as sent. */
export async function serveProgressStream(req: IncomingMessage, res: ServerResponse, syncId: string): Promise<void> {
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  try {
    let id: string;
    try {
      id = decodeURIComponent(syncId);
    } catch {
      id = syncId;
    }
    const headers = requestHeaders(req);
    const opts = await gatedStream(headers, abort.signal, async () => {
      // Ownership is all a stream needs: the session's user (no workspace lookup).
      const userId = await getSessionUserId(headers);
      if (!userId) throw unauthorized();
      return streamRequest({ userId }, id, headers.get("last-event-id"), abort.signal);
    });
    if (abort.signal.aborted) return;
    res.writeHead(200, { ...baseHeaders(), ...SSE_HEADERS });
    res.flushHeaders();
    attachProgressStream(opts, {
      write(bytes) {
        if (res.destroyed || res.writableEnded) return false;
        if (res.writableLength > MAX_UNREAD_BYTES) {
          res.destroy();
          return false;
        }
        res.write(bytes);
        return true;
      },
      close: () => res.end(),
      error: () => res.destroy(),
    });
  } catch (error) {
    await answer(res, errorResponse(error));
  }
}
