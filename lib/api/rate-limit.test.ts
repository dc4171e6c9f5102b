// Request limits: the in-process window, and the one shared through Redis (a real Redis)
// that many web instances count against together.
import { afterAll, describe, expect, it } from "vitest";
import { redisAnswers, useTestRedis } from "@/lib/redis/test-redis";

const reachable = await redisAnswers();
if (reachable) useTestRedis();
const { consume, hit } = await import("@/lib/api/rate-limit");
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
