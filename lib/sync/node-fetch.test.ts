import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "@/lib/sync/node-fetch";
import { createProviderFetch } from "@/lib/sync/provider-fetch";

let server: Server;
let base: string;
let closed = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/hang") req.socket.once("close", () => (closed += 1));
    if (req.url === "/json") {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      return res.end(gzipSync(JSON.stringify({ ok: true, echo: req.headers["x-echo"] ?? null })));
    }
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "/json" });
      return res.end();
    }
    if (req.url === "/not-modified") {
      res.writeHead(304, { etag: 'W/"1"' });
      return res.end();
    }
    if (req.url === "/post") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        res.writeHead(201, { "content-type": "text/plain" });
        res.end(`${req.method} ${body}`);
      });
      return;
    }
    // /hang: never answers
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("nodeFetch", () => {
  it("decodes gzip JSON and passes headers", async () => {
    const res = await nodeFetch(`${base}/json`, { headers: { "x-echo": "hi" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.json()).toEqual({ ok: true, echo: "hi" });
  });

  it("follows redirects and reports the final URL", async () => {
    const res = await nodeFetch(`${base}/redirect`);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/json`);
  });

  it("answers 304 with no body", async () => {
    const res = await nodeFetch(`${base}/not-modified`);
    expect(res.status).toBe(304);
    expect(res.body).toBeNull();
    expect(res.headers.get("etag")).toBe('W/"1"');
  });

  it("sends a body", async () => {
    const res = await nodeFetch(`${base}/post`, { method: "POST", body: "hello" });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("POST hello");
  });

  it("closes the socket when the timeout fires, even after garbage collection", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const run = new AbortController();
    const f = createProviderFetch({ provider: "Test", signal: run.signal, requestTimeoutMs: 400, maxAttempts: 1, maxRateLimitWaitMs: 1000 });
    const before = closed;
    const pending = f(`${base}/hang`).catch((e: Error) => e);
    for (let i = 0; i < 5; i += 1) {
      await new Promise((r) => setTimeout(r, 40));
      gc?.();
    }
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("Test did not answer within 0.4 s, 1 attempts.");
    await new Promise((r) => setTimeout(r, 50));
    expect(closed - before).toBe(1);
  });

  it("closes the socket when the run is cancelled, even after garbage collection", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const run = new AbortController();
    const f = createProviderFetch({ provider: "Test", signal: run.signal, requestTimeoutMs: 60_000, maxAttempts: 3, maxRateLimitWaitMs: 1000 });
    const before = closed;
    const pending = f(`${base}/hang`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    gc?.();
    run.abort(new Error("cancelled by user"));
    expect(await pending).toEqual(new Error("cancelled by user"));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed - before).toBe(1);
  });
});

describe("nodeFetch, a body cut off mid-way", () => {
  it("fails the reader of a gzip body when the socket dies, instead of waiting for ever", async () => {
    const { gzipSync: gz } = await import("node:zlib");
    const payload = gz(JSON.stringify({ filler: "x".repeat(200_000) }));
    const srv = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.write(payload.subarray(0, 1000)); // then nothing: the client times out mid-body
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const addr = srv.address();
    const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/`;
    const run = new AbortController();
    const f = createProviderFetch({ provider: "Test", signal: run.signal, requestTimeoutMs: 300, maxAttempts: 1, maxRateLimitWaitMs: 1000 });
    const started = Date.now();
    const error = await f(url).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("Test did not answer within 0.3 s, 1 attempts.");
    expect(Date.now() - started).toBeLessThan(2000);
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });
});
