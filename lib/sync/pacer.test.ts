import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Semaphore, SlidingWindow, TokenBucket, createPacer, pacerFor } from "@/lib/sync/pacer";

describe("TokenBucket", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("allows a burst up to capacity, then paces at the refill rate", async () => {
    const bucket = new TokenBucket(10, 5); // 5 units a second
    const done: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 20; i += 1) void bucket.take(1).then(() => done.push(Date.now() - start));
    await vi.advanceTimersByTimeAsync(0);
    expect(done.length).toBe(10); // the burst
    await vi.advanceTimersByTimeAsync(1000);
    expect(done.length).toBe(15); // +5 in a second
    await vi.advanceTimersByTimeAsync(1000);
    expect(done.length).toBe(20);
  });

  it("charges the request's cost (Gmail messages.get = 5 units)", async () => {
    const bucket = new TokenBucket(15, 5);
    let n = 0;
    for (let i = 0; i < 6; i += 1) void bucket.take(5).then(() => (n += 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(4);
    await vi.advanceTimersByTimeAsync(2000);
    expect(n).toBe(6);
  });

  it("gives up waiting when the signal aborts", async () => {
    const bucket = new TokenBucket(1, 0.1);
    await bucket.take(1);
    const ac = new AbortController();
    const p = bucket.take(1, ac.signal);
    ac.abort(new Error("cancelled"));
    await expect(p).rejects.toThrow("cancelled");
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("Semaphore", () => {
  it("holds at most `limit` in flight, in order", async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      sem.acquire().then((release) => {
        order.push(i);
        releases.push(release);
      }),
    );
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(sem.inFlight).toBe(2);
    releases[0]!();
    releases[0]!(); // twice is harmless
    await tasks[2];
    expect(order).toEqual([0, 1, 2]);
    expect(sem.inFlight).toBe(2);
  });
});

describe("pacerFor", () => {
  it("shares one bucket per account key", async () => {
    const spec = { capacity: 2, refillPerSecond: 1000, cost: () => 1, maxConcurrency: 1 };
    const a = pacerFor("test:account-1", spec);
    const b = pacerFor("test:account-1", spec);
    const release = await a.acquire(new URL("http://x/"), "GET", new AbortController().signal);
    let second = false;
    const p = b.acquire(new URL("http://x/"), "GET", new AbortController().signal).then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false); // the one slot of this account is taken
    release();
    (await p)();
    expect(second).toBe(true);
  });
});

describe("SlidingWindow", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets `limit` go at once, then one more a window after each answer arrived", async () => {
    const w = new SlidingWindow(3, 60_000);
    const granted: number[] = [];
    const start = Date.now();
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i += 1)
      void w.acquire().then((release) => {
        granted.push(Date.now() - start);
        releases.push(release);
      });
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 0, 0]);
    // Answers arrive 80 ms and 1 s later: the window counts each until a minute after its answer.
    await vi.advanceTimersByTimeAsync(80);
    releases[0]!();
    await vi.advanceTimersByTimeAsync(920);
    releases[1]!();
    releases[2]!();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(granted.length).toBe(3); // 60,000 ms after the first answer: not yet
    await vi.advanceTimersByTimeAsync(100);
    expect(granted.length).toBe(4);
    expect(granted[3]).toBeGreaterThan(60_080);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted.length).toBe(5);
    expect(w.used).toBe(2); // the two granted last, in flight; the older answers have left the window
  });

  it("holds a full window while every unit is in flight, until an answer arrives", async () => {
    const w = new SlidingWindow(1, 1000);
    const first = await w.acquire();
    let second = false;
    void w.acquire().then(() => (second = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(second).toBe(false);
    first();
    await vi.advanceTimersByTimeAsync(999);
    expect(second).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(second).toBe(true);
  });

  it("gives up waiting when the signal aborts, and the next in line moves up", async () => {
    const w = new SlidingWindow(1, 1000);
    const first = await w.acquire();
    const ac = new AbortController();
    const p = w.acquire(ac.signal);
    let third = false;
    void w.acquire().then(() => (third = true));
    ac.abort(new Error("cancelled"));
    await expect(p).rejects.toThrow("cancelled");
    first();
    await vi.advanceTimersByTimeAsync(1001);
    expect(third).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("createPacer with per-method windows", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("paces each method against its own window: a full one does not hold up another", async () => {
    const pacer = createPacer({
      windows: (url) => [{ key: url.pathname, limit: 2, windowMs: 60_000 }],
      maxConcurrency: 10,
    });
    const signal = new AbortController().signal;
    const got: string[] = [];
    const go = (path: string) =>
      pacer.acquire(new URL(`http://x${path}`), "POST", signal).then((release) => {
        got.push(path);
        release();
      });
    void go("/history");
    void go("/history");
    void go("/history"); // waits a minute
    void go("/replies");
    void go("/replies");
    await vi.advanceTimersByTimeAsync(0);
    expect(got.sort()).toEqual(["/history", "/history", "/replies", "/replies"]);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(got.filter((p) => p === "/history").length).toBe(3);
  });
});
