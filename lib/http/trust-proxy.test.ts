// TRUST_PROXY: which forwarded headers are believed (the custom server rewrites them with this
// before anything reads them; lib/http/client-address.ts applies it without that server).
import { describe, expect, it } from "vitest";
import { normalizeForwarded, parseTrustProxy, pickClient } from "@/lib/http/trust-proxy.mjs";

describe("parseTrustProxy", () => {
  it("is off when unset or said so", () => {
    for (const v of [undefined, "", " ", "false", "0", "off"]) expect(parseTrustProxy(v)).toBeNull();
  });
  it("takes a hop count or a list of addresses and CIDRs", () => {
    expect(parseTrustProxy("2")).toEqual({ hops: 2 });
    const t = parseTrustProxy("10.0.0.1, 192.168.0.0/16, loopback, 2001:db8::/32");
    expect(t && "list" in t).toBe(true);
  });
  it.each(["true", "11", "10.0.0.300", "10.0.0.0/33", "::1/129", "proxy.example", "10.0.0.0/8/1"])("refuses %s", (v) => {
    expect(() => parseTrustProxy(v)).toThrow();
  });
});

describe("pickClient", () => {
  const list = parseTrustProxy("loopback, 10.0.0.0/8");
  it("off: the nearest address (the socket's peer), whatever the client claimed", () => {
    expect(pickClient(["6.6.6.6", "::ffff:127.0.0.1"], null)).toBe("127.0.0.1");
  });
  it("hops: the address before the last N proxies (the peer is one of them)", () => {
    expect(pickClient(["6.6.6.6", "1.2.3.4", "127.0.0.1"], { hops: 1 })).toBe("1.2.3.4");
    expect(pickClient(["6.6.6.6", "1.2.3.4", "127.0.0.1"], { hops: 2 })).toBe("6.6.6.6");
    expect(pickClient(["1.2.3.4"], { hops: 5 })).toBe("1.2.3.4");
    // Without the peer (plain `next start`): the header's last entry is what the one proxy saw.
    expect(pickClient(["6.6.6.6", "1.2.3.4"], { hops: 1 }, false)).toBe("1.2.3.4");
  });
  it("list: the nearest address that is not a trusted proxy", () => {
    expect(pickClient(["6.6.6.6", "1.2.3.4", "10.1.2.3", "127.0.0.1"], list)).toBe("1.2.3.4");
    expect(pickClient(["6.6.6.6", "1.2.3.4"], list)).toBe("1.2.3.4"); // an untrusted peer is the client
  });
  it("never returns a value that is not an address", () => {
    expect(pickClient(["<script>", "127.0.0.1"], list)).toBe("127.0.0.1");
    expect(pickClient(["not-an-ip", "10.0.0.2", "127.0.0.1"], { hops: 2 })).toBe("10.0.0.2");
  });
});

describe("normalizeForwarded", () => {
  const spoofed = () => ({
    host: "app.internal:3000",
    "x-forwarded-for": "6.6.6.6, 7.7.7.7",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    "x-real-ip": "8.8.8.8",
  });
  it("off: replaces every forwarded header with this hop's own values", () => {
    const h = spoofed();
    normalizeForwarded(h, "::ffff:127.0.0.1", false, null);
    expect(h).toEqual({ host: "app.internal:3000", "x-forwarded-for": "127.0.0.1", "x-forwarded-host": "app.internal:3000", "x-forwarded-proto": "http" });
  });
  it("a trusted proxy's values are kept, reduced to the client and the first host/proto", () => {
    const h = spoofed();
    normalizeForwarded(h, "127.0.0.1", false, parseTrustProxy("loopback"));
    expect(h).toMatchObject({ "x-forwarded-for": "7.7.7.7", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect("x-real-ip" in h).toBe(false);
  });
  it("a peer that is not a listed proxy is not believed", () => {
    const h = spoofed();
    normalizeForwarded(h, "203.0.113.9", true, parseTrustProxy("10.0.0.0/8"));
    expect(h).toMatchObject({ "x-forwarded-for": "203.0.113.9", "x-forwarded-host": "app.internal:3000", "x-forwarded-proto": "https" });
  });
  it("drops a malformed forwarded host or proto even from a trusted proxy", () => {
    const h = { host: "app:3000", "x-forwarded-host": "evil.example/<x>", "x-forwarded-proto": "javascript" };
    normalizeForwarded(h, "127.0.0.1", false, { hops: 1 });
    expect(h).toMatchObject({ "x-forwarded-host": "app:3000", "x-forwarded-proto": "http", "x-forwarded-for": "127.0.0.1" });
  });
});
