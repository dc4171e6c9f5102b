// A fetch() for provider calls built on node:http/https, because the abort has to reach
// the socket. Node 20's built-in fetch (undici) follows the caller's AbortSignal through a
// WeakRef to an internal Request; once that Request is garbage-collected mid-flight, an
// abort no longer reaches the connection (nodejs/undici#3644, #4068), and a provider that
// never answers holds the sync for ever. node:http attaches the signal with a strong
// listener and destroys the socket on abort, so timeouts and cancel really stop the call.
import http from "node:http";
import https from "node:https";
import { Readable, pipeline } from "node:stream";
import zlib from "node:zlib";

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 64 }),
};
const MAX_REDIRECTS = 5;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

async function bodyBytes(body: BodyInit | null | undefined): Promise<Buffer | undefined> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}

/**
 * The decoded body. `pipeline`, not `pipe`: when the socket is destroyed (timeout, cancel)
 * the error must reach the decoder, or a reader of a half-received gzip body waits forever.
 */
function decode(res: http.IncomingMessage): Readable {
  const make = (() => {
    switch ((res.headers["content-encoding"] ?? "").toLowerCase()) {
      case "gzip":
      case "x-gzip":
        return zlib.createGunzip;
      case "deflate":
        return zlib.createInflate;
      case "br":
        return zlib.createBrotliDecompress;
      default:
        return undefined;
    }
  })();
  if (!make) return res;
  const decoder = make();
  pipeline(res, decoder, () => undefined);
  return decoder;
}

export async function nodeFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  let url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  let method = (init.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init.headers).forEach((v, k) => headers.set(k, v));
  if (!headers.has("accept-encoding")) headers.set("accept-encoding", "gzip, deflate, br");
  let body = await bodyBytes(init.body ?? null);
  const signal = init.signal ?? undefined;

  for (let redirects = 0; ; redirects += 1) {
    signal?.throwIfAborted();
    const mod = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
    if (!mod) throw new TypeError(`Unsupported protocol ${url.protocol}`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const outgoing: Record<string, string> = {};
      headers.forEach((v, k) => (outgoing[k] = v));
      if (body) outgoing["content-length"] = String(body.length);
      const req = mod.request(url, { method, headers: outgoing, signal, agent: agents[url.protocol as "http:" | "https:"] }, resolve);
      req.on("error", reject);
      req.end(body);
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && init.redirect !== "manual") {
      res.resume();
      if (redirects >= MAX_REDIRECTS) throw new TypeError("Too many redirects");
      const next = new URL(location, url);
      if (next.origin !== url.origin) headers.delete("authorization");
      if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
      }
      url = next;
      continue;
    }
    const responseHeaders = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || k === "content-encoding" || k === "content-length") continue;
      for (const value of Array.isArray(v) ? v : [v]) responseHeaders.append(k, value);
    }
    if (NULL_BODY.has(status) || method === "HEAD") {
      res.resume();
      return new Response(null, { status, statusText: res.statusMessage, headers: responseHeaders });
    }
    const stream = Readable.toWeb(decode(res)) as ReadableStream<Uint8Array>;
    const response = new Response(stream, { status, statusText: res.statusMessage, headers: responseHeaders });
    Object.defineProperty(response, "url", { value: url.toString() });
    return response;
  }
}
