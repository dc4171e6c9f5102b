import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Semaphore, TokenBucket, pacerFor } from "@/lib/sync/pacer";

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
