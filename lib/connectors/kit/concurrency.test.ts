import { describe, expect, it } from "vitest";
import { Limiter, mapLimit, orderedPool } from "./concurrency";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("mapLimit", () => {
  it("keeps input order and never exceeds the limit", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, k) => {
      active++;
      peak = Math.max(peak, active);
      for (let i = 0; i < n; i++) await tick();
      active--;
      return `${k}:${n}`;
    });
    expect(out).toEqual(["0:5", "1:1", "2:4", "3:2", "4:3"]);
    expect(peak).toBe(2);
  });

  it("starts nothing new after a failure and rejects with it", async () => {
    const started: number[] = [];
    await expect(
      mapLimit([0, 1, 2, 3, 4], 1, async (n) => {
        started.push(n);
        if (n === 1) throw new Error("boom");
        return n;
      }),
    ).rejects.toThrow("boom");
    expect(started).toEqual([0, 1]);
  });
});

describe("orderedPool", () => {
  it("yields in input order with at most `limit` started ahead of the consumer", async () => {
    let started = 0;
    const seen: Array<[number, number]> = [];
    for await (const n of orderedPool([3, 1, 2, 1], 2, async (n) => {
      started++;
      for (let i = 0; i < n; i++) await tick();
      return n;
    })) {
      seen.push([n, started]);
    }
    expect(seen.map(([n]) => n)).toEqual([3, 1, 2, 1]);
    // When the k-th result is consumed, at most k + limit items have started.
    seen.forEach(([, s], k) => expect(s).toBeLessThanOrEqual(k + 2));
  });
});

describe("Limiter", () => {
  it("runs at most `limit` at once, in FIFO order", async () => {
    const limiter = new Limiter(1);
    const signal = new AbortController().signal;
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => limiter.run(async () => {
      order.push(n);
      await tick();
    }, signal)));
    expect(order).toEqual([1, 2, 3]);
  });

  it("a waiter whose signal aborts leaves the queue with the abort reason", async () => {
    const limiter = new Limiter(1);
    const free = new AbortController();
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)), free.signal);
    const ac = new AbortController();
    const waiting = limiter.run(async () => "never", ac.signal);
    ac.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    release();
    await first;
    await expect(limiter.run(async () => "ok", free.signal)).resolves.toBe("ok");
  });
});
