// TRUST_PROXY: whether X-Forwarded-For/-Host/-Proto are believed, and how far. Plain JS because
// two worlds use it: the custom server (scripts/server.mjs, plain Node, the one place that sees
// the socket) rewrites those headers on every request before anything else reads them, and the
// app (lib/http/client-address.ts) applies the same rule where no custom server ran (plain
// `next start`, `next dev`). Types: trust-proxy.d.mts.
//
//   unset, "false", "0", "off"   nothing forwarded is believed: the client is the socket's peer
//   "1".."10"                    that many proxies in front of the app, each appending to X-Forwarded-For
//   "10.0.0.1, 10.1.0.0/16"      proxies at these addresses / CIDRs ("loopback" = 127.0.0.0/8 and ::1)
import { BlockList, isIP } from "node:net";

/** Strips the IPv4-mapped IPv6 prefix (a dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1) and an IPv6 zone. */
export function normalizeAddress(address) {
  const a = String(address ?? "").trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return mapped[1];
  return a.replace(/%.*$/, "");
}

function addEntry(list, entry) {
  if (entry === "loopback") {
    list.addSubnet("127.0.0.0", 8, "ipv4");
    list.addAddress("::1", "ipv6");
    return;
  }
  const [address, bits, extra] = entry.split("/");
  const ip = normalizeAddress(address);
  const family = isIP(ip);
  if (!family || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR range`);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (bits === undefined) return list.addAddress(ip, type);
  const prefix = /^\d+$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}" has a bad prefix length`);
  list.addSubnet(ip, prefix, type);
}

/**
 * Parses TRUST_PROXY: null (off), { hops } or { list }. Throws with a readable reason on a bad
 * value ("true" is refused: trusting every hop would let any client name its own address).
 */
export function parseTrustProxy(value) {
  const v = String(value ?? "").trim().toLowerCase();
  if (v === "" || v === "false" || v === "0" || v === "off") return null;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 10) throw new Error("a hop count is at most 10");
    return { hops };
  }
  if (v === "true") throw new Error('say how many proxies (e.g. "1") or which addresses, not "true"');
  const list = new BlockList();
  for (const entry of v.split(",").map((e) => e.trim()).filter(Boolean)) addEntry(list, entry);
  return { list };
}

function trusted(trust, address) {
  const ip = normalizeAddress(address);
  const family = isIP(ip);
  return family !== 0 && trust.list.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** The entries of a comma-separated header (X-Forwarded-For), in order. */
export function headerList(value) {
  if (Array.isArray(value)) value = value.join(",");
  return String(value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The client's address from `chain`: the addresses a request passed, farthest first (the
 * X-Forwarded-For entries, then the socket's peer when `peerIncluded`). Off: the nearest.
 * Hops: the one before the last `hops` proxies (the peer counts as one). List: the nearest
 * address that is not a trusted proxy. An entry that is not an IP address ends the walk (a
 * proxy we trust never writes one): the address nearer to us is taken instead.
 */
export function pickClient(chain, trust, peerIncluded = true) {
  const addrs = chain.map(normalizeAddress);
  if (addrs.length === 0) return null;
  if (!trust) return addrs.at(-1);
  let i = addrs.length - 1;
  if ("hops" in trust) {
    i = Math.max(0, addrs.length - 1 - (peerIncluded ? trust.hops : Math.max(0, trust.hops - 1)));
  } else {
    while (i > 0 && trusted(trust, addrs[i])) i -= 1;
  }
  // Walk back towards us past anything that is not an address.
  while (i < addrs.length - 1 && !isIP(addrs[i])) i += 1;
  return addrs[i];
}

/** Whether the socket's peer is a proxy whose X-Forwarded-Host/-Proto are believed. */
export function peerTrusted(peer, trust) {
  if (!trust) return false;
  return "hops" in trust ? trust.hops > 0 : trusted(trust, peer);
}

const HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** The first value of a forwarded host/proto header when it is well formed, else undefined. */
export function firstHost(value) {
  const first = headerList(value)[0];
  return first && HOST.test(first) ? first.toLowerCase() : undefined;
}
export function firstProto(value) {
  const first = headerList(value)[0]?.toLowerCase();
  return first === "http" || first === "https" ? first : undefined;
}

/**
 * Rewrites a Node request's forwarded headers (`headers` is IncomingMessage.headers) so that
 * whatever reads them later (Next.js, Better Auth's per-IP limit, the origin check) sees only
 * what TRUST_PROXY allows: X-Forwarded-For becomes the one client address, X-Forwarded-Host and
 * -Proto the trusted proxy's values or this hop's own (Host header, the socket's TLS).
 */
export function normalizeForwarded(headers, peer, encrypted, trust) {
  const chain = trust ? [...headerList(headers["x-forwarded-for"]), peer] : [peer];
  const client = pickClient(chain.filter(Boolean), trust);
  const believe = peerTrusted(peer, trust);
  const host = (believe && firstHost(headers["x-forwarded-host"])) || headers.host;
  const proto = (believe && firstProto(headers["x-forwarded-proto"])) || (encrypted ? "https" : "http");
  for (const name of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded"]) delete headers[name];
  if (client) headers["x-forwarded-for"] = client;
  if (host) headers["x-forwarded-host"] = host;
  headers["x-forwarded-proto"] = proto;
}
