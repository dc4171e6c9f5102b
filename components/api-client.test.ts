import { afterEach, describe, expect, it, vi } from "vitest";
import {
  apiRequest,
  cancelSync,
  connectSandbox,
  connectWithToken,
  disconnectIntegration,
  getNotification,
  getSyncFailures,
  getSyncHistory,
  listIntegrations,
  listNotifications,
  pollIntegrations,
  saveNotifyPreference,
  searchDocuments,
  signIn,
  signOut,
  signUp,
  startSync,
} from "./api-client";

function stubFetch(answer: () => Response | Promise<Response>) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => answer());
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

const ok = (body: unknown, status = 200) => () => new Response(JSON.stringify(body), { status });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("apiRequest", () => {
  it("gives the typed body of a success", async () => {
    stubFetch(ok({ success: true, integrations: [] }));
    expect(await listIntegrations()).toEqual({ ok: true, status: 200, body: { success: true, integrations: [] } });
  });

  it("gives one failure shape: status, code and the server's words", async () => {
    stubFetch(ok({ success: false, error: "No such sync", code: "not_found" }, 404));
    expect(await cancelSync("s1")).toEqual({ ok: false, status: 404, code: "not_found", error: "No such sync" });
    stubFetch(ok({ message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" }, 401));
    expect(await signIn({ email: "a@b.c", password: "x" })).toEqual({ ok: false, status: 401, code: null, error: "Invalid email or password" });
    stubFetch(ok({ success: false, error: "refused" }, 200));
    expect(await apiRequest("/x")).toMatchObject({ ok: false, status: 200, error: "refused" });
    stubFetch(() => new Response("<html>", { status: 502 }));
    expect(await apiRequest("/x")).toEqual({ ok: false, status: 502, code: null, error: null });
  });

  it("answers status 0 when the server cannot be reached, and never throws", async () => {
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    expect(await startSync("github")).toEqual({ ok: false, status: 0, code: null, error: null });
  });
});

describe("each call keeps its URL, method, headers and body", () => {
  const json = { "content-type": "application/json", accept: "application/json" };
  const accept = { accept: "application/json" };
  const signal = new AbortController().signal;
  const cases: [string, () => Promise<unknown>, string, RequestInit][] = [
    ["sign in", () => signIn({ email: "a@b.c", password: "pw" }), "/api/auth/sign-in/email", { method: "POST", headers: json, body: '{"email":"a@b.c","password":"pw"}' }],
    ["sign up", () => signUp({ name: "A", email: "a@b.c", password: "pw" }), "/api/auth/sign-up/email", { method: "POST", headers: json, body: '{"name":"A","email":"a@b.c","password":"pw"}' }],
    ["sign out", () => signOut(), "/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    ["integrations (board)", () => listIntegrations(), "/api/integrations", { cache: "no-store", headers: accept }],
    ["integrations (library poll)", () => pollIntegrations(), "/api/integrations", { cache: "no-store" }],
    ["connect sandbox", () => connectSandbox("box"), "/api/integrations/box/connect", { cache: "no-store", method: "POST", body: '{"mode":"sandbox"}', headers: json }],
    ["paste token", () => connectWithToken("slack", "t"), "/api/integrations/slack/connect", { cache: "no-store", method: "POST", body: '{"mode":"token","token":"t"}', headers: json }],
    ["sync", () => startSync("gmail"), "/api/integrations/gmail/sync", { cache: "no-store", method: "POST", body: "{}", headers: json }],
    ["disconnect", () => disconnectIntegration("github", true), "/api/integrations/github/disconnect", { cache: "no-store", method: "POST", body: '{"delete_documents":true}', headers: json }],
    ["history", () => getSyncHistory("github", 20, signal), "/api/integrations/github/history?limit=20", { cache: "no-store", signal }],
    ["cancel", () => cancelSync("a/b"), "/api/sync-progress/a%2Fb/cancel", { method: "POST", headers: json, body: "{}" }],
    ["failures", () => getSyncFailures("s1", signal), "/api/sync-progress/s1/failures", { cache: "no-store", signal }],
    ["documents", () => searchDocuments({ q: "hi there", provider: "", kind: "email", cursor: "c1", limit: 20 }), "/api/documents?q=hi+there&kind=email&cursor=c1&limit=20", { cache: "no-store" }],
    ["notifications", () => listNotifications(), "/api/notifications", { cache: "no-store", headers: accept }],
    ["notification", () => getNotification("n 1"), "/api/notifications/n%201", { cache: "no-store", headers: accept }],
    ["notify preference", () => saveNotifyPreference("failures"), "/api/settings/notifications", { method: "PUT", headers: json, body: '{"notifyOn":"failures"}' }],
  ];
  it.each(cases)("%s", async (_name, call, url, init) => {
    const fetch = stubFetch(ok({ success: true }));
    await call();
    expect(fetch).toHaveBeenCalledWith(url, init);
  });
});
