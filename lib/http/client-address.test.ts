// With TRUST_PROXY unset (the default) nothing a client puts in X-Forwarded-* is believed.
import { describe, expect, it } from "vitest";

delete process.env.TRUST_PROXY;
const { clientAddress, requestOrigin } = await import("@/lib/http/client-address");

describe("client address and origin, TRUST_PROXY unset", () => {
  it("takes the last X-Forwarded-For entry: the socket's peer, as the custom server or Next.js wrote it", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "127.0.0.1" }))).toBe("127.0.0.1");
    expect(clientAddress(new Headers({ "x-forwarded-for": "6.6.6.6, 10.0.0.7" }))).toBe("10.0.0.7");
    expect(clientAddress(new Headers())).toBeNull();
  });

  it("builds the origin from Host and the URL, never from X-Forwarded-Host/-Proto", () => {
    const req = new Request("http://localhost:3000/api/x", {
      headers: { host: "127.0.0.1:3000", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" },
    });
    expect(requestOrigin(req)).toBe("http://127.0.0.1:3000");
    expect(requestOrigin(new Request("http://localhost:3000/", { headers: { host: "bad host/<x>" } }))).toBe("http://localhost:3000");
  });
});
