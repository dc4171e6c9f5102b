// The whole sync over real HTTP: the built app, real SQLite, the real Octokit against the
// built-in GitHub sandbox. Timeouts are set small by tests/helpers/server-setup.ts.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";

const baseUrl = inject("baseUrl");

describe("sync over HTTP", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await TestUser.signUp(baseUrl);
  });

  it("starts, streams every event in order, completes, and stores each document once", async () => {
    await user.connectSandbox("github", { items: 120, latency_ms: 30, fault: "none" });
    const start = await user.startSync("github");
    expect(start.status).toBe(202);
    expect(start.syncId).toMatch(/^sync_[0-9a-f]{32}$/);

    const s = await user.stream(start.syncId);
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toContain("text/event-stream");
    expect(s.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(s.headers.get("x-accel-buffering")).toBe("no");
    expect(s.frames[0]?.retry).toBe(2000);
    expect(s.closedByServer).toBe(true);

    const ids = s.events.map((e) => e.id);
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]).toBe(ids[i - 1]! + 1);
    const last = s.events.at(-1)!;
    expect(last.event).toBe("complete");
    expect(last.data).toMatchObject({
      sync_id: start.syncId,
      connector_type: "github",
      status: "complete",
      total_items: 120,
      processed_items: 120,
      failed_items: 0,
      percent_complete: 100,
    });
    expect(Date.parse(last.data.finished_at!)).toBeGreaterThanOrEqual(Date.parse(last.data.started_at));
    const statuses = new Set(s.events.map((e) => e.data.status));
    expect(statuses.has("connecting") || statuses.has("syncing")).toBe(true);

    // The snapshot route answers the ProgressData itself (DESIGN.md contract).
    const snap = await user.json(`/api/sync-progress/${start.syncId}`);
    expect(snap.status).toBe(200);
    expect(snap.body).toEqual(last.data);

    // Replaying the whole log from 0 shows every event from the first (`started`) on.
    const replay = await user.stream(start.syncId, { lastEventId: "0" });
    expect(replay.events[0]).toMatchObject({ id: 1, event: "started" });
    expect(replay.events.map((e) => e.id)).toEqual(Array.from({ length: last.id }, (_, i) => i + 1));
    // connecting -> syncing -> embedding (the local full-text index) -> complete
    const order = [...new Set(replay.events.map((e) => e.data.status))];
    expect(order).toEqual(["queued", "connecting", "syncing", "embedding", "complete"]);
    expect(replay.events.find((e) => e.data.status === "embedding")!.data.stage).toBe("Indexing 120 documents for search…");
    const percents = replay.events.map((e) => e.data.percent_complete);
    for (const m of [10, 25, 50, 75, 90]) expect(percents.some((p) => p >= m)).toBe(true);
    for (let i = 1; i < percents.length; i += 1) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]!);

    const list = await user.json<{ integrations: { type: string; item_count: number; last_sync_at: string | null; last_sync_status: string | null; active_sync_id: string | null }[] }>("/api/integrations");
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    const gh = list.body.integrations.find((i) => i.type === "github")!;
    expect(gh.item_count).toBe(120);
    expect(gh.last_sync_status).toBe("complete");
    expect(gh.last_sync_at).not.toBeNull();
    expect(gh.active_sync_id).toBeNull();

    // A re-sync with nothing new never duplicates; a few new items are fetched incrementally.
    await user.connectSandbox("github", { items: 130, latency_ms: 0, fault: "none" });
    const again = await user.startSync("github");
    const done = await user.waitForTerminal(again.syncId);
    expect(done.status).toBe("complete");
    // Only the 10 new items: the connector drops what it read at exactly the `since` boundary.
    expect(done.processed_items).toBe(10);
    const after = await user.json<{ integrations: { type: string; item_count: number }[] }>("/api/integrations");
    expect(after.body.integrations.find((i) => i.type === "github")!.item_count).toBe(130);
  });

  it("keeps the last successful sync apart from a later failed attempt", async () => {
    type Card = { type: string; last_sync_at: string | null; last_success_at: string | null; last_sync_status: string | null };
    const card = async (u: TestUser) => (await u.json<{ integrations: Card[] }>("/api/integrations")).body.integrations.find((i) => i.type === "box")!;
    const other = await TestUser.signUp(baseUrl);
    await other.connectSandbox("box", { items: 20, latency_ms: 0, fault: "none" });
    expect(await card(other)).toMatchObject({ last_sync_at: null, last_success_at: null, last_sync_status: null });
    const ok = await other.waitForTerminal((await other.startSync("box")).syncId);
    expect(ok.status).toBe("complete");
    const success = await card(other);
    expect(success.last_success_at).toBe(ok.finished_at);
    expect(success.last_sync_at).toBe(ok.finished_at);

    await other.connectSandbox("box", { items: 20, latency_ms: 0, fault: "server_error" });
    const failed = await other.waitForTerminal((await other.startSync("box")).syncId, 60_000);
    expect(failed.status).toBe("error");
    const now = await card(other);
    expect(now.last_sync_status).toBe("error");
    expect(now.last_sync_at).toBe(failed.finished_at);
    expect(now.last_success_at).toBe(ok.finished_at);
  });

  it("replays after Last-Event-ID without gaps, while the sync runs", async () => {
    await user.connectSandbox("github", { items: 300, latency_ms: 150, fault: "none" });
    const { syncId } = await user.startSync("github");
    const firstPart = await user.stream(syncId, { stopAfter: 3 });
    expect(firstPart.events.length).toBe(3);
    const lastSeen = firstPart.events.at(-1)!.id;
    const rest = await user.stream(syncId, { lastEventId: String(lastSeen) });
    expect(rest.events[0]!.id).toBe(lastSeen + 1);
    const ids = rest.events.map((e) => e.id);
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]).toBe(ids[i - 1]! + 1);
    expect(rest.events.at(-1)!.event).toBe("complete");
  });

  it("attaches a second click to the running sync, and cancels it", async () => {
    await user.connectSandbox("github", { items: 400, latency_ms: 400, fault: "none" });
    const first = await user.startSync("github");
    const second = await user.startSync("github");
    expect(first.status).toBe(202);
    expect(second).toEqual({ status: 200, syncId: first.syncId, attached: true });

    const cancel = await user.json<{ progress: { status: string } }>(`/api/sync-progress/${first.syncId}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect(["cancelled", "connecting", "syncing", "queued"]).toContain(cancel.body.progress.status);
    expect((await user.waitForTerminal(first.syncId, 10_000)).status).toBe("cancelled");
    const s = await user.stream(first.syncId);
    expect(s.events).toHaveLength(1);
    expect(s.events[0]!.event).toBe("cancelled");
    expect(s.closedByServer).toBe(true);

    // The connection is free again: the next click starts a new run.
    const third = await user.startSync("github");
    expect(third.status).toBe(202);
    expect(third.syncId).not.toBe(first.syncId);
    await user.json(`/api/sync-progress/${third.syncId}/cancel`, { method: "POST" });
  });

  it("continues a cancelled sync where it stopped on the next click", async () => {
    const other = await TestUser.signUp(baseUrl);
    await other.connectSandbox("github", { items: 600, latency_ms: 250, fault: "none" });
    const first = await other.startSync("github");
    let p = await other.progress(first.syncId);
    while (p.processed_items < 100) {
      await new Promise((r) => setTimeout(r, 50));
      p = await other.progress(first.syncId);
    }
    const cancelled = await other.json(`/api/sync-progress/${first.syncId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    const stopped = await other.waitForTerminal(first.syncId, 10_000);
    expect(stopped.status).toBe("cancelled");
    expect(stopped.processed_items).toBeLessThan(600);

    await other.connectSandbox("github", { items: 600, latency_ms: 0, fault: "none" });
    const second = await other.startSync("github");
    const s = await other.stream(second.syncId, { lastEventId: "0" });
    const end = s.events.at(-1)!;
    // The new run's numbers are its own (issue 15): it starts at 0 and handles what the cancelled
    // one left; together they handled every item once.
    expect(s.events[0]!.data).toMatchObject({ processed_items: 0, failed_items: 0 });
    const rest = 600 - stopped.processed_items - stopped.failed_items;
    expect(end.data).toMatchObject({ status: "complete", processed_items: rest, total_items: rest });
    expect(s.events.some((e) => e.data.stage === `Continuing where the last sync stopped (${(600 - rest).toLocaleString("en-US")} items already synced)…`)).toBe(true);
    const list = await other.json<{ integrations: { type: string; item_count: number }[] }>("/api/integrations");
    expect(list.body.integrations.find((i) => i.type === "github")!.item_count).toBe(600);
  });

  it("ends a hanging provider in error within the configured timeouts, saying why", async () => {
    await user.connectSandbox("github", { items: 50, latency_ms: 0, fault: "hang" });
    const started = Date.now();
    const { syncId } = await user.startSync("github");
    const end = await user.waitForTerminal(syncId, 20_000);
    expect(end.status).toBe("error");
    // connect timeout 3 s, request timeout 1 s x 2 attempts, stall 4 s (tests/helpers/server-setup.ts)
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(end.error_message).toMatch(/did not answer in time|took longer than 3 s|No progress for 4 s/);
  });

  it.each([
    ["server_error", "error", /^GitHub is having trouble right now\. Try the sync again later/, /kept failing \(HTTP 502\) after \d attempts/],
    ["malformed", "error", /could not read/, /broken JSON|malformed/],
    ["expired_token", "error", /Reconnect GitHub/, /401/],
  ])("fault %s ends in %s with a readable reason, the technical part apart", async (fault, status, message, detail) => {
    await user.connectSandbox("github", { items: 40, latency_ms: 0, fault });
    const { syncId } = await user.startSync("github");
    const end = await user.waitForTerminal(syncId, 20_000);
    expect(end.status).toBe(status);
    expect(end.error_message).toMatch(message);
    expect(end.error_message).not.toMatch(/HTTP \d{3}|\d+ attempts/);
    expect(end.error_detail).toMatch(detail);
  });

  it("marks the connection for reconnecting when the token is refused", async () => {
    const list = await user.json<{ integrations: { type: string; status: string }[] }>("/api/integrations");
    expect(list.body.integrations.find((i) => i.type === "github")!.status).toBe("needs_reauth");
  });

  it("counts broken items as failed without failing the run", async () => {
    const other = await TestUser.signUp(baseUrl);
    await other.connectSandbox("github", { items: 40, latency_ms: 0, fault: "item_errors" });
    const { syncId } = await other.startSync("github");
    const end = await other.waitForTerminal(syncId);
    expect(end.status).toBe("complete");
    expect(end.failed_items).toBe(4);
    expect(end.processed_items).toBe(36);
    const f = await other.json<{ total: number; failures: { external_id: string; title: string | null; reason: string }[] }>(`/api/sync-progress/${syncId}/failures`);
    expect(f.status).toBe(200);
    expect(f.body.total).toBe(4);
    expect(f.body.failures).toHaveLength(4);
    for (const item of f.body.failures) {
      expect(item.external_id).toMatch(/^sandbox-user\/[\w-]+#\d+$/);
      expect(item.reason.length).toBeGreaterThan(5);
    }
    expect((await user.json(`/api/sync-progress/${syncId}/failures`)).status).toBe(404);
  });

  it("waits out a rate limit visibly, then completes", async () => {
    const other = await TestUser.signUp(baseUrl);
    await other.connectSandbox("github", { items: 1500, latency_ms: 0, fault: "rate_limit" });
    const { syncId } = await other.startSync("github");
    const s = await other.stream(syncId, { timeoutMs: 40_000 });
    const limited = s.events.find((e) => e.data.status === "rate_limited");
    expect(limited).toBeDefined();
    expect(limited!.data.retry_at).toBeDefined();
    // One source for the countdown: retry_at, in the future; the words carry no seconds figure.
    expect(limited!.data.stage).toMatch(/^Rate limited by GitHub; the sync resumes by itself/);
    expect(limited!.data.stage).not.toMatch(/\d+ s\b/);
    expect(Date.parse(limited!.data.retry_at!)).toBeGreaterThan(Date.parse(limited!.data.started_at));
    const end = s.events.at(-1)!;
    expect(end.event).toBe("complete");
    expect(end.data.processed_items).toBe(1500);
    expect(end.data.retry_at).toBeUndefined();
  });
});

describe("input and isolation", () => {
  let alice: TestUser;
  let bob: TestUser;
  let aliceSync: string;
  beforeAll(async () => {
    alice = await TestUser.signUp(baseUrl);
    bob = await TestUser.signUp(baseUrl);
    await alice.connectSandbox("github", { items: 10, latency_ms: 0, fault: "none" });
    aliceSync = (await alice.startSync("github")).syncId;
    await alice.waitForTerminal(aliceSync);
  });

  it("answers another user's sync id exactly like an unknown one: 404", async () => {
    const unknown = "sync_" + "0".repeat(32);
    for (const id of [aliceSync, unknown, "not-a-sync-id"]) {
      const snap = await bob.json(`/api/sync-progress/${id}`);
      expect(snap).toEqual({ status: 404, body: { success: false, error: "No such sync", code: "not_found" } });
      expect((await bob.stream(id)).status).toBe(404);
      expect((await bob.json(`/api/sync-progress/${id}/cancel`, { method: "POST" })).status).toBe(404);
    }
    expect((await alice.json(`/api/sync-progress/${aliceSync}`)).status).toBe(200);
  });

  it("answers an unknown connector type with 400 and a readable error", async () => {
    const r = await alice.json("/api/integrations/dropbox/sync", { method: "POST" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false });
    expect(String(r.body.error)).toMatch(/gmail, slack, box, github/);
  });

  it("requires a session", async () => {
    const r = await fetch(`${baseUrl}/api/integrations/github/sync`, { method: "POST" });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ success: false, error: "Sign in first", code: "unauthorized" });
  });

  it.each([
    ["broken JSON", "/api/integrations/github/sandbox", "PUT", "{not json", 400],
    ["unknown fault", "/api/integrations/github/sandbox", "PUT", JSON.stringify({ items: 5, latency_ms: 0, fault: "explode" }), 400],
    ["negative items", "/api/integrations/github/sandbox", "PUT", JSON.stringify({ items: -1, latency_ms: 0, fault: "none" }), 400],
    ["unknown field", "/api/integrations/github/sandbox", "PUT", JSON.stringify({ items: 5, latency_ms: 0, fault: "none", x: 1 }), 400],
    ["live mode", "/api/integrations/github/connect", "POST", JSON.stringify({ mode: "live" }), 400],
    ["array body", "/api/integrations/github/sync", "POST", "[]", 400],
    ["huge body", "/api/integrations/github/sync", "POST", JSON.stringify({ pad: "x".repeat(100_000) }), 413],
  ])("rejects %s with a 4xx JSON error and changes nothing", async (_, path, method, body, status) => {
    const before = await alice.json<{ integrations: unknown }>("/api/integrations");
    const r = await alice.json(path, { method, body });
    expect(r.status).toBe(status);
    expect(r.body.success).toBe(false);
    expect(typeof r.body.error).toBe("string");
    const after = await alice.json<{ integrations: unknown }>("/api/integrations");
    expect(after.body.integrations).toEqual(before.body.integrations);
  });

  it.each(["abc", "-1", "1.5"])("rejects a garbage Last-Event-ID %j with 400", async (value) => {
    const s = await alice.stream(aliceSync, { lastEventId: value });
    expect(s.status).toBe(400);
  });

  it("rejects a Last-Event-ID from the future with 400, and replays nothing after the last one", async () => {
    const full = await alice.stream(aliceSync);
    const lastId = full.events.at(-1)!.id;
    expect((await alice.stream(aliceSync, { lastEventId: String(lastId + 5) })).status).toBe(400);
    const none = await alice.stream(aliceSync, { lastEventId: String(lastId), timeoutMs: 3000 });
    expect(none.status).toBe(200);
    expect(none.events).toEqual([]);
    expect(none.closedByServer).toBe(true);
  });

  it("refuses to sync a provider that is not connected", async () => {
    const r = await bob.json("/api/integrations/github/sync", { method: "POST" });
    expect(r.status).toBe(409);
    expect(String(r.body.error)).toMatch(/not connected/);
  });
});
