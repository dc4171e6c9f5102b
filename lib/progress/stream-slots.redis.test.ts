// The per-user cap on open progress streams shared through Redis (REDIS_URL): slots held by
// another instance count, a crashed instance's expired leases do not, and a closed stream's
// slot leaves Redis. Against a real Redis (REDIS_URL_TEST); skipped, saying so, without one.
import { afterAll, describe, expect, it } from "vitest";
import { redisAnswers, useTestRedis } from "@/lib/redis/test-redis";

const reachable = await redisAnswers();
if (reachable) useTestRedis();
process.env.STREAMS_PER_USER = "3";
const { acquireStreamSlot } = await import("@/lib/progress/stream-slots");
const { redis, redisKey } = await import("@/lib/redis/connection");

describe.skipIf(!reachable)("stream slots shared through Redis", () => {
  afterAll(() => {
    redis().disconnect();
  });

  const key = (userId: string) => redisKey(`streams:user:${userId}`);

  it("counts another instance's open streams and frees its own in Redis", async () => {
    // Another web instance holds two streams of this user (leases valid for a minute).
    await redis().zadd(key("u1"), Date.now() + 60_000, "other:1", Date.now() + 60_000, "other:2");
    const mine = await acquireStreamSlot("u1");
    expect(await redis().zcard(key("u1"))).toBe(3);
    await expect(acquireStreamSlot("u1")).rejects.toMatchObject({ status: 429 });
    mine.release();
    await new Promise((r) => setTimeout(r, 100));
    expect(await redis().zrange(key("u1"), 0, -1)).toEqual(["other:1", "other:2"]);
  });

  it("does not count the expired leases a crashed instance left behind", async () => {
    await redis().zadd(key("u2"), Date.now() - 1, "crashed:1", Date.now() - 1, "crashed:2", Date.now() - 1, "crashed:3");
    const held = [await acquireStreamSlot("u2"), await acquireStreamSlot("u2"), await acquireStreamSlot("u2")];
    await expect(acquireStreamSlot("u2")).rejects.toMatchObject({ status: 429 });
    expect(await redis().zcard(key("u2"))).toBe(3);
    for (const s of held) s.release();
  });
});

describe.skipIf(reachable)("stream slots shared through Redis (skipped)", () => {
  it("needs a Redis at REDIS_URL_TEST (default redis://127.0.0.1:6379)", () => {});
});
