// A Node request's headers as a web Headers object (for code written against Request).
import type { IncomingMessage } from "node:http";

export function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let k = 0; k + 1 < raw.length; k += 2) {
    const name = raw[k]!;
    if (name.startsWith(":")) continue;
    try {
      headers.append(name, raw[k + 1]!);
    } catch {
      // a header value Headers refuses: drop it
    }
  }
  return headers;
}
