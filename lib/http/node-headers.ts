// A Node request's headers as a web Headers object (for code written against Request).
import type { IncomingMessage } from "node:http";

// The custom server (scripts/server.mjs) rewrites these in req.headers by TRUST_PROXY; the raw
// ones are what the client claimed.
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded"]);

export function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let k = 0; k + 1 < raw.length; k += 2) {
    const name = raw[k]!;
    if (name.startsWith(":") || FORWARDED.has(name.toLowerCase())) continue;
    try {
      headers.append(name, raw[k + 1]!);
    } catch {
      // a header value Headers refuses: drop it
    }
  }
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (typeof value !== "string") continue;
    try {
      headers.set(name, value);
    } catch {
      // as above
    }
  }
  return headers;
}
