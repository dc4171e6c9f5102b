// Under `npm start` the progress streams are answered by the custom server itself
// (scripts/server.mjs → lib/progress/node-stream.ts), ahead of Next.js's router. They must
// answer exactly as the Next.js route did: the same statuses and JSON errors, the same
// security headers as every other response, and the same event contract.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { execDb } from "@/tests/helpers/db-query";

const baseUrl = inject("baseUrl");

const SECURITY = ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "permissions-policy", "cross-origin-opener-policy"];

describe("progress streams served by the custom server", () => {
  let user: TestUser;
  let syncId: string;
  beforeAll(async () => {
    user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("github", { items: 60, latency_ms: 5, fault: "none" });
    syncId = (await user.startSync("github")).syncId;
  });

  it("is the path that serves them (the server says so once the app has booted)", () => {
    expect(readFileSync(inject("serverLog"), "utf8")).toContain("progress streams served directly");
  });

  it("streams with the SSE headers and the same security headers as any page", async () => {
    const page = await user.fetch("/integrations");
    const s = await user.stream(syncId, { timeoutMs: 30_000 });
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(s.headers.get("cache-control")).toBe("no-cache, no-transform");
    for (const h of SECURITY) expect(s.headers.get(h), h).toBe(page.headers.get(h));
    expect(s.closedByServer).toBe(true);
    const ids = s.events.map((e) => e.id);
    expect(ids.length).toBeGreaterThan(1);
    for (let k = 1; k < ids.length; k += 1) expect(ids[k]).toBe(ids[k - 1]! + 1);
    expect(s.events.at(-1)!.event).toBe("complete");
  });

  it("answers every refusal with the route's status and JSON error, and the security headers", async () => {
    await user.waitForTerminal(syncId);
    const other = await TestUser.signUp(baseUrl);
    const cases: { res: Response; status: number }[] = [
      { res: await fetch(`${baseUrl}/api/sync-progress/${syncId}/stream`), status: 401 },
      { res: await other.fetch(`/api/sync-progress/${syncId}/stream`), status: 404 },
      { res: await user.fetch("/api/sync-progress/sync_0123/stream"), status: 404 },
      // Not valid percent-encoding: refused by the custom server before routing (issue 16).
      { res: await user.fetch("/api/sync-progress/%E0%A4%A/stream"), status: 400 },
      { res: await user.fetch(`/api/sync-progress/${syncId}/stream`, { headers: { "last-event-id": "abc" } }), status: 400 },
      { res: await user.fetch(`/api/sync-progress/${syncId}/stream`, { headers: { "last-event-id": "99999" } }), status: 400 },
    ];
    for (const { res, status } of cases) {
      expect(res.status, res.url).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const body = (await res.json()) as { success: boolean; error: string };
      expect(body.success).toBe(false);
      expect(body.error.length).toBeGreaterThan(3);
    }
  });

  it("serves the stream with a query string, and leaves other methods to Next.js (no 5xx)", async () => {
    const q = await user.fetch(`/api/sync-progress/${syncId}/stream?from=browser`, { headers: { "last-event-id": "0" } });
    expect(q.status).toBe(200);
    const text = await q.text();
    expect(text).toContain("event: complete");
    for (const method of ["HEAD", "POST", "DELETE"]) {
      const r = await user.fetch(`/api/sync-progress/${syncId}/stream`, { method });
      expect(r.status, method).toBeLessThan(500);
      await r.body?.cancel();
    }
  });

  it("goes on past events missing from the log instead of waiting for them for ever", async () => {
    await user.waitForTerminal(syncId);
    // A hole in a finished run's log (the tracker never leaves one; a damaged log might).
    expect(await execDb(inject("databaseUrl"), `DELETE FROM "sync_event" WHERE "runId" = ? AND "seq" IN (4, 5)`, syncId)).toBe(2);
    const s = await user.stream(syncId, { lastEventId: "1", timeoutMs: 15_000 });
    expect(s.status).toBe(200);
    expect(s.closedByServer).toBe(true);
    const ids = s.events.map((e) => e.id);
    expect(ids.slice(0, 3)).toEqual([2, 3, 6]);
    for (let k = 3; k < ids.length; k += 1) expect(ids[k]).toBe(ids[k - 1]! + 1);
    expect(s.events.at(-1)!.event).toBe("complete");
  });
});
