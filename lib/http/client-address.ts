// Who is asking, and on which origin: the one place the app reads X-Forwarded-For/-Host/-Proto.
// Under `npm start` the custom server (scripts/server.mjs) has already rewritten them from the
// socket by TRUST_PROXY (lib/http/trust-proxy.mjs), so they are a single believable value each;
// without it (plain `next start`, `next dev`) the same rule is applied here to what arrived.
import { env } from "@/lib/env";
import { firstHost, firstProto, headerList, parseTrustProxy, pickClient, type TrustProxy } from "@/lib/http/trust-proxy.mjs";

let parsed: { value: string | undefined; trust: TrustProxy } | undefined;

/** TRUST_PROXY, parsed once (lib/env.ts has already refused a bad value). */
export function trustProxy(): TrustProxy {
  const value = env().TRUST_PROXY;
  if (!parsed || parsed.value !== value) parsed = { value, trust: parseTrustProxy(value) };
  return parsed.trust;
}

/**
 * The client's address, or null when nothing says (a request that reached no server of ours).
 * Off, the last X-Forwarded-For entry: the socket's peer, as the custom server or Next.js wrote
 * it; on, the proxies TRUST_PROXY names are walked past.
 */
export function clientAddress(headers: Headers): string | null {
  return pickClient(headerList(headers.get("x-forwarded-for")), trustProxy(), false);
}

/** The origin the request was addressed to: the Host header, or a trusted proxy's X-Forwarded-Host/-Proto. */
export function requestOrigin(req: Request): string {
  const url = new URL(req.url);
  const trust = trustProxy();
  // Under the custom server these are this hop's own values unless a trusted proxy set them.
  const host = (trust && firstHost(req.headers.get("x-forwarded-host"))) || firstHost(req.headers.get("host")) || url.host;
  const proto = (trust && firstProto(req.headers.get("x-forwarded-proto"))) || url.protocol.replace(":", "");
  return `${proto}://${host}`;
}
