// The SDK's network layer replaced by ctx.fetch: what goes out and how answers come back.
import { describe, expect, it } from "vitest";
import type { SyncContext } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { BoxResponseError, boxBaseUrls, boxErrorStatus, makeBoxClient, parseBoxJson } from "./client";

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  redirect: RequestRedirect | undefined;
  signal: AbortSignal | undefined;
}

function fakeCtx(answer: (url: URL, sent: Sent) => Response, baseUrl = "https://sandbox.test/box") {
  const sent: Sent[] = [];
  const controller = new AbortController();
  const ctx: Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal"> = {
    baseUrl,
    credentials: { accessToken: "tok-1" },
    signal: controller.signal,
    fetch: async (input, init) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
      const s: Sent = { url: String(input), method: init?.method ?? "GET", headers, redirect: init?.redirect, signal: init?.signal ?? undefined };
      sent.push(s);
      return answer(new URL(String(input)), s);
    },
  };
  return { ctx, sent, controller };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("box client over ctx.fetch", () => {
  it("sends every request through ctx.fetch with the run's signal, manual redirects and the current token", async () => {
    const { ctx, sent, controller } = fakeCtx(() => json({ type: "user", id: "1", name: "N", login: "n@example.com" }));
    const client = makeBoxClient(ctx);
    await client.users.getUserMe();
    ctx.credentials.accessToken = "tok-2"; // refreshed in place by the engine
    await client.users.getUserMe();
    expect(sent.map((s) => s.url)).toEqual(["https://sandbox.test/box/2.0/users/me", "https://sandbox.test/box/2.0/users/me"]);
    expect(sent.map((s) => s.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(sent.every((s) => s.redirect === "manual" && s.signal === controller.signal)).toBe(true);
    expect(sent[0]!.headers["user-agent"]).toMatch(/^2nd-brain-sync/);
  });

  it("follows a download redirect itself, without the token on another origin (like dl.boxcloud.com)", async () => {
    const { ctx, sent } = fakeCtx((url) =>
      url.hostname === "sandbox.test"
        ? new Response(null, { status: 302, headers: { location: "https://dl.example.net/d/1/abc/file.txt" } })
        : new Response("hello", { status: 200, headers: { "content-type": "text/plain" } }),
    );
    const stream = await makeBoxClient(ctx).downloads.downloadFile("123");
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe("hello");
    expect(sent.map((s) => [s.url, s.headers.authorization ?? null])).toEqual([
      ["https://sandbox.test/box/2.0/files/123/content", "Bearer tok-1"],
      ["https://dl.example.net/d/1/abc/file.txt", null],
    ]);
  });

  it("turns Box's error answers into BoxResponseError with status and code, without the token", async () => {
    const { ctx } = fakeCtx((url) =>
      url.pathname.endsWith("/me")
        ? new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."' } })
        : json({ type: "error", status: 404, code: "not_found", message: "Not Found", request_id: "abc123" }, 404),
    );
    const client = makeBoxClient(ctx);
    const e401 = await client.users.getUserMe().catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(BoxResponseError);
    expect(e401).toMatchObject({ status: 401, message: "401 The access token provided is invalid.; Request ID: unknown" });
    const e404 = (await client.files.getFileById("9").catch((e: unknown) => e)) as BoxResponseError;
    expect(e404).toMatchObject({ status: 404, code: "not_found", message: "404 Not Found; Request ID: abc123" });
    expect(e404.responseInfo).toMatchObject({ statusCode: 404, code: "not_found", requestId: "abc123" });
    expect(boxErrorStatus(e404)).toBe(404);
    expect(JSON.stringify(e404.toJSON())).not.toContain("tok-1");
  });

  it("reports broken JSON as a readable malformed SyncError", async () => {
    const { ctx } = fakeCtx(() => new Response('{"entries":[{"type":"fi', { headers: { "content-type": "application/json" } }));
    const err = await makeBoxClient(ctx).folders.getFolderItems("0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ kind: "malformed", message: "Box sent a malformed response for GET /2.0/folders/0/items: broken JSON (23 characters)." });
  });

  it("keeps 64-bit stream positions exact", async () => {
    expect(parseBoxJson('{"chunk_size":0,"next_stream_position":1152922976252290886,"entries":[]}')).toEqual({
      chunk_size: 0,
      next_stream_position: "1152922976252290886",
      entries: [],
    });
    expect(parseBoxJson('{"next_stream_position": 4100000000600}')).toEqual({ next_stream_position: 4_100_000_000_600 });
    const { ctx } = fakeCtx(() => new Response('{"chunk_size":0,"next_stream_position":1152922976252290886,"entries":[]}', { headers: { "content-type": "application/json" } }));
    const events = await makeBoxClient(ctx).events.getEvents({ streamPosition: "now" });
    expect(events.nextStreamPosition).toBe("1152922976252290886");
  });

  it("points the SDK at the live hosts or below the sandbox root", () => {
    expect(boxBaseUrls("https://api.box.com")).toEqual({ baseUrl: "https://api.box.com", uploadUrl: "https://upload.box.com/api", oauth2Url: "https://account.box.com/api/oauth2" });
    expect(boxBaseUrls("http://127.0.0.1:3000/sandbox/box/")).toEqual({
      baseUrl: "http://127.0.0.1:3000/sandbox/box",
      uploadUrl: "http://127.0.0.1:3000/sandbox/box/upload",
      oauth2Url: "http://127.0.0.1:3000/sandbox/box/oauth2",
    });
  });
});
