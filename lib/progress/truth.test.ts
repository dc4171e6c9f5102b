// Property tests of the progress reducer (ProgressTracker + rules): whatever a connector and the
// engine throw at it, in any order, no event breaks the ProgressData contract (issue 15).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { ProgressTracker } from "@/lib/progress/tracker";
import { EtaEstimator } from "@/lib/progress/eta";
import { percentOf } from "@/lib/progress/rules";
import type { ProgressData, SyncEventName, TerminalStatus } from "@/lib/contract";

const initial: ProgressData = {
  sync_id: "sync_p",
  connector_type: "slack",
  status: "queued",
  stage: "Waiting…",
  total_items: 0,
  processed_items: 0,
  failed_items: 0,
  percent_complete: 0,
  started_at: "2026-01-01T00:00:00.000Z",
};

/** What a run can do to its progress between two events. */
type Step =
  | { kind: "items"; ok: number; failed: number }
  | { kind: "total"; n: number } // a connector's reported total: late, too small, too big, 0
  | { kind: "stage"; words: string }
  | { kind: "wait"; seconds: number }
  | { kind: "resume" }
  | { kind: "tick"; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("items" as const), ok: fc.nat(40), failed: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("total" as const), n: fc.nat(500) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stage" as const), words: fc.constantFrom("Listing…", "Fetching…", "Counting…") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resume" as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
);

const terminal = fc.constantFrom<TerminalStatus>("complete", "error", "cancelled");

async function play(steps: Step[], end: TerminalStatus, seed: Partial<ProgressData> = {}) {
  const events: { name: SyncEventName; data: ProgressData }[] = [];
  const tracker = new ProgressTracker(
    { ...initial, ...seed },
    1,
    async (_seq, name, data) => {
      events.push({ name, data });
    },
    { coalesceMs: 250, eta: new EtaEstimator() },
  );
  tracker.update({ status: "syncing", stage: "Syncing…", counting: true });
  for (const s of steps) {
    if (s.kind === "items") {
      for (let i = 0; i < s.ok; i++) tracker.itemDone(`Item ${i}`);
      for (let i = 0; i < s.failed; i++) tracker.itemDone(`Failed: ${i}`, true);
    } else if (s.kind === "total") tracker.update({ total_items: s.n, counting: undefined });
    else if (s.kind === "stage") tracker.update({ stage: s.words });
    else if (s.kind === "wait") tracker.update({ status: "rate_limited", stage: "Rate limited", retry_at: new Date(Date.now() + s.seconds * 1000).toISOString() });
    else if (s.kind === "resume") tracker.update({ status: "syncing", stage: "Syncing…", retry_at: undefined });
    else await vi.advanceTimersByTimeAsync(s.ms);
  }
  await vi.advanceTimersByTimeAsync(300);
  await tracker.finish(end, end === "error" ? { stage: "Sync failed", error_message: "It broke." } : {});
  tracker.dispose();
  return { events, final: tracker.snapshot };
}

describe("progress truth (property tests over random event sequences)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("found is never less than processed + failed, in any event", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), terminal, async (steps, end) => {
        const { events } = await play(steps, end);
        for (const e of events) expect(e.data.total_items).toBeGreaterThanOrEqual(e.data.processed_items + e.data.failed_items);
      }),
      { numRuns: 150 },
    );
  });

  it("percent is (processed + failed) / found, below 100 until the complete event, which is last", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), terminal, async (steps, end) => {
        const { events } = await play(steps, end);
        const last = events.at(-1)!;
        expect(last.name).toBe(end);
        for (const e of events.slice(0, -1)) {
          expect(e.data.percent_complete).toBeLessThan(100);
          expect(e.data.percent_complete).toBe(percentOf(e.data));
        }
        if (end === "complete") expect(last.data.percent_complete).toBe(100);
        else expect(last.data.percent_complete).toBeLessThan(100);
      }),
      { numRuns: 150 },
    );
  });

  it("percent only goes down when found grows (monotone otherwise)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const { events } = await play(steps, "complete");
        for (let i = 1; i < events.length; i++) {
          const [a, b] = [events[i - 1]!.data, events[i]!.data];
          if (b.total_items <= a.total_items) expect(b.percent_complete).toBeGreaterThanOrEqual(a.percent_complete);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a failed or cancelled run keeps its real numbers in its terminal event", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.constantFrom<TerminalStatus>("error", "cancelled"), async (steps, end) => {
        const handled = steps.reduce((n, s) => n + (s.kind === "items" ? s.ok + s.failed : 0), 0);
        const { events } = await play(steps, end);
        const last = events.at(-1)!.data;
        expect(last.processed_items + last.failed_items).toBe(handled);
        expect(last.total_items).toBeGreaterThanOrEqual(handled);
      }),
      { numRuns: 100 },
    );
  });

  it("a terminal event carries no eta_s, retry_at or counting", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), terminal, async (steps, end) => {
        const { final } = await play(steps, end);
        expect(final.eta_s).toBeUndefined();
        expect(final.retry_at).toBeUndefined();
        expect(final.counting).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it("an initial state that breaks the contract (an old row) is clamped before any event", async () => {
    const { events } = await play([], "cancelled", { total_items: 260, processed_items: 300, failed_items: 5, percent_complete: 0 });
    expect(events[0]!.data).toMatchObject({ total_items: 305, processed_items: 300, failed_items: 5, percent_complete: 99 });
  });
});

describe("eta_s", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  function run(quota?: (remaining: number, measured: number) => number | undefined) {
    const events: ProgressData[] = [];
    const tracker = new ProgressTracker(initial, 1, async (_s, _n, d) => void events.push(d), { eta: new EtaEstimator(quota) });
    tracker.update({ status: "syncing", stage: "Syncing…" });
    return { tracker, events };
  }

  it("is absent until enough is measured, then close to what is left at the measured rate", async () => {
    const { tracker } = run();
    tracker.update({ total_items: 1000 });
    // 10 items a second.
    for (let t = 0; t < 2; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (let i = 0; i < 10; i++) tracker.itemDone("x");
    }
    expect(tracker.snapshot.eta_s).toBeUndefined(); // 2 s measured: not yet honest
    for (let t = 0; t < 28; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (let i = 0; i < 10; i++) tracker.itemDone("x");
    }
    // 300 done, 700 left at 10/s: 70 s.
    expect(tracker.snapshot.eta_s).toBeGreaterThanOrEqual(63);
    expect(tracker.snapshot.eta_s).toBeLessThanOrEqual(77);
    tracker.dispose();
  });

  it("counts a page of items landing at once over the time it took (no wild estimate right after a page)", async () => {
    const { tracker } = run();
    tracker.update({ total_items: 400 });
    const etas: number[] = [];
    // Pages of 100 every 5 s: 20 items a second on average.
    for (let page = 0; page < 3; page++) {
      await vi.advanceTimersByTimeAsync(5000);
      for (let i = 0; i < 100; i++) {
        tracker.itemDone("x");
        if (tracker.snapshot.eta_s !== undefined) etas.push(tracker.snapshot.eta_s);
      }
    }
    expect(etas.length).toBeGreaterThan(0);
    // At most 300 left at 20/s: 15 s; never the 1,975 s one item per 5 s would give.
    for (const eta of etas) expect(eta).toBeLessThanOrEqual(20);
    tracker.dispose();
  });

  it("is absent while the provider has not said how many items there are", async () => {
    const { tracker } = run();
    tracker.update({ counting: true });
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (let i = 0; i < 10; i++) tracker.itemDone("x");
    }
    expect(tracker.snapshot.eta_s).toBeUndefined();
    tracker.dispose();
  });

  it("follows the quota when the quota is what holds the run back", async () => {
    // The quota allows 1 item a second from here on, whatever the burst so far measured.
    const { tracker } = run((remaining) => remaining);
    tracker.update({ total_items: 1000 });
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (let i = 0; i < 50; i++) tracker.itemDone("x");
    }
    expect(tracker.snapshot.eta_s).toBe(500);
    tracker.dispose();
  });

  it("includes a rate-limit wait", async () => {
    const { tracker } = run();
    tracker.update({ total_items: 200 });
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (let i = 0; i < 10; i++) tracker.itemDone("x");
    }
    const before = tracker.snapshot.eta_s!;
    expect(before).toBeGreaterThanOrEqual(9);
    expect(before).toBeLessThanOrEqual(11);
    tracker.update({ status: "rate_limited", stage: "Rate limited", retry_at: new Date(Date.now() + 30_000).toISOString() });
    expect(tracker.snapshot.eta_s).toBeGreaterThanOrEqual(before + 29);
    expect(tracker.snapshot.eta_s).toBeLessThanOrEqual(before + 31);
    tracker.dispose();
  });
});
