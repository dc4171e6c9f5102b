// Many streams of one run in one web process share a fan-out hub (lib/progress/stream.ts):
// one bus subscription, one database read per gap, each event encoded once. Every stream must
// still see exactly the contract: the current state or a replay after its Last-Event-ID, then
// every later event once and in order, and a close after the terminal event.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";

const baseUrl = inject("baseUrl");

describe("fan-out: many streams of one run", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await TestUser.signUp(baseUrl);
  });

  it("gives every stream, joining at any point and with any Last-Event-ID, a gapless sequence ending in the terminal event", async () => {
    await user.connectSandbox("github", { items: 400, latency_ms: 40, fault: "none" });
    const start = await user.startSync("github");
    expect(start.status).toBe(202);

    // Streams opened while the run goes on: fresh ones (current state first) and reconnecting
    // ones (replay after an id), some of them before the hub exists, some long after.
    const streams: Promise<Awaited<ReturnType<TestUser["stream"]>> & { from: number | null }>[] = [];
    for (let wave = 0; wave < 4; wave += 1) {
      const seen = (await user.progress(start.syncId)).status;
      // The id of the run's last event now (a fresh stream's first event carries it).
      const probe = await user.stream(start.syncId, { stopAfter: 1 });
      const current = probe.events[0]!.id;
      for (let k = 0; k < 6; k += 1) {
        const from = k % 2 === 0 ? null : Math.max(0, current - k);
        streams.push(
          user
            .stream(start.syncId, { ...(from === null ? {} : { lastEventId: String(from) }), timeoutMs: 60_000 })
            .then((s) => ({ ...s, from })),
        );
      }
      if (["complete", "error", "cancelled"].includes(seen)) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    const results = await Promise.all(streams);
    const full = await user.stream(start.syncId, { lastEventId: "0" });
    const lastId = full.events.at(-1)!.id;
    expect(full.events.at(-1)!.event).toBe("complete");
    const byId = new Map(full.events.map((e) => [e.id, e]));

    for (const s of results) {
      expect(s.status).toBe(200);
      expect(s.closedByServer).toBe(true);
      const ids = s.events.map((e) => e.id);
      expect(ids.at(-1)).toBe(lastId);
      expect(s.events.at(-1)!.event).toBe("complete");
      if (s.from !== null) expect(ids[0]).toBe(s.from + 1); // the replay starts right after the given id
      for (let i = 1; i < ids.length; i += 1) expect(ids[i]).toBe(ids[i - 1]! + 1);
      // Replayed and live events are the stored ones, byte for byte as JSON.
      for (const e of s.from === null ? s.events.slice(1) : s.events) expect(e).toEqual(byId.get(e.id));
    }
  });

  it("answers a stream of a finished run with its final state and closes it", async () => {
    await user.connectSandbox("gmail", { items: 30, latency_ms: 5, fault: "none" });
    const start = await user.startSync("gmail");
    let first = await user.stream(start.syncId, { timeoutMs: 60_000 });
    while (!first.closedByServer) first = await user.stream(start.syncId, { timeoutMs: 60_000 });
    const after = await user.stream(start.syncId);
    expect(after.events).toHaveLength(1);
    expect(after.events[0]!.event).toBe("complete");
    expect(after.closedByServer).toBe(true);
    const none = await user.stream(start.syncId, { lastEventId: String(after.events[0]!.id), timeoutMs: 5000 });
    expect(none.events).toEqual([]);
    expect(none.closedByServer).toBe(true);
  });
});
