#!/usr/bin/env node
// The production web server `npm start` runs (scripts/start.mjs): Next.js through its
// documented custom-server API, with one path served ahead of Next's router: the live
// progress streams (GET /api/sync-progress/<id>/stream). A stream stays open for a whole sync;
// through Next.js every open stream kept a request pipeline alive (~100 KB of heap each, and
// each event piped per subscriber through web streams). lib/progress/node-stream.ts answers
// them on the Node response directly, with the same decisions as the Next route (which still
// serves them under `next dev`). The handler is registered by instrumentation.ts from inside the
// app's own build; until it is, requests go to Next like any other.
//
// It is also the edge every request crosses first, so what must hold before any app code runs
// is decided here: forwarded headers rewritten by TRUST_PROXY (lib/http/trust-proxy.mjs), bodies
// refused by Content-Length and cut off past a ceiling, methods and paths Next.js would answer
// with a 5xx answered 405/400, and timeouts on slow requests.
//   PORT (default 3000); listens on all interfaces, as `next start` does.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeForwarded, parseTrustProxy } from "../lib/http/trust-proxy.mjs";

// Next.js needs NODE_ENV=production to serve a production build. Whether this is a deployment
// is what the operator said: lib/env.ts requires APP_URL only then, not for `npm start` on a laptop.
if (process.env.NODE_ENV !== "production") process.env.__2B_LOCAL_START = "1";
process.env.NODE_ENV = "production";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 3000);
process.title = "next-server (2nd Brain)";

let trust;
try {
  trust = parseTrustProxy(process.env.TRUST_PROXY);
} catch (error) {
  console.error(`[server] Invalid settings:\n  TRUST_PROXY: ${error.message}`);
  process.exit(1);
}

/** JSON API and the sandboxes' provider APIs: small bodies only (lib/http/body.ts reads them capped too). */
const JSON_BODY_LIMIT = 64 * 1024;
/** Anything else (pages; Next.js's own server-action limit is 1 MB). */
const OTHER_BODY_LIMIT = 1024 * 1024;
/** A body sent without Content-Length is cut off (connection closed) past this, whoever reads it. */
const STREAMED_BODY_CEILING = 1024 * 1024;
/** Methods the app answers; anything else (TRACE, PROPFIND…) is a 405 here, never a 5xx from Next.js. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const ALLOW = [...METHODS].join(", ");

// Never all of the process's file descriptors for sockets: a flood of connections must leave
// some to the database (SQLite opens files) and the app's own requests to its sandboxes.
function openFileLimit() {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return 1024;
}

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, port });
const handle = app.getRequestHandler();
await app.prepare();

// { progressStream: { path, serve } }, registered by instrumentation.ts (lib/progress/node-stream.ts).
const routes = () => globalThis[Symbol.for("2nd-brain.node-routes")];

// Security headers of the edge's own refusals (the same as next.config.ts gives every page).
const EDGE_HEADERS = {
  "content-type": "application/json",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

/**
 * Answers `status` with the app's JSON error body (codes of lib/contract/api.ts). `unread`: the
 * body is refused unread; what the client still sends is dropped as it comes (so it sees this
 * answer rather than a reset), and a body still arriving 2 s later has its connection closed.
 */
function refuse(req, res, status, error, code, headers = {}, unread = false) {
  const body = JSON.stringify({ success: false, error, code });
  if (unread) {
    // Not closed at once even when the client said `Connection: close`: a socket closed under a
    // client still sending makes it fail with EPIPE before it reads this answer. The client
    // closes it itself once its body is sent.
    res.shouldKeepAlive = true;
    res.once("finish", () => {
      if (req.complete) return;
      req.resume();
      const cut = setTimeout(() => req.socket.destroy(), 2000);
      cut.unref();
      req.once("end", () => clearTimeout(cut));
    });
  }
  res.writeHead(status, { ...EDGE_HEADERS, ...headers, "content-length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}

function bodyLimit(pathname) {
  return pathname.startsWith("/api/") || pathname.startsWith("/sandbox/") ? JSON_BODY_LIMIT : OTHER_BODY_LIMIT;
}

/** Refuses what must not reach the app; true when it answered. */
function screen(req, res) {
  if (!METHODS.has(req.method)) {
    refuse(req, res, 405, `Method ${req.method} is not allowed`, "validation_failed", { allow: ALLOW });
    return true;
  }
  const pathname = (req.url ?? "/").split("?")[0];
  try {
    decodeURIComponent(pathname);
  } catch {
    refuse(req, res, 400, "The path is not valid percent-encoding", "validation_failed");
    return true;
  }
  const declared = req.headers["content-length"];
  const limit = bodyLimit(pathname);
  if (declared !== undefined && Number(declared) > limit) {
    refuse(req, res, 413, `Request body is too large (at most ${Math.round(limit / 1024)} KB)`, "payload_too_large", {}, true);
    return true;
  }
  if (declared === undefined && req.headers["transfer-encoding"] !== undefined) capStreamedBody(req, res);
  return false;
}

// A body without Content-Length is counted as the parser hands it over (whoever reads it, and
// when): past the ceiling nothing more is taken in. The route handlers refuse such a body at
// their own, lower limit (lib/http/body.ts); this stops one that nothing reads with a limit.
function capStreamedBody(req, res) {
  let seen = 0;
  const push = req.push;
  req.push = function (chunk, encoding) {
    if (chunk === null || chunk === undefined) return push.call(this, chunk, encoding);
    seen += chunk.length;
    if (seen <= STREAMED_BODY_CEILING) return push.call(this, chunk, encoding);
    // Past the ceiling every chunk is dropped (the body's end still comes through, so a
    // connection that already has its answer carries on; requestTimeout bounds one that never ends).
    if (seen - chunk.length <= STREAMED_BODY_CEILING && !res.headersSent) {
      refuse(req, res, 413, "Request body is too large", "payload_too_large", {}, true);
    }
    return true;
  };
}

const server = createServer({ headersTimeout: 20_000, requestTimeout: 30_000 }, (req, res) => {
  normalizeForwarded(req.headers, req.socket.remoteAddress, Boolean(req.socket.encrypted), trust);
  if (screen(req, res)) return;
  const own = req.method === "GET" ? routes()?.progressStream : undefined;
  const match = own?.path.exec((req.url ?? "").split("?")[0]);
  const handled = match ? own.serve(req, res, match[1]) : handle(req, res);
  Promise.resolve(handled).catch((error) => {
    console.error(`[server] request for ${req.method} ${req.url} failed`, error);
    if (!res.headersSent) refuse(req, res, 500, "Something went wrong on our side; please try again.", "internal");
    else res.destroy();
  });
});
// Timeouts: headers within 20 s and the whole request (headers and body, at most 1 MB) within
// 30 s (Node's defaults are 60 and 300); requestTimeout bounds receiving the request only, never
// the answer, so a progress stream stays open for its whole sync. An idle kept-alive connection
// is closed after 10 s: a little above what clients keep one idle (undici and Node's agent: 4-5 s),
// so it is the client that lets go first and never sends on a connection we are closing.
server.keepAliveTimeout = 10_000;
server.maxConnections = Math.floor((openFileLimit() * 3) / 4);
// Expect: 100-continue (curl sends it for large bodies): refuse a body too large before it is sent.
server.on("checkContinue", (req, res) => {
  const limit = bodyLimit((req.url ?? "/").split("?")[0]);
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    refuse(req, res, 413, `Request body is too large (at most ${Math.round(limit / 1024)} KB)`, "payload_too_large", {}, true);
    return;
  }
  res.writeContinue();
  server.emit("request", req, res);
});
// A request line or header Node cannot parse: a 400, not a reset (the default), where possible.
server.on("clientError", (error, socket) => {
  if (socket.writable && !socket.destroyed && error.code !== "ECONNRESET") {
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ success: false, error: status === 408 ? "Request timed out" : "Malformed request", code: "validation_failed" });
    socket.end(`HTTP/1.1 ${status} ${status === 408 ? "Request Timeout" : status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  } else socket.destroy();
});
server.on("error", (error) => {
  console.error("[server] could not start:", error.message);
  process.exit(1);
});
server.listen(port, () => {
  process.env.__NEXT_PRIVATE_ORIGIN ??= `http://localhost:${port}`;
  console.log(`[server] ready on http://localhost:${port}`);
});
// instrumentation.ts registers the direct handler as the app boots (just after prepare).
const registered = Date.now();
const check = setInterval(() => {
  if (routes()) {
    clearInterval(check);
    console.log("[server] progress streams served directly (lib/progress/node-stream.ts)");
  } else if (Date.now() - registered > 30_000) {
    clearInterval(check);
    console.warn("[server] no direct progress-stream handler registered: streams go through Next.js");
  }
}, 50);
check.unref();
