// A loopback HTTP proxy in front of the app that misbehaves like a provider's network can.
// The app is started with APP_URL pointing here, so everything goes through it: the tests'
// own requests (passed through untouched) and the app's calls to its built-in sandboxes
// (/sandbox/<provider>/…), which the current fault applies to:
//   - "rate_limit": 429 + Retry-After for `seconds`, from the first request after `afterRequests`
//     successful ones (so it starts mid-run), then the real answers again;
//   - "drop_once": the first answer to each distinct URL is cut off mid-body (the headers and
//     half the bytes sent, then the socket destroyed); its retry gets the whole answer;
//   - "drop_always": every answer of a listing is cut off mid-body.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  | { kind: "none" }
  | { kind: "rate_limit"; seconds: number; retryAfterS: number; afterRequests: number }
  | { kind: "drop_once" }
  | { kind: "drop_always" };

export interface FaultProxy {
  url: string;
  port: number;
  /** Sets the fault of one provider's sandbox (its counters start again). */
  set(provider: string, fault: Fault): void;
  /** What the provider's fault did: requests seen, answered 429, cut off. */
  stats(provider: string): Stats;
  close(): Promise<void>;
}

interface Stats {
  requests: number;
  limited: number;
  dropped: number;
  limitedFrom?: number;
  limitedUntil?: number;
}

interface ProviderState {
  fault: Fault;
  stats: Stats;
  passed: number;
  seen: Set<string>;
}

export async function startFaultProxy(port: number, target: () => number): Promise<FaultProxy> {
  const providers = new Map<string, ProviderState>();
  const sockets = new Set<Socket>();
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const state = providers.get(/^\/sandbox\/([a-z]+)\//.exec(url)?.[1] ?? "");
    // OAuth endpoints stay untouched: only the provider's API misbehaves.
    const faulty = state !== undefined && state.fault.kind !== "none" && !/oauth|token/.test(url);
    const fault = state?.fault ?? { kind: "none" };
    const stats = state?.stats ?? { requests: 0, limited: 0, dropped: 0 };
    stats.requests += 1;
    if (faulty && fault.kind === "rate_limit") {
      const now = Date.now();
      if (stats.limitedFrom === undefined && state.passed >= fault.afterRequests) {
        stats.limitedFrom = now;
        stats.limitedUntil = now + fault.seconds * 1000;
      }
      if (stats.limitedFrom !== undefined && now < stats.limitedUntil!) {
        stats.limited += 1;
        req.resume();
        const body = JSON.stringify({ message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." });
        res.writeHead(429, { "content-type": "application/json; charset=utf-8", "retry-after": String(fault.retryAfterS), "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      state.passed += 1;
    }
    const drop = faulty && (fault.kind === "drop_always" || (fault.kind === "drop_once" && !state.seen.has(url)));
    if (faulty) state.seen.add(url);

    const upstream = http.request(
      { host: "127.0.0.1", port: target(), method: req.method, path: url, headers: req.headers, agent },
      (up) => {
        if (!drop) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on("error", () => res.destroy());
          return;
        }
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => {
          const body = Buffer.concat(chunks);
          // Promise the whole body, send half of it, hang up.
          const headers = { ...up.headers, "content-length": String(body.length) };
          delete headers["transfer-encoding"];
          res.writeHead(up.statusCode ?? 200, headers);
          res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => {
            stats.dropped += 1;
            res.socket?.destroy();
          });
        });
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    set(provider, fault) {
      providers.set(provider, { fault, stats: { requests: 0, limited: 0, dropped: 0 }, passed: 0, seen: new Set() });
    },
    stats: (provider) => ({ ...(providers.get(provider)?.stats ?? { requests: 0, limited: 0, dropped: 0 }) }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
