import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gmail } from "@googleapis/gmail";
import { OAuth2Client } from "google-auth-library";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import type { SandboxScenario } from "@/lib/contract";
import { createGmailSandbox, GMAIL_COSTS, NOT_FOUND_BODY } from "./handler";
import { brokenKindOf, internalDateMs, isBrokenMessage, messageFacts, messageId, threadCount, threadIdOf } from "./data";
import { startGmailSandbox, type GmailSandboxFixture } from "./test-helpers";

const INVALID_CREDENTIALS = {
  error: {
    code: 401,
    message:
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    errors: [{ message: "Invalid Credentials", domain: "global", reason: "authError", location: "Authorization", locationType: "header" }],
    status: "UNAUTHENTICATED",
  },
};

let gm: GmailSandboxFixture;
beforeAll(async () => {
  gm = await startGmailSandbox();
});
afterAll(async () => {
  await gm.close();
});

function get(path: string, token?: string, signal?: AbortSignal) {
  return fetch(`${gm.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
}

async function getJson<T = Record<string, unknown>>(path: string, token: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await get(path, token);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

const ME = "/gmail/v1/users/me";

describe("gmail sandbox: auth", () => {
  it("answers 401 with Google's body and WWW-Authenticate for unknown and expired tokens", async () => {
    const a = gm.account({ items: 5 });
    gm.auth.expireAccessTokens(a.key);
    for (const token of ["ya29.not-a-token", a.accessToken]) {
      const res = await get(`${ME}/profile`, token);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/json; charset=UTF-8");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="https://accounts.google.com/", error="invalid_token"');
      expect(await res.json()).toEqual(INVALID_CREDENTIALS);
    }
    const missing = await get(`${ME}/messages`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="https://accounts.google.com/"');
    expect(((await missing.json()) as { error: { status: string; errors: Array<{ reason: string }> } }).error).toMatchObject({
      status: "UNAUTHENTICATED",
      errors: [{ reason: "required" }],
    });
  });

  it("POST /token trades a refresh token for a new access token (Google's shape), or says invalid_grant", async () => {
    const a = gm.account({ items: 3 });
    gm.auth.expireAccessTokens(a.key);
    const form = (body: Record<string, string>) =>
      fetch(gm.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body).toString() });

    const ok = await form({ grant_type: "refresh_token", refresh_token: a.refreshToken, client_id: "cid", client_secret: "secret" });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as Record<string, unknown>;
    expect(tokens).toEqual({ access_token: expect.any(String), expires_in: 3600, scope: "https://www.googleapis.com/auth/gmail.readonly", token_type: "Bearer" });
    expect(tokens.refresh_token).toBeUndefined(); // Google keeps the refresh token
    expect((await get(`${ME}/profile`, tokens.access_token as string)).status).toBe(200);
    // Not rotated: the same refresh token works again.
    expect((await form({ grant_type: "refresh_token", refresh_token: a.refreshToken })).status).toBe(200);

    const bad = await form({ grant_type: "refresh_token", refresh_token: "1//nope" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_grant", error_description: "Token has been expired or revoked." });
    gm.auth.revokeRefreshTokens(a.key);
    expect(await (await form({ grant_type: "refresh_token", refresh_token: a.refreshToken })).json()).toMatchObject({ error: "invalid_grant" });

    const grant = await form({ grant_type: "password" });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toEqual({ error: "unsupported_grant_type", error_description: "Invalid grant_type: password" });
    expect(await (await form({ grant_type: "refresh_token" })).json()).toEqual({ error: "invalid_request", error_description: "Missing required parameter: refresh_token" });
    expect((await fetch(gm.tokenUrl)).status).toBe(405);
  });
});

describe("gmail sandbox: the API", () => {
  it("is what the official SDK expects (rootUrl with a path, typed answers)", async () => {
    const a = gm.account({ items: 30 });
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: a.accessToken });
    const rootUrl = `${gm.baseUrl}/`;
    const api = gmail({ version: "v1", auth, fetchImplementation: fetch, retry: false });
    const profile = await api.users.getProfile({ userId: "me" }, { rootUrl });
    expect(profile.data).toEqual({ emailAddress: "sandbox-user@gmail.com", messagesTotal: 30, threadsTotal: threadCount(30), historyId: "1029" });
    const list = await api.users.messages.list({ userId: "me", maxResults: 10 }, { rootUrl });
    expect(list.data.messages).toHaveLength(10);
    expect(list.data.messages![0]).toEqual({ id: messageId(29), threadId: threadIdOf(29) });
    const msg = await api.users.messages.get({ userId: "me", id: messageId(3), format: "full" }, { rootUrl });
    expect(msg.data.id).toBe(messageId(3));
    expect(msg.data.payload?.headers?.length).toBeGreaterThan(4);
    const history = await api.users.history.list({ userId: "me", startHistoryId: "1020", historyTypes: ["messageAdded"] }, { rootUrl });
    expect(history.data.history?.map((h) => h.id)).toEqual(["1021", "1022", "1023", "1024", "1025", "1026", "1027", "1028", "1029"]);
    await expect(api.users.messages.get({ userId: "me", id: messageId(30) }, { rootUrl })).rejects.toMatchObject({ status: 404, message: "Requested entity was not found." });
  });

  it("messages.list: 100 by default, at most 500, newest first, opaque tokens, Google's 400 for a bad one", async () => {
    const a = gm.account({ items: 1_200 });
    const d = await getJson<{ messages: Array<{ id: string }>; nextPageToken: string; resultSizeEstimate: number }>(`${ME}/messages`, a.accessToken);
    expect(d.status).toBe(200);
    expect(d.body.messages).toHaveLength(100);
    expect(d.body.resultSizeEstimate).toBe(1_200);
    expect(d.body.messages[0]!.id).toBe(messageId(1_199));
    const big = await getJson<{ messages: Array<{ id: string }>; nextPageToken: string }>(`${ME}/messages?maxResults=1000&includeSpamTrash=false&q=in%3Ainbox`, a.accessToken);
    expect(big.body.messages).toHaveLength(500);
    expect(big.body.nextPageToken).toMatch(/^\d{20}$/);
    const p2 = await getJson<{ messages: Array<{ id: string }>; nextPageToken: string }>(`${ME}/messages?maxResults=500&pageToken=${big.body.nextPageToken}`, a.accessToken);
    expect(p2.body.messages[0]!.id).toBe(messageId(699));
    const p3 = await getJson<{ messages: Array<{ id: string }>; nextPageToken?: string }>(`${ME}/messages?maxResults=500&pageToken=${p2.body.nextPageToken}`, a.accessToken);
    expect(p3.body.messages).toHaveLength(200);
    expect(p3.body.messages.at(-1)!.id).toBe(messageId(0));
    expect(p3.body.nextPageToken).toBeUndefined();

    const bad = await getJson(`${ME}/messages?pageToken=garbage`, a.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: { code: 400, message: "Invalid pageToken", errors: [{ message: "Invalid pageToken", domain: "global", reason: "invalidArgument" }], status: "INVALID_ARGUMENT" },
    });
    expect((await getJson(`${ME}/messages?maxResults=ten`, a.accessToken)).status).toBe(400);
    const empty = gm.account({ items: 0 });
    expect((await getJson(`${ME}/messages`, empty.accessToken)).body).toEqual({ resultSizeEstimate: 0 });
  });

  it("messages.get: full, metadata, minimal; 404 for a message that does not exist, 400 for a bad id", async () => {
    const a = gm.account({ items: 50 });
    const full = await getJson<{ id: string; payload: { headers: unknown[] }; historyId: string; internalDate: string }>(`${ME}/messages/${messageId(12)}?format=full`, a.accessToken);
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ id: messageId(12), historyId: "1012", internalDate: String(internalDateMs(12)) });
    const meta = await getJson<{ payload: { headers: Array<{ name: string }> } }>(`${ME}/messages/${messageId(12)}?format=metadata&metadataHeaders=From&metadataHeaders=Date`, a.accessToken);
    expect(meta.body.payload.headers.map((h) => h.name).sort()).toEqual(["Date", "From"]);
    const minimal = await getJson<Record<string, unknown>>(`${ME}/messages/${messageId(12)}?format=minimal`, a.accessToken);
    expect(minimal.body.payload).toBeUndefined();
    expect(minimal.body.labelIds).toEqual(messageFacts(12).labelIds);

    for (const id of [messageId(50), messageId(10_000), "0123456789abcdef"]) {
      const res = await getJson(`${ME}/messages/${id}`, a.accessToken);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(NOT_FOUND_BODY);
    }
    expect(NOT_FOUND_BODY).toEqual({
      error: { code: 404, message: "Requested entity was not found.", errors: [{ message: "Requested entity was not found.", domain: "global", reason: "notFound" }], status: "NOT_FOUND" },
    });
    const badId = await getJson<{ error: { message: string; status: string } }>(`${ME}/messages/xyz`, a.accessToken);
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatchObject({ message: "Invalid id value", status: "INVALID_ARGUMENT" });
    expect((await getJson(`${ME}/messages/${messageId(1)}?format=raw`, a.accessToken)).status).toBe(400);
    expect((await getJson(`${ME}/messages/${messageId(1)}?format=weird`, a.accessToken)).status).toBe(400);
  });

  it("history.list: records after startHistoryId, paged; 404 when too old; 400 when invalid", async () => {
    const a = gm.account({ items: 300 });
    const page = await getJson<{ history: Array<{ id: string }>; historyId: string; nextPageToken: string }>(
      `${ME}/history?startHistoryId=1100&historyTypes=messageAdded&maxResults=150`,
      a.accessToken,
    );
    expect(page.body.historyId).toBe("1299");
    expect(page.body.history.map((h) => h.id)).toEqual(Array.from({ length: 150 }, (_, k) => String(1_101 + k)));
    const rest = await getJson<{ history: Array<{ id: string }>; nextPageToken?: string }>(
      `${ME}/history?startHistoryId=1100&maxResults=150&pageToken=${page.body.nextPageToken}`,
      a.accessToken,
    );
    expect(rest.body.history.map((h) => h.id)).toEqual(Array.from({ length: 49 }, (_, k) => String(1_251 + k)));
    expect(rest.body.nextPageToken).toBeUndefined();
    expect((await getJson(`${ME}/history?startHistoryId=1299`, a.accessToken)).body).toEqual({ historyId: "1299" });
    expect((await getJson(`${ME}/history?startHistoryId=5000`, a.accessToken)).body).toEqual({ historyId: "1299" });
    expect((await getJson(`${ME}/history?startHistoryId=1100&historyTypes=labelAdded`, a.accessToken)).body).toEqual({ historyId: "1299" });

    const old = await getJson(`${ME}/history?startHistoryId=12`, a.accessToken);
    expect(old.status).toBe(404);
    expect(old.body).toEqual(NOT_FOUND_BODY);
    expect((await getJson(`${ME}/history?startHistoryId=abc`, a.accessToken)).status).toBe(400);
    expect((await getJson(`${ME}/history`, a.accessToken)).status).toBe(400);
    expect((await getJson(`${ME}/history?startHistoryId=1100&historyTypes=bogus`, a.accessToken)).status).toBe(400);

    // Raising items appends records.
    a.update({ items: 305 });
    const grown = await getJson<{ history: Array<{ id: string; messagesAdded: Array<{ message: { id: string; labelIds: string[] } }> }>; historyId: string }>(
      `${ME}/history?startHistoryId=1299`,
      a.accessToken,
    );
    expect(grown.body.historyId).toBe("1304");
    expect(grown.body.history.map((h) => h.messagesAdded[0]!.message.id)).toEqual([300, 301, 302, 303, 304].map(messageId));
  });

  it("refuses other mailboxes (403) and unknown paths (Google's HTML 404)", async () => {
    const a = gm.account({ items: 5 });
    const other = await getJson<{ error: { code: number; message: string } }>(`/gmail/v1/users/someone@example.com/profile`, a.accessToken);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe("Delegation denied for sandbox-user@gmail.com");
    expect((await getJson(`/gmail/v1/users/sandbox-user%40gmail.com/profile`, a.accessToken)).status).toBe(200);
    const nope = await get(`/gmail/v1/users/me/drafts`, a.accessToken);
    expect(nope.status).toBe(404);
    expect(nope.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(await nope.text()).toContain("Error 404 (Not Found)!!1");
    const post = await fetch(`${gm.baseUrl}${ME}/messages`, { method: "POST", headers: { authorization: `Bearer ${a.accessToken}` }, body: "{}" });
    expect(post.status).toBe(404);
  });
});

describe("gmail sandbox: faults", () => {
  it("server_error answers 500 and 503 in turn, with Google's bodies", async () => {
    const a = gm.account({ items: 10, fault: "server_error" });
    const statuses: number[] = [];
    const bodies: unknown[] = [];
    for (let k = 0; k < 4; k++) {
      const res = await get(`${ME}/messages`, a.accessToken);
      statuses.push(res.status);
      bodies.push(await res.json());
    }
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(bodies).toContainEqual({
      error: { code: 500, message: "Internal error encountered.", errors: [{ message: "Internal error encountered.", domain: "global", reason: "backendError" }], status: "INTERNAL" },
    });
    expect(bodies).toContainEqual({
      error: { code: 503, message: "The service is currently unavailable.", errors: [{ message: "The service is currently unavailable.", domain: "global", reason: "backendError" }], status: "UNAVAILABLE" },
    });
  });

  it("malformed truncates the JSON of messages.list and messages.get (the profile stays whole)", async () => {
    const a = gm.account({ items: 10, fault: "malformed" });
    expect((await getJson(`${ME}/profile`, a.accessToken)).body).toMatchObject({ messagesTotal: 10 });
    for (const path of [`${ME}/messages`, `${ME}/messages/${messageId(2)}`]) {
      const res = await get(path, a.accessToken);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=UTF-8");
      const text = await res.text();
      expect(text.startsWith("{")).toBe(true);
      expect(() => JSON.parse(text)).toThrow();
    }
  });

  it("item_errors: every 10th message is deleted before its get (404) or before its attachment is read (404)", async () => {
    const a = gm.account({ items: 40, fault: "item_errors" });
    const outcomes: Record<number, string> = {};
    for (let i = 0; i < 40; i++) {
      const res = await getJson<{ payload?: { parts?: Array<{ body?: { attachmentId?: string } }> } }>(`${ME}/messages/${messageId(i)}`, a.accessToken);
      if (res.status === 404) {
        expect(res.body).toEqual(NOT_FOUND_BODY);
        outcomes[i] = "get 404";
        continue;
      }
      const attachmentId = res.body.payload?.parts?.[1]?.body?.attachmentId;
      if (!attachmentId) continue;
      const att = await getJson(`${ME}/messages/${messageId(i)}/attachments/${attachmentId}`, a.accessToken);
      if (att.status === 404) {
        expect(att.body).toEqual(NOT_FOUND_BODY);
        outcomes[i] = "attachment 404";
      } else expect(att.status).toBe(200);
    }
    expect(outcomes).toEqual({ 7: "get 404", 17: "attachment 404", 27: "get 404", 37: "attachment 404" });
    for (const i of [7, 17, 27, 37]) expect(isBrokenMessage(i)).toBe(true);
    expect([7, 17, 27, 37].map(brokenKindOf)).toEqual(["deleted", "attachment_gone", "deleted", "attachment_gone"]);
  });

  it("latency_ms delays each answer; slow makes it max(x10, 1.5 s)", async () => {
    const a = gm.account({ items: 3, latency_ms: 150 });
    let t0 = performance.now();
    expect((await get(`${ME}/profile`, a.accessToken)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    const s = gm.account({ items: 3, latency_ms: 20, fault: "slow" });
    t0 = performance.now();
    expect((await get(`${ME}/profile`, s.accessToken)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_490);
  });

  it("hang: never answers, and lets go as soon as the client disconnects", async () => {
    const a = gm.account({ items: 3, fault: "hang" });
    const controller = new AbortController();
    const t0 = performance.now();
    setTimeout(() => controller.abort(), 150);
    await expect(get(`${ME}/profile`, a.accessToken, controller.signal)).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(1_000);

    // The handler itself returns when the request's signal aborts.
    const auth = new MemorySandboxAuth();
    const { accessToken } = auth.account("hang-direct", { items: 1, latency_ms: 0, fault: "hang" });
    const handler = createGmailSandbox({ auth });
    const direct = new AbortController();
    const pending = handler(new Request(`http://sandbox.test/sandbox/gmail${ME}/profile`, { headers: { authorization: `Bearer ${accessToken}` }, signal: direct.signal }), `${ME}/profile`);
    setTimeout(() => direct.abort(), 50);
    expect((await pending).status).toBe(499);
  });
});

describe("gmail sandbox: quota", () => {
  function direct(scenario: Partial<SandboxScenario>) {
    let clock = Date.UTC(2026, 1, 1, 12, 0, 0);
    const auth = new MemorySandboxAuth();
    const key = `quota-${Math.random().toString(36).slice(2)}`;
    const { accessToken } = auth.account(key, { items: 100, latency_ms: 0, fault: "none", ...scenario });
    const handler = createGmailSandbox({ auth, now: () => clock });
    const call = (path: string) =>
      handler(new Request(`http://sandbox.test/sandbox/gmail${path}`, { headers: { authorization: `Bearer ${accessToken}` } }), new URL(`http://x${path}`).pathname);
    return { call, tick: (ms: number) => (clock += ms), now: () => clock };
  }

  it("charges Gmail's units (get 5, list 5, history 2, profile 1) against 15,000 per user per minute, then 429", async () => {
    expect(GMAIL_COSTS).toEqual({ "messages.get": 5, "messages.list": 5, "messages.attachments.get": 5, "history.list": 2, getProfile: 1 });
    const q = direct({});
    const get = `${ME}/messages/${messageId(1)}`;
    for (let k = 0; k < 2_999; k++) expect((await q.call(get)).status).toBe(200); // 14,995 units
    expect((await q.call(`${ME}/profile`)).status).toBe(200); // 14,996
    expect((await q.call(`${ME}/history?startHistoryId=1050`)).status).toBe(200); // 14,998
    expect((await q.call(`${ME}/history?startHistoryId=1050`)).status).toBe(200); // 15,000
    const refused = await q.call(`${ME}/messages`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    const body = (await refused.json()) as { error: { code: number; status: string; errors: Array<{ reason: string; domain: string }>; details: Array<{ reason: string }> } };
    expect(body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED", errors: [{ reason: "rateLimitExceeded", domain: "global" }], details: [{ reason: "RATE_LIMIT_EXCEEDED" }] });
    expect(body.error.errors[0]).toMatchObject({ message: expect.stringContaining("Queries per minute per user") });

    // 250 units a second come back: 4 ms buys a profile (1 unit), 20 ms a get (5).
    q.tick(4);
    expect((await q.call(`${ME}/profile`)).status).toBe(200);
    expect((await q.call(`${ME}/profile`)).status).toBe(429);
    q.tick(20);
    expect((await q.call(get)).status).toBe(200);
    expect((await q.call(get)).status).toBe(429);
    q.tick(1_000);
    for (let k = 0; k < 50; k++) expect((await q.call(get)).status).toBe(200);
    expect((await q.call(get)).status).toBe(429);
    // A full minute refills everything (and no more than the 15,000 cap).
    q.tick(120_000);
    for (let k = 0; k < 3_000; k++) expect((await q.call(get)).status).toBe(200);
    expect((await q.call(get)).status).toBe(429);
    // Another account has its own bucket.
    expect((await direct({}).call(get)).status).toBe(200);
  });

  it("rate_limit fault: 250 units per 2 s window, refused with 429 and 403 userRateLimitExceeded in turn, with Retry-After", async () => {
    const q = direct({ fault: "rate_limit" });
    const get = `${ME}/messages/${messageId(1)}`;
    for (let k = 0; k < 50; k++) expect((await q.call(get)).status).toBe(200); // 250 units
    q.tick(500);
    const first = await q.call(get);
    const second = await q.call(get);
    expect([first.status, second.status]).toEqual([429, 403]);
    expect(first.headers.get("retry-after")).toBe("2"); // 1.5 s left, rounded up
    expect(second.headers.get("retry-after")).toBe("2");
    const b403 = (await second.json()) as { error: { code: number; status: string; message: string; errors: Array<{ reason: string; domain: string }> } };
    expect(b403.error).toMatchObject({ code: 403, status: "PERMISSION_DENIED", errors: [{ reason: "userRateLimitExceeded", domain: "usageLimits" }] });
    expect(b403.error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-\d\d-\d\dT/);
    expect(((await first.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]!.reason).toBe("rateLimitExceeded");
    expect((await q.call(get)).status).toBe(429);
    q.tick(1_500); // the window is over
    expect((await q.call(get)).status).toBe(200);
  });

  it("keeps its quota state on globalThis, bounded", () => {
    const state = (globalThis as Record<symbol, { buckets: Map<string, unknown> }>)[Symbol.for("2nd-brain.sandbox.gmail.state")];
    expect(state?.buckets).toBeInstanceOf(Map);
    expect(state!.buckets.size).toBeGreaterThan(0);
    expect(state!.buckets.size).toBeLessThanOrEqual(10_000);
  });
});
