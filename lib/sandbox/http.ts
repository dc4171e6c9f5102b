// Serves sandbox handlers ((Request, subpath) => Response) from a plain node:http server on
// 127.0.0.1, for tests and benchmarks. A client that disconnects aborts req.signal; response
// bodies are streamed with backpressure.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { requestHeaders } from "@/lib/http/node-headers";

export type SandboxRoute = (req: Request, subpath: string) => Promise<Response>;

export interface SandboxServer {
  /** e.g. "http://127.0.0.1:41234" (no trailing slash); a route "/github" is at `${url}/github`. */
  url: string;
  /** Stops listening, drops open connections (aborting their requests) and resolves when closed. */
  close(): Promise<void>;
}

function jsonError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}


async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const joined = Buffer.concat(chunks);
  const out = new Uint8Array(joined.byteLength);
  out.set(joined);
  return out;
}

/** Waits for 'drain'; false if the connection closed first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

async function writeResponse(res: ServerResponse, response: Response, method: string): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  const cookies = response.headers.getSetCookie();
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);

  const body = response.body;
  if (!body || method === "HEAD" || response.status === 204 || response.status === 304) {
    await body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = body.getReader();
  const onClose = () => {
    reader.cancel().catch(() => undefined);
  };
  res.on("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value) && !(await drained(res))) return;
    }
    res.end();
  } finally {
    res.off("close", onClose);
    reader.releaseLock();
  }
}

function matchRoute(
  prefixes: readonly string[],
  pathname: string,
): { prefix: string; subpath: string } | null {
  for (const prefix of prefixes) {
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
      return { prefix, subpath: pathname.slice(prefix.length) || "/" };
    }
  }
  return null;
}

export async function serveSandbox(routes: Record<string, SandboxRoute>, port = 0): Promise<SandboxServer> {
  const normalized = new Map<string, SandboxRoute>();
  for (const [prefix, handler] of Object.entries(routes)) {
    normalized.set(`/${prefix.replace(/^\/+|\/+$/g, "")}`.replace(/^\/$/, ""), handler);
  }
  // Longest prefix first, so "/github/enterprise" would win over "/github".
  const prefixes = [...normalized.keys()].sort((a, b) => b.length - a.length);

  const server = createServer((req, res) => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    void (async () => {
      try {
        const host = req.headers.host ?? "127.0.0.1";
        const url = new URL(req.url ?? "/", `http://${host}`);
        const found = matchRoute(prefixes, url.pathname);
        const handler = found ? normalized.get(found.prefix) : undefined;
        if (!found || !handler) {
          jsonError(res, 404, "Not Found");
          return;
        }
        const method = (req.method ?? "GET").toUpperCase();
        const hasBody = method !== "GET" && method !== "HEAD";
        const request = new Request(url, {
          method,
          headers: requestHeaders(req),
          body: hasBody ? await readBody(req) : undefined,
          signal: controller.signal,
        });
        const response = await handler(request, found.subpath);
        if (res.destroyed) {
          await response.body?.cancel().catch(() => undefined);
          return;
        }
        await writeResponse(res, response, method);
      } catch {
        jsonError(res, 500, "Sandbox handler failed");
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
