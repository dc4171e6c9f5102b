// Every provider through the app over HTTP: the real SDK against the built-in sandbox,
// full and incremental syncs, token expiry, faults. Small timeouts: tests/helpers/server.ts.
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";

const baseUrl = inject("baseUrl");

interface Case {
  type: "gmail" | "github" | "slack" | "box";
  label: string;
  /** Whether an expired access token is renewed with a refresh token (else: reconnect). */
  refreshes: boolean;
  /** Items enough for the `rate_limit` fault's small window to bite. */
  rateLimitItems: number;
  /** Failures under `item_errors` besides broken items (Slack: one deleted channel). */
  extraFailures: number;
}

const CASES: Case[] = [
  { type: "github", label: "GitHub", refreshes: false, rateLimitItems: 1500, extraFailures: 0 },
  { type: "gmail", label: "Gmail", refreshes: true, rateLimitItems: 120, extraFailures: 0 },
  { type: "slack", label: "Slack", refreshes: false, rateLimitItems: 400, extraFailures: 1 },
  { type: "box", label: "Box", refreshes: true, rateLimitItems: 300, extraFailures: 0 },
];

async function listed(user: TestUser, type: string) {
  const r = await user.json<{ integrations: { type: string; item_count: number; status: string; last_sync_status: string | null }[] }>("/api/integrations");
  return r.body.integrations.find((i) => i.type === type)!;
}

describe.each(CASES)("$label", ({ type, label, refreshes, rateLimitItems, extraFailures }) => {
  it("syncs everything, then only what is new, never duplicating", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox(type, { items: 180, latency_ms: 5, fault: "none" });
    const first = await user.startSync(type);
    const s = await user.stream(first.syncId, { timeoutMs: 60_000 });
    const end = s.events.at(-1)!;
    expect(end.event, end.data.error_message).toBe("complete");
    expect(end.data.failed_items).toBe(0);
    expect(end.data.processed_items).toBe(180);
    expect(end.data.total_items).toBe(180);
    expect((await listed(user, type)).item_count).toBe(180);

    await user.connectSandbox(type, { items: 195, latency_ms: 5, fault: "none" });
    const second = await user.startSync(type);
    const done = await user.waitForTerminal(second.syncId, 60_000);
    expect(done.status).toBe("complete");
    expect(done.processed_items).toBe(15);
    expect((await listed(user, type)).item_count).toBe(195);
  });

  it(refreshes ? "renews an expired token once and completes" : "asks to reconnect when the token has expired", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox(type, { items: 40, latency_ms: 0, fault: "expired_token" });
    const { syncId } = await user.startSync(type);
    const end = await user.waitForTerminal(syncId, 30_000);
    if (refreshes) {
      expect(end.status).toBe("complete");
      expect(end.processed_items).toBe(40);
      expect((await listed(user, type)).status).toBe("connected");
      // The renewed token was stored: the next sync needs no refresh and still works.
      await user.connectSandbox(type, { items: 40, latency_ms: 0, fault: "none" });
      const again = await user.startSync(type);
      expect((await user.waitForTerminal(again.syncId, 30_000)).status).toBe("complete");
    } else {
      expect(end.status).toBe("error");
      expect(end.error_message).toMatch(new RegExp(`Reconnect ${label}`));
      expect((await listed(user, type)).status).toBe("needs_reauth");
    }
  });

  it("counts broken items as failed, with reasons, and completes", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox(type, { items: 60, latency_ms: 0, fault: "item_errors" });
    const { syncId } = await user.startSync(type);
    const end = await user.waitForTerminal(syncId, 30_000);
    expect(end.status).toBe("complete");
    expect(end.failed_items).toBeGreaterThan(0);
    expect(end.processed_items + end.failed_items).toBe(60 + extraFailures);
    const f = await user.json<{ total: number; failures: { reason: string }[] }>(`/api/sync-progress/${syncId}/failures`);
    expect(f.body.total).toBe(end.failed_items);
    expect(f.body.failures[0]!.reason.length).toBeGreaterThan(5);
  });

  // The user reads words (what happened, what to do); the status code and attempts are the
  // run's error_detail, for the "Details" disclosure (issue 15).
  it.each([
    ["hang", /did not answer in time|took longer than 3 s|No progress for 4 s/, undefined],
    ["server_error", new RegExp(`^${label} is having trouble right now\\. Try the sync again later`), /HTTP 5\d\d/],
    ["malformed", /could not read/i, /malformed|broken JSON|could not read/i],
  ])("ends fault %s in error with a readable reason, in time", async (fault, message, detail) => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox(type, { items: 30, latency_ms: 0, fault });
    const started = Date.now();
    const { syncId } = await user.startSync(type);
    const end = await user.waitForTerminal(syncId, 30_000);
    expect(end.status).toBe("error");
    expect(end.error_message).toMatch(message);
    expect(end.error_message).not.toMatch(/HTTP \d{3}|\d+ attempts/);
    if (detail) expect(end.error_detail).toMatch(detail);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("waits out a rate limit and completes", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox(type, { items: rateLimitItems, latency_ms: 0, fault: "rate_limit" });
    const { syncId } = await user.startSync(type);
    const s = await user.stream(syncId, { timeoutMs: 60_000, lastEventId: "0" });
    expect(s.events.some((e) => e.data.status === "rate_limited" && e.data.retry_at)).toBe(true);
    expect(s.events.at(-1)!.data).toMatchObject({ status: "complete" });
    expect(s.events.at(-1)!.data.processed_items + s.events.at(-1)!.data.failed_items).toBe(rateLimitItems);
  });
});
