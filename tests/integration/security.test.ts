// Cross-site requests, rate limits, security headers, isolation between users, malformed
// input on every API route, and secrets that must never leave the server.
import { createDecipheriv, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";

const baseUrl = inject("baseUrl");

describe("security headers", () => {
  it.each(["/sign-in", "/api/integrations"])("are on %s", async (path) => {
    const res = await fetch(`${baseUrl}${path}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });
});

describe("cross-site requests", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await TestUser.signUp(baseUrl);
  });

  it.each([
    ["another Origin", { origin: "https://evil.example" }],
    ["Origin null", { origin: "null" }],
    ["Sec-Fetch-Site cross-site", { origin: "", "sec-fetch-site": "cross-site" }],
  ])("are refused with 403 (%s) and change nothing", async (_, headers) => {
    const before = await user.json("/api/integrations");
    const res = await user.fetch("/api/integrations/github/connect", {
      method: "POST",
      body: JSON.stringify({ mode: "sandbox" }),
      headers: { ...headers },
    });
    // TestUser sets origin itself unless a header is given; "" removes it.
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ success: false, error: expect.stringContaining("Cross-site") });
    expect(await user.json("/api/integrations")).toEqual(before);
  });

  it("refuses a cross-site sign-in", async () => {
    const res = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ email: user.email, password: "correct horse battery" }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe("rate limits", () => {
  it("slows wrong passwords for one account from one address: 429 with Retry-After, never a lock-out of the account", async () => {
    const user = await TestUser.signUp(baseUrl);
    const attempt = (password: string) =>
      fetch(`${baseUrl}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: baseUrl },
        body: JSON.stringify({ email: user.email, password }),
      });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 10 && !limited; i += 1) {
      const r = await attempt(`wrong password ${i}`);
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    // A few free attempts, then the delays start (accounts.test.ts: the owner from another address is not affected).
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(limited, `statuses ${statuses.join(", ")}`).toBeDefined();
    const wait = Number(limited!.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(await limited!.json()).toMatchObject({ success: false, error: expect.stringMatching(/Too many wrong passwords.*try again in \d+ s/) });
    // Once the delay has passed, the right password signs in.
    await new Promise((r) => setTimeout(r, wait * 1000 + 250));
    expect((await attempt("correct horse battery")).status).toBe(200);
  });

  it("limits new syncs per user to 20 a minute, never attaching", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("github", { items: 5, latency_ms: 2000, fault: "none" });
    for (let i = 0; i < 20; i += 1) {
      const s = await user.startSync("github");
      expect(s.status).toBe(202);
      const again = await user.startSync("github"); // attaching is free
      expect(again).toMatchObject({ status: 200, attached: true, syncId: s.syncId });
      await user.json(`/api/sync-progress/${s.syncId}/cancel`, { method: "POST" });
      await user.waitForTerminal(s.syncId, 10_000);
    }
    const limited = await user.json("/api/integrations/github/sync", { method: "POST" });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false });
    const list = await user.json<{ integrations: { type: string; active_sync_id: string | null }[] }>("/api/integrations");
    expect(list.body.integrations.find((i) => i.type === "github")!.active_sync_id).toBeNull();
  }, 120_000);
});

const API_CALLS: { method: string; path: string }[] = [
  { method: "GET", path: "/api/integrations" },
  { method: "POST", path: "/api/integrations/github/connect" },
  { method: "PUT", path: "/api/integrations/github/sandbox" },
  { method: "POST", path: "/api/integrations/github/sync" },
  { method: "POST", path: "/api/integrations/github/disconnect" },
  { method: "GET", path: "/api/sync-progress/SYNC" },
  { method: "GET", path: "/api/sync-progress/SYNC/stream" },
  { method: "GET", path: "/api/sync-progress/SYNC/failures" },
  { method: "POST", path: "/api/sync-progress/SYNC/cancel" },
];

const BAD_BODIES = [
  "{",
  "null",
  "[]",
  '"string"',
  "42",
  JSON.stringify({ mode: 1 }),
  JSON.stringify({ items: "many", latency_ms: null, fault: ["none"] }),
  JSON.stringify({ items: 1e308, latency_ms: -5, fault: "none" }),
  '{"items":5,"latency_ms":0,"fault":"none","__proto__":{"admin":true}}',
  '{"mode":"sandbox","constructor":{"prototype":{"admin":true}}}',
  JSON.stringify({ mode: "sandbox\u0000" }),
  JSON.stringify({ mode: "ｓａｎｄｂｏｘ" }),
  JSON.stringify({ pad: "x".repeat(70_000) }),
  "\uFEFF{", // a BOM is stripped by the body reader: "\uFEFF{}" is a valid empty object
];

const BAD_PARAMS = ["..%2F..%2Fetc%2Fpasswd", "%00", "sync_" + "z".repeat(32), "%E2%80%AEsync", "SYNC'--", "a".repeat(2000)];

describe("malformed input on every API route", () => {
  let user: TestUser;
  let syncId: string;
  beforeAll(async () => {
    user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("github", { items: 5, latency_ms: 0, fault: "none" });
    syncId = (await user.startSync("github")).syncId;
    await user.waitForTerminal(syncId);
  });

  it("never answers 5xx and never changes what is stored", async () => {
    const snapshot = async () => ({
      integrations: (await user.json("/api/integrations")).body,
      progress: await user.progress(syncId),
    });
    const before = await snapshot();
    let calls = 0;
    for (const { method, path } of API_CALLS) {
      const targets = path.includes("SYNC") ? [...BAD_PARAMS, syncId].map((p) => path.replace("SYNC", p)) : [path, path.replace("github", "gi%74hub%2F..")];
      for (const target of targets) {
        const bodies = method === "GET" ? [undefined] : BAD_BODIES;
        for (const body of bodies) {
          for (const contentType of method === "GET" ? ["application/json"] : ["application/json", "text/plain", "application/x-www-form-urlencoded"]) {
            const res = await user.fetch(target, {
              method,
              body,
              headers: { "content-type": contentType, "last-event-id": "-1" },
              signal: AbortSignal.timeout(5000),
            });
            calls += 1;
            expect(res.status, `${method} ${target} ${contentType} ${String(body).slice(0, 40)}`).toBeLessThan(500);
            if (res.status >= 400) {
              const answer = (await res.json()) as { success?: boolean; error?: unknown };
              expect(answer.success).toBe(false);
              expect(typeof answer.error).toBe("string");
            } else {
              await res.body?.cancel();
            }
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(300);
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});

describe("secrets", () => {
  it("the provider token appears in no response, no event, no log line", async () => {
    const user = await TestUser.signUp(baseUrl);
    const seen: string[] = [];
    const record = async (res: Response) => {
      seen.push(JSON.stringify([...res.headers]), await res.clone().text());
      return res;
    };
    await record(await user.fetch("/api/integrations/github/connect", { method: "POST", body: JSON.stringify({ mode: "sandbox" }) }));
    await record(await user.fetch("/api/integrations/github/sandbox", { method: "PUT", body: JSON.stringify({ items: 30, latency_ms: 0, fault: "none" }) }));
    const start = await record(await user.fetch("/api/integrations/github/sync", { method: "POST" }));
    const { sync_id: id } = (await start.json()) as { sync_id: string };
    await user.waitForTerminal(id);
    await record(await user.fetch(`/api/sync-progress/${id}`));
    await record(await user.fetch(`/api/sync-progress/${id}/stream`, { headers: { "last-event-id": "0" } }));
    await record(await user.fetch("/api/integrations"));
    await record(await user.fetch("/integrations"));

    const url = inject("databaseUrl");
    const [conn] = await queryDb<{ credentials: string; id: string }>(url, `SELECT c."credentials", c."id" FROM "connection" c JOIN "user" u ON u."id" = c."userId" WHERE u."email" = ? AND c."type" = 'github'`, user.email);
    if (!conn) throw new Error("no github connection");
    const creds = decrypt(conn.credentials, inject("appSecret")) as { accessToken: string };
    expect(creds.accessToken).toMatch(/^ghs_sbx_/);
    const events = await queryDb<{ data: string }>(url, `SELECT "data" FROM "sync_event" WHERE "runId" = ?`, id);
    const runs = await queryDb(url, `SELECT * FROM "sync_run" WHERE "connectionId" = ?`, conn.id);
    expect(events.length).toBeGreaterThan(3);
    const haystacks = [...seen, ...events.map((e) => e.data), JSON.stringify(runs), readFileSync(inject("serverLog"), "utf8"), conn.credentials];
    for (const hay of haystacks) expect(hay.includes(creds.accessToken)).toBe(false);
    // and it is really used: the run did complete against the sandbox with it
    expect((await user.progress(id)).status).toBe("complete");
  });
});

/** The app's envelope (lib/crypto.ts), opened independently of the app's code. */
function decrypt(envelope: string, secret: string): unknown {
  const [, kid, iv, tag, body] = envelope.split(".");
  const key = Buffer.from(hkdfSync("sha256", secret, "2nd-brain", `credentials:${kid}`, 32));
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv!, "base64url"));
  d.setAuthTag(Buffer.from(tag!, "base64url"));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(body!, "base64url")), d.final()]).toString("utf8"));
}
