// The platform's runtime inside one function instance (preloaded with
// NODE_OPTIONS=--import <this file> by tests/serverless/platform.ts), as Vercel's is:
//
//  - Next.js's `after()` uses the platform's waitUntil when
//    globalThis[Symbol.for('@next/request-context')] exists (next/dist/server/after/
//    builtin-request-context.js; base-server.js getWaitUntil): `.get()` answers the current
//    request's context, whose `waitUntil(promise)` keeps the invocation alive until the
//    promise settles.
//  - Every request the process's HTTP server receives runs inside that context
//    (http.Server.prototype.emit('request') wrapped in AsyncLocalStorage.run).
//  - waitUntil work is counted as pending work of the instance and reported to the harness
//    over the IPC channel ({ type: "pending", pending, until }): `until` is the latest moment
//    (epoch ms) the platform still lets pending work run, maxDuration after the request that
//    registered it began. The harness freezes the instance (SIGSTOP) once no request is open
//    and no work is pending, or the pending work is past its `until`.
//
// Outside a process spawned with an IPC channel (e.g. a child process inheriting
// NODE_OPTIONS) it installs nothing.
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";

if (typeof process.send === "function") {
  const maxDurationMs = Number(process.env.PLATFORM_MAX_DURATION_MS || 20_000);
  const als = new AsyncLocalStorage();
  /** Deadline of each piece of pending work. */
  const pending = new Map();
  let nextId = 0;

  const report = () => {
    let until = 0;
    for (const d of pending.values()) until = Math.max(until, d);
    try {
      process.send({ type: "pending", pending: pending.size, until });
    } catch {
      // the harness went away
    }
  };

  const contextFor = (startedAt) => ({
    waitUntil(promise) {
      const id = ++nextId;
      pending.set(id, startedAt + maxDurationMs);
      report();
      Promise.resolve(promise)
        .catch(() => undefined)
        .finally(() => {
          pending.delete(id);
          report();
        });
    },
  });

  globalThis[Symbol.for("@next/request-context")] = { get: () => als.getStore() };

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, ...args) {
    if (event === "request") return als.run(contextFor(Date.now()), () => emit.call(this, event, ...args));
    return emit.call(this, event, ...args);
  };

  // The harness sends SIGTERM at the end; keep the IPC channel from holding the process.
  process.channel?.unref?.();
  process.send({ type: "shim", pid: process.pid });
}
