// Request limits: the in-process window, and the one shared through Redis (a real Redis)
// that many web instances count against together.
import { afterAll, describe, expect, it } from "vitest";
import { redisAnswers, useTestRedis } from "@/lib/redis/test-redis";

const reachable = await redisAnswers();
if (reachable) useTestRedis();
const { consume, hit, signInAttempt, signInDelayS } = await import("@/lib/api/rate-limit");
const { redis } = await import("@/lib/redis/connection");

describe("in-process limit", () => {
  it("allows `limit` calls per window, then says how long to wait", () => {
    const t = 1_000_000;
    expect(hit("k1", 2, 60_000, t).allowed).toBe(true);
    expect(hit("k1", 2, 60_000, t + 10).allowed).toBe(true);
    const refused = hit("k1", 2, 60_000, t + 20);
    expect(refused).toEqual({ allowed: false, retryAfterS: 60 });
    // The window slides: the first call falls out of it.
    expect(hit("k1", 2, 60_000, t + 60_001).allowed).toBe(true);
  });
});

describe.skipIf(!reachable)("limit shared through Redis", () => {
  afterAll(async () => {
    await redis().quit();
  });

  it("counts calls from everywhere against one limit", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => consume("shared-key", 5, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.retryAfterS).toBeGreaterThanOrEqual(59);
    expect(refused.retryAfterS).toBeLessThanOrEqual(60);
  });

  it("frees calls as the window slides", async () => {
    expect((await consume("short-key", 1, 300)).allowed).toBe(true);
    expect((await consume("short-key", 1, 300)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 350));
    expect((await consume("short-key", 1, 300)).allowed).toBe(true);
  });
});

describe("sign-in throttle (per account and address)", () => {
  it("lets the first attempts through, then doubles the wait, capped at 15 min", () => {
    expect([0, 1, 2].map((f) => signInDelayS(f, 3))).toEqual([0, 0, 0]);
    expect([3, 4, 5, 6, 10].map((f) => signInDelayS(f, 3))).toEqual([1, 2, 4, 8, 128]);
    expect(signInDelayS(40, 3)).toBe(900);
    expect(signInDelayS(1000, 3)).toBe(900);
  });

  it("refuses a try before the pair's delay is over, and a burst cannot slip past it", () => {
    let state: Parameters<typeof signInAttempt>[0];
    const at = (now: number) => {
      const r = signInAttempt(state, now, 3);
      state = r.next;
      return r;
    };
    // Three free attempts at once, then the fourth in the same instant must wait 1 s.
    expect([at(0), at(0)].map((r) => r.allowed)).toEqual([true, true]);
    expect(at(0).allowed).toBe(true);
    const fourth = at(0);
    expect(fourth).toMatchObject({ allowed: false, retryAfterS: 1 });
    expect(at(1000).allowed).toBe(true); // 4th failure recorded: next wait 2 s
    expect(at(2000)).toMatchObject({ allowed: false, retryAfterS: 1 });
    expect(at(3000).allowed).toBe(true);
    expect(state!.failures).toBe(5);
  });
});
