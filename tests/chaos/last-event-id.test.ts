// Clients that reconnect with a Last-Event-ID that is garbage, negative, from another sync
// (their own or someone else's) or far in the future, many at once while a run streams:
// each gets a clear answer (400 with a readable JSON error, or a correct replay), never a 5xx,
// and the server, the run and an honest stream beside them carry on untouched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { assertDatabaseInvariants, assertStreamSawEverything, followStream, logTail, runsOf, startApp, type ChaosApp } from "./helpers";

let app: ChaosApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const GARBAGE = [
  "abc",
  "1.5",
  "1e3",
  "0x10",
  "+5",
  "5 5",
  "5,6",
  "NaN",
  "Infinity",
  "null",
  "undefined",
  "[]",
  "{}",
  "' OR 1=1 --",
  "%00",
  "\u00e9t\u00e9",
  "9".repeat(16),
  "1".repeat(4000),
];
const NEGATIVE = ["-1", "-0", "-999999999999999999", "-1.5"];

describe("Last-Event-ID from misbehaving clients", () => {
  it("answers every bad value clearly, replays correctly from another sync's id, and nothing crashes", async () => {
    const alice = await TestUser.signUp(app.server.baseUrl);
    const bob = await TestUser.signUp(app.server.baseUrl);
    await alice.connectSandbox("gmail", { items: 20, latency_ms: 0, fault: "none" });
    const done = await alice.startSync("gmail");
    await alice.waitForTerminal(done.syncId);
    await bob.connectSandbox("github", { items: 20, latency_ms: 0, fault: "none" });
    const bobs = await bob.startSync("github");
    await bob.waitForTerminal(bobs.syncId);
    const [doneRun] = await runsOf(app.databaseUrl, "id = ?", done.syncId);
    const [bobRun] = await runsOf(app.databaseUrl, "id = ?", bobs.syncId);

    await alice.connectSandbox("github", { items: 600, latency_ms: 150, fault: "none" });
    const { syncId } = await alice.startSync("github");
    const honest = followStream(alice, syncId);

    const ask = async (value: string) => {
      const res = await alice.fetch(`/api/sync-progress/${syncId}/stream`, { headers: { accept: "text/event-stream", "last-event-id": value } });
      const type = res.headers.get("content-type") ?? "";
      const text = res.status === 200 ? "" : await res.text();
      if (res.status === 200) await res.body?.cancel();
      return { value, status: res.status, type, text };
    };

    // All at once, three times over, while the run streams.
    const bad = [...GARBAGE, ...NEGATIVE, "999999999999999", "2147483648", "9007199254740993"];
    const answers = await Promise.all([...bad, ...bad, ...bad].map(ask));
    for (const a of answers) {
      expect(a.status, `Last-Event-ID ${JSON.stringify(a.value.slice(0, 40))}: ${a.text.slice(0, 200)}`).toBe(400);
      expect(a.type).toContain("application/json");
      const body = JSON.parse(a.text) as { success: boolean; error: string };
      expect(body.success).toBe(false);
      expect(body.error).toMatch(/Last-Event-ID/);
    }

    // Another sync's ids are plain numbers: either a correct replay after that id or a clear 400.
    for (const other of [Number(doneRun!.lastSeq), Number(bobRun!.lastSeq)]) {
      const r = await alice.stream(syncId, { lastEventId: String(other), timeoutMs: 60_000 });
      if (r.status === 200) {
        expect(r.events[0]!.id).toBe(other + 1);
        expect(r.events.map((e) => e.id)).toEqual(Array.from({ length: r.events.length }, (_, i) => other + 1 + i));
        expect(r.events.at(-1)!.event).toBe("complete");
      } else {
        expect(r.status).toBe(400);
      }
    }
    // Someone else's sync id itself stays invisible, whatever the header says.
    expect((await alice.stream(bobs.syncId, { lastEventId: "0" })).status).toBe(404);
    expect((await alice.stream(bobs.syncId, { lastEventId: "garbage" })).status).toBe(404);

    // A finished sync: its last id replays nothing and closes; one past it is refused.
    const atEnd = await alice.stream(done.syncId, { lastEventId: String(doneRun!.lastSeq), timeoutMs: 5000 });
    expect(atEnd).toMatchObject({ status: 200, events: [], closedByServer: true });
    expect((await alice.stream(done.syncId, { lastEventId: String(Number(doneRun!.lastSeq) + 1) })).status).toBe(400);

    const end = await alice.waitForTerminal(syncId, 60_000);
    expect(end, logTail(app)).toMatchObject({ status: "complete", processed_items: 600 });
    await assertStreamSawEverything(app.databaseUrl, syncId, (await honest).events);
    expect(app.server.output()).not.toMatch(/TypeError|RangeError|Unhandled|uncaught/i);
    await assertDatabaseInvariants(app.databaseUrl);
  });
});
