// Providers misbehaving, each against a fresh connection: one that hangs (from the first
// request, and from the middle of a run), one that answers slowly, one that answers 429 for a
// minute (CHAOS_RATE_LIMIT_S), one that sends malformed JSON, one that drops the connection
// mid-body. Hang, slow and malformed are the sandboxes' own faults; the 429 minute and the
// dropped connection come from a loopback proxy the app reaches its sandboxes through
// (APP_URL points at it, see fault-proxy.ts). Every run ends; what a failed run wrote matches
// its checkpoint; a stream that followed it saw every event in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { freePort } from "@/tests/helpers/server";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import {
  assertDatabaseInvariants,
  assertDocumentsMatchCheckpoint,
  assertStreamSawEverything,
  connectionIdOf,
  documentCounts,
  followStream,
  logTail,
  report,
  startApp,
  until,
  type ChaosApp,
  type Followed,
} from "./helpers";

/** How long the provider answers 429 (the issue says a minute; shorten it locally with the variable). */
const RATE_LIMIT_S = Number(process.env.CHAOS_RATE_LIMIT_S ?? 60);
const REQUEST_TIMEOUT_S = 3;
const CONNECT_TIMEOUT_S = 3;

let proxy: FaultProxy;
let app: ChaosApp;

beforeAll(async () => {
  const port = await freePort();
  proxy = await startFaultProxy(0, () => port);
  app = await startApp({
    port,
    env: {
      APP_URL: proxy.url,
      SYNC_CONNECT_TIMEOUT_S: String(CONNECT_TIMEOUT_S),
      // The slow sandbox takes 1.5 s a request: within this, so a slow provider is only slow.
      SYNC_REQUEST_TIMEOUT_S: String(REQUEST_TIMEOUT_S),
      // Room for the 429 minute; the stall timeout stays at 4 s (tests/helpers/server.ts).
      SYNC_TIMEOUT_S: String(RATE_LIMIT_S + 120),
    },
  });
});
afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

async function newUser(type: string, scenario: { items: number; latency_ms: number; fault: string }) {
  const user = await TestUser.signUp(proxy.url);
  await user.connectSandbox(type, scenario);
  const { syncId } = await user.startSync(type);
  const follower = followStream(user, syncId, { timeoutMs: (RATE_LIMIT_S + 90) * 1000 });
  return { user, syncId, follower };
}

async function finish(user: TestUser, syncId: string, follower: Promise<Followed>, timeoutMs = 60_000) {
  const end = await user.waitForTerminal(syncId, timeoutMs);
  const seen = await follower;
  await assertStreamSawEverything(app.databaseUrl, syncId, seen.events);
  return { end, seen };
}

describe("a provider that misbehaves", () => {
  // The 429 minute runs alongside the other cases (on Gmail; they use GitHub) and is checked last.
  let limited: Promise<{ end: Awaited<ReturnType<typeof finish>>["end"]; seen: Followed; email: string; syncId: string; startedAt: number }>;
  beforeAll(() => {
    proxy.set("gmail", { kind: "rate_limit", seconds: RATE_LIMIT_S, retryAfterS: 5, afterRequests: 20 });
    const startedAt = Date.now();
    limited = (async () => {
      const { user, syncId, follower } = await newUser("gmail", { items: 200, latency_ms: 20, fault: "none" });
      const { end, seen } = await finish(user, syncId, follower, (RATE_LIMIT_S + 90) * 1000);
      return { end, seen, email: user.email, syncId, startedAt };
    })();
    limited.catch(() => undefined); // awaited by its own test
  });

  it("hangs from the first request: the run fails within the connect timeout, saying why", async () => {
    const started = Date.now();
    const { user, syncId, follower } = await newUser("github", { items: 100, latency_ms: 0, fault: "hang" });
    const { end } = await finish(user, syncId, follower);
    expect(end.status).toBe("error");
    expect(end.error_message).toMatch(/took longer than 3 s|did not answer in time|No progress for 4 s/);
    expect(Date.now() - started).toBeLessThan((CONNECT_TIMEOUT_S + 8) * 1000);
    await assertDocumentsMatchCheckpoint(app.databaseUrl, syncId, await connectionIdOf(app.databaseUrl, user.email, "github"));
  });

  it("hangs in the middle of a run: the run fails cleanly and keeps exactly what its checkpoint says", async () => {
    const { user, syncId, follower } = await newUser("github", { items: 600, latency_ms: 200, fault: "none" });
    await until("the run mid-way", async () => ((await user.progress(syncId)).processed_items >= 50 ? true : null));
    const put = await user.json("/api/integrations/github/sandbox", { method: "PUT", body: JSON.stringify({ items: 600, latency_ms: 200, fault: "hang" }) });
    expect(put.status).toBe(200);
    const { end } = await finish(user, syncId, follower);
    expect(end.status).toBe("error");
    expect(end.error_message).toMatch(/did not answer in time|No progress for 4 s/);
    const kept = await assertDocumentsMatchCheckpoint(app.databaseUrl, syncId, await connectionIdOf(app.databaseUrl, user.email, "github"));
    expect(kept).toBeGreaterThanOrEqual(50);
    expect(kept).toBeLessThan(600);
  });

  it("answers slowly: the run takes longer and completes, every document once", async () => {
    const { user, syncId, follower } = await newUser("github", { items: 100, latency_ms: 0, fault: "slow" });
    const { end } = await finish(user, syncId, follower);
    expect(end, logTail(app)).toMatchObject({ status: "complete", processed_items: 100 });
    expect(await documentCounts(app.databaseUrl, await connectionIdOf(app.databaseUrl, user.email, "github"))).toEqual({ rows: 100, distinct: 100 });
  });

  it("sends malformed JSON: the run fails after its retries with a readable reason, nothing half-written", async () => {
    const { user, syncId, follower } = await newUser("github", { items: 100, latency_ms: 0, fault: "malformed" });
    const { end } = await finish(user, syncId, follower);
    expect(end.status).toBe("error");
    expect(end.error_message).toMatch(/could not read/);
    await assertDocumentsMatchCheckpoint(app.databaseUrl, syncId, await connectionIdOf(app.databaseUrl, user.email, "github"));
  });

  it("drops the connection mid-body once per request: the retries recover, every document once", async () => {
    proxy.set("github", { kind: "drop_once" });
    try {
      const { user, syncId, follower } = await newUser("github", { items: 300, latency_ms: 0, fault: "none" });
      const { end } = await finish(user, syncId, follower);
      expect(proxy.stats("github").dropped).toBeGreaterThan(3);
      expect(end, logTail(app)).toMatchObject({ status: "complete", processed_items: 300, failed_items: 0 });
      expect(await documentCounts(app.databaseUrl, await connectionIdOf(app.databaseUrl, user.email, "github"))).toEqual({ rows: 300, distinct: 300 });
    } finally {
      proxy.set("github", { kind: "none" });
    }
  });

  it("drops the connection mid-body every time: the run fails saying the provider could not be reached", async () => {
    const { user, syncId, follower } = await newUser("github", { items: 300, latency_ms: 150, fault: "none" });
    // Let the first pages through, then cut every answer.
    await until("the run mid-way", async () => ((await user.progress(syncId)).processed_items > 0 ? true : null), 30_000, 20);
    proxy.set("github", { kind: "drop_always" });
    try {
      const { end } = await finish(user, syncId, follower);
      expect(proxy.stats("github").dropped).toBeGreaterThan(0);
      expect(end.status).toBe("error");
      expect(end.error_message).toMatch(/could not be reached/);
      const kept = await assertDocumentsMatchCheckpoint(app.databaseUrl, syncId, await connectionIdOf(app.databaseUrl, user.email, "github"));
      expect(kept).toBeLessThan(300);
    } finally {
      proxy.set("github", { kind: "none" });
    }
  });

  it(`answers 429 for ${RATE_LIMIT_S} s: the run waits it out visibly and completes, every document once`, async () => {
    const { end, seen, email, syncId, startedAt } = await limited;
    const stats = proxy.stats("gmail");
    expect(stats.limited).toBeGreaterThan(0);
    expect(end, logTail(app)).toMatchObject({ status: "complete", processed_items: 200, failed_items: 0 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(RATE_LIMIT_S * 1000);
    const waits = seen.events.filter((e) => e.data.status === "rate_limited");
    expect(waits.length).toBeGreaterThan(0);
    // The countdown comes from retry_at alone; the words carry no seconds figure (issue 15).
    expect(waits[0]!.data.stage).toMatch(/^Rate limited by Gmail; the sync resumes by itself/);
    expect(waits[0]!.data.retry_at).toBeDefined();
    expect(waits[0]!.data.retry_at).toBeDefined();
    expect(await documentCounts(app.databaseUrl, await connectionIdOf(app.databaseUrl, email, "gmail"))).toEqual({ rows: 200, distinct: 200 });
    report("Provider answering 429", [
      `429 + Retry-After: 5 for ${RATE_LIMIT_S} s (CHAOS_RATE_LIMIT_S), ${stats.limited} requests refused`,
      `run ${syncId} completed ${((Date.now() - startedAt) / 1000).toFixed(1)} s after it started, ${waits.length} rate-limited events`,
    ]);
  });

  it("leaves the database consistent", async () => {
    await assertDatabaseInvariants(app.databaseUrl);
  });
});
