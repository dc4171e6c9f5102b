import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProgressTracker } from "@/lib/progress/tracker";
import type { ProgressData, SyncEventName } from "@/lib/contract";

const initial: ProgressData = {
  sync_id: "sync_x",
  connector_type: "github",
  status: "queued",
  stage: "Waiting…",
  total_items: 0,
  processed_items: 0,
  failed_items: 0,
  percent_complete: 0,
  started_at: "2026-01-01T00:00:00.000Z",
};

function setup() {
  const events: { seq: number; name: SyncEventName; data: ProgressData; at: number }[] = [];
  const tracker = new ProgressTracker(initial, 1, async (seq, name, data) => {
    events.push({ seq, name, data, at: Date.now() });
  });
  return { tracker, events };
}

describe("ProgressTracker", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("emits status and stage changes at once, with growing seq after the last one", async () => {
    const { tracker, events } = setup();
    tracker.update({ status: "connecting", stage: "Connecting…" });
    tracker.update({ status: "syncing", stage: "Fetching…" });
    await tracker.flush();
    expect(events.map((e) => [e.seq, e.name, e.data.status])).toEqual([
      [2, "progress", "connecting"],
      [3, "progress", "syncing"],
    ]);
  });

  it("coalesces counter updates to at most one event per 250 ms, keeping the latest state", async () => {
    const { tracker, events } = setup();
    tracker.update({ status: "syncing", stage: "Fetching…", total_items: 1000 });
    const start = events.length;
    for (let i = 0; i < 90; i += 1) {
      tracker.itemDone(`Issue: ${i}`); // 0..9% stays below the first milestone
      await vi.advanceTimersByTimeAsync(10); // 900 ms in all
    }
    await vi.advanceTimersByTimeAsync(300);
    await tracker.flush();
    const counted = events.slice(start);
    expect(counted.length).toBeGreaterThanOrEqual(3);
    expect(counted.length).toBeLessThanOrEqual(5); // ~900 ms / 250 ms, plus the trailing one
    for (let i = 1; i < counted.length; i += 1) expect(counted[i]!.at - counted[i - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(counted.at(-1)!.data.processed_items).toBe(90);
    expect(counted.at(-1)!.data.current_item).toBe("Issue: 89");
  });

  it("emits every milestone even inside a coalescing window", async () => {
    const { tracker, events } = setup();
    tracker.update({ status: "syncing", stage: "Fetching…", total_items: 100 });
    for (let i = 0; i < 100; i += 1) tracker.itemDone(undefined); // no time passes at all
    await tracker.finish("complete");
    const pcts = events.map((e) => e.data.percent_complete);
    for (const m of [10, 25, 50, 75, 90]) expect(pcts).toContain(m);
    expect(events.at(-1)!.name).toBe("complete");
    expect(events.at(-1)!.data.percent_complete).toBe(100);
  });

  it("sends nothing after the terminal event and clears its timer", async () => {
    const { tracker, events } = setup();
    tracker.update({ status: "syncing", stage: "Fetching…", total_items: 1000 });
    tracker.itemDone("a");
    tracker.itemDone("b");
    await tracker.finish("cancelled", { stage: "Cancelled" });
    const count = events.length;
    tracker.itemDone("late");
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.length).toBe(count);
    expect(events.at(-1)!.name).toBe("cancelled");
    expect(events.at(-1)!.data.finished_at).toBe("2026-01-01T00:00:00.000Z");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports a failed write from flush", async () => {
    const tracker = new ProgressTracker(
      initial,
      1,
      async () => {
        throw new Error("disk full");
      },
      { retryDelaysMs: [] },
    );
    tracker.update({ stage: "x" });
    await expect(tracker.flush()).rejects.toThrow("disk full");
  });

  // Found by the resilience suite (tests/chaos/postgres.test.ts): with the database's
  // connections cut mid-run, one event write failed, the next one landed, and the log had a
  // hole that every open stream waited on forever.
  it("retries a failed event write, in order, so a database blip leaves no gap in the log", async () => {
    const written: number[] = [];
    let failures = 2;
    const tracker = new ProgressTracker(initial, 1, async (seq) => {
      if (seq === 3 && failures-- > 0) throw new Error("Client has encountered a connection error and is not queryable");
      written.push(seq);
    });
    tracker.update({ status: "connecting", stage: "a" });
    tracker.update({ stage: "b" });
    tracker.update({ stage: "c" });
    await vi.advanceTimersByTimeAsync(5000);
    await tracker.flush();
    expect(written).toEqual([2, 3, 4]);
  });

  it("writes nothing after an event that could not be written at all, and counts a retry that finds its row as written", async () => {
    const written: number[] = [];
    const tracker = new ProgressTracker(
      initial,
      1,
      async (seq) => {
        if (seq === 3) throw new Error("database gone");
        written.push(seq);
      },
      { retryDelaysMs: [10] },
    );
    tracker.update({ status: "connecting", stage: "a" });
    tracker.update({ stage: "b" });
    tracker.update({ stage: "c" });
    const flushed = tracker.flush();
    const outcome = expect(flushed).rejects.toThrow("database gone");
    await vi.advanceTimersByTimeAsync(100);
    await outcome;
    expect(written).toEqual([2]);

    let calls = 0;
    const again = new ProgressTracker(initial, 1, async () => {
      calls += 1;
      // The first commit landed but its answer was lost; the retry hits the unique (run, seq).
      throw calls === 1 ? new Error("connection terminated") : Object.assign(new Error("Unique constraint failed"), { code: "P2002" });
    });
    again.update({ status: "connecting", stage: "a" });
    const done = again.flush();
    await vi.advanceTimersByTimeAsync(1000);
    await expect(done).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
