// A tiny loopback load balancer for the multi-process test (keeps the Host header, as a
// real one does): forwards each request to a
// backend (the pinned one, else round-robin), and moves on to the next backend when one
// refuses connections (killed). Streams are piped as they come, so SSE passes through.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Proxy {
  url: string;
  /** Send every new request to this backend while it answers (null: round-robin). */
  pin(backend: string | null): void;
  /** How many requests each backend received. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startProxy(backends: string[]): Promise<Proxy> {
  let pinned: string | null = null;
  let next = 0;
  const counts: Record<string, number> = {};
  const sockets = new Set<import("node:net").Socket>();

  const order = (): string[] => {
    const start = pinned ? backends.indexOf(pinned) : next++ % backends.length;
    return backends.map((_, i) => backends[(start + i) % backends.length]!);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const candidates = order();
      const attempt = (i: number) => {
        const target = candidates[i];
        if (!target) {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end("no backend answered");
          return;
        }
        const url = new URL(req.url ?? "/", target);
        const upstream = http.request(
          url,
          { method: req.method, headers: req.headers, agent: false },
          (up) => {
            counts[target] = (counts[target] ?? 0) + 1;
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            // The backend died mid-response: end ours too (the client reconnects).
            up.on("error", () => res.destroy());
            up.on("aborted", () => res.destroy());
          },
        );
        upstream.on("error", (error: NodeJS.ErrnoException) => {
          if (!res.headersSent && (error.code === "ECONNREFUSED" || error.code === "ECONNRESET")) return attempt(i + 1);
          res.destroy();
        });
        res.on("close", () => upstream.destroy());
        upstream.end(body);
      };
      attempt(0);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pin(backend) {
      pinned = backend;
    },
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
