#!/usr/bin/env node
// The production web server `npm start` runs (scripts/start.mjs): Next.js through its
// documented custom-server API, with one path served ahead of Next's router: the live
// progress streams (GET /api/sync-progress/<id>/stream). A stream stays open for a whole sync;
// through Next.js every open stream kept a request pipeline alive (~100 KB of heap each, and
// each event piped per subscriber through web streams). lib/progress/node-stream.ts answers
// them on the Node response directly, with the same decisions as the Next route (which still
// serves them under `next dev`). The handler is registered by instrumentation.ts from inside the
// app's own build; until it is, requests go to Next like any other.
//   PORT (default 3000); listens on all interfaces, as `next start` does.
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

process.env.NODE_ENV = "production";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 3000);
process.title = "next-server (2nd Brain)";

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, port });
const handle = app.getRequestHandler();
await app.prepare();

// { progressStream: { path, serve } }, registered by instrumentation.ts (lib/progress/node-stream.ts).
const routes = () => globalThis[Symbol.for("2nd-brain.node-routes")];

const server = createServer((req, res) => {
  const own = req.method === "GET" ? routes()?.progressStream : undefined;
  const match = own?.path.exec((req.url ?? "").split("?")[0]);
  const handled = match ? own.serve(req, res, match[1]) : handle(req, res);
  Promise.resolve(handled).catch((error) => {
    console.error(`[server] request for ${req.method} ${req.url} failed`, error);
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ success: false, error: "Something went wrong on our side; please try again." }));
    } else res.destroy();
  });
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
