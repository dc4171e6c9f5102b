// Bodies read with a ceiling: refused by Content-Length before reading, and a body without one
// stopped as soon as it passes the limit (the rest is never pulled from the client).
import { describe, expect, it } from "vitest";
import { readBodyCapped, readTextCapped } from "@/lib/http/body";

function streamed(chunks: number, chunkBytes: number, pulled: { n: number }, contentLength?: string): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent += 1;
      pulled.n += 1;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
  });
  const headers = contentLength ? { "content-length": contentLength } : undefined;
  return new Request("http://app.test/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("readBodyCapped", () => {
  it("reads a body within the limit, and an empty one", async () => {
    expect(await readTextCapped(new Request("http://app.test/", { method: "POST", body: '\uFEFF{"a":1}' }), 64)).toBe('{"a":1}');
    expect((await readBodyCapped(new Request("http://app.test/", { method: "POST" }), 64)).byteLength).toBe(0);
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const pulled = { n: 0 };
    const declared = streamed(10, 1024, pulled, String(60 * 1024 * 1024));
    await expect(readBodyCapped(declared, 64 * 1024)).rejects.toMatchObject({ status: 413 });
    expect(pulled.n).toBeLessThanOrEqual(1); // the stream's own read-ahead, nothing more
  });

  it("stops a streamed body as soon as it passes the limit", async () => {
    const pulled = { n: 0 };
    await expect(readBodyCapped(streamed(10_000, 16 * 1024, pulled), 64 * 1024)).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
    expect(pulled.n).toBeLessThan(10);
  });
});
