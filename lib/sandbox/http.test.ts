import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveSandbox, type SandboxServer } from "./http";

let server: SandboxServer;
let disconnects = 0;
let release: (() => void) | undefined;

beforeAll(async () => {
  server = await serveSandbox({
    "/echo": async (req, subpath) =>
      Response.json({
        method: req.method,
        subpath,
        url: req.url,
        auth: req.headers.get("authorization"),
        body: req.method === "POST" ? await req.text() : null,
      }),
    "/wait": (req) =>
      new Promise<Response>((resolve) => {
        req.signal.addEventListener("abort", () => {
          disconnects++;
          release?.();
          resolve(new Response(null, { status: 499 }));
        });
      }),
    "/stream": async () => {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (n === 3) return controller.close();
          if (n > 0) await new Promise((r) => setTimeout(r, 150));
          controller.enqueue(new TextEncoder().encode(`chunk${n++}\n`));
        },
      });
      return new Response(body, { headers: { "content-type": "text/plain", "set-cookie": "a=1" } });
    },
  });
});
afterAll(async () => {
  await server.close();
});

describe("serveSandbox", () => {
  it("listens on 127.0.0.1 and routes by prefix with the rest as subpath", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/echo/repos/a/b/issues?page=2`, { headers: { authorization: "token x" } });
    expect(await res.json()).toEqual({
      method: "GET",
      subpath: "/repos/a/b/issues",
      url: `${server.url}/echo/repos/a/b/issues?page=2`,
      auth: "token x",
      body: null,
    });
    const post = await fetch(`${server.url}/echo`, { method: "POST", body: "héllo" });
    expect(await post.json()).toMatchObject({ method: "POST", subpath: "/", body: "héllo" });
    const miss = await fetch(`${server.url}/echoes`);
    expect(miss.status).toBe(404);
    expect(await miss.json()).toEqual({ message: "Not Found" });
  });

  it("aborts req.signal when the client disconnects", async () => {
    const before = disconnects;
    const seen = new Promise<void>((r) => (release = r));
    const controller = new AbortController();
    const pending = fetch(`${server.url}/wait`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await seen;
    expect(disconnects).toBe(before + 1);
  });

  it("streams response bodies chunk by chunk", async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}/stream`);
    expect(res.headers.get("set-cookie")).toBe("a=1");
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = performance.now() - started;
    expect(new TextDecoder().decode(first.value)).toBe("chunk0\n");
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe("chunk1\nchunk2\n");
    expect(firstAt).toBeLessThan(performance.now() - started - 200); // the first chunk came before the others existed
  });
});
