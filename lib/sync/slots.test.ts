// Concurrency slots: all-or-nothing per run, limits per key, leases that expire, and the
// same answers from the in-process and the Redis implementation (against a real Redis).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAnswers, useTestRedis } from "@/lib/redis/test-redis";

const reachable = await redisAnswers();
if (reachable) useTestRedis();
const { MemorySlots, RedisSlots } = await import("@/lib/sync/slots");
const { redis } = await import("@/lib/redis/connection");

type Slots = InstanceType<typeof MemorySlots> | InstanceType<typeof RedisSlots>;
const user = (limit: number) => ({ key: "user:u1", limit });
const account = (limit: number) => ({ key: "account:a1", limit });

function contract(name: string, make: () => Slots) {
  describe(name, () => {
    it("grants up to the limit per key, then refuses, and frees on release", async () => {
      const slots = make();
      expect(await slots.acquire("r1", [user(2), account(5)])).toBe(true);
      expect(await slots.acquire("r2", [user(2), account(5)])).toBe(true);
      expect(await slots.acquire("r3", [user(2), account(5)])).toBe(false);
      // Holding a slot already: asking again is a renewal, not a second slot.
      expect(await slots.acquire("r1", [user(2), account(5)])).toBe(true);
      await slots.release("r1", [user(2), account(5)]);
      expect(await slots.acquire("r3", [user(2), account(5)])).toBe(true);
      await slots.release("r2", [user(2), account(5)]);
      await slots.release("r3", [user(2), account(5)]);
    });

    it("takes all of a run's keys or none of them", async () => {
      const slots = make();
      expect(await slots.acquire("x1", [{ key: "user:u2", limit: 5 }, { key: "account:a2", limit: 1 }])).toBe(true);
      // The account is full: the user's slot must not be taken either.
      expect(await slots.acquire("x2", [{ key: "user:u2", limit: 2 }, { key: "account:a2", limit: 1 }])).toBe(false);
      expect(await slots.acquire("x3", [{ key: "user:u2", limit: 2 }, { key: "account:a3", limit: 1 }])).toBe(true);
      await slots.release("x1", [{ key: "user:u2", limit: 5 }, { key: "account:a2", limit: 1 }]);
      await slots.release("x3", [{ key: "user:u2", limit: 2 }, { key: "account:a3", limit: 1 }]);
    });
  });
}

contract("in-process slots", () => new MemorySlots());

describe.skipIf(!reachable)("Redis slots", () => {
  beforeAll(async () => {
    await redis().ping();
  });
  afterAll(async () => {
    await redis().quit();
  });
  contract("shared across processes", () => new RedisSlots(30_000));

  it("lets a dead holder's lease expire, so its slots come back", async () => {
    const short = new RedisSlots(300);
    expect(await short.acquire("dead", [{ key: "user:u9", limit: 1 }])).toBe(true);
    expect(await short.acquire("next", [{ key: "user:u9", limit: 1 }])).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await short.acquire("next", [{ key: "user:u9", limit: 1 }])).toBe(true);
  });

  it("two holders (as on two workers) share one table in Redis", async () => {
    const one = new RedisSlots(30_000);
    const two = new RedisSlots(30_000);
    expect(await one.acquire("p1", [{ key: "account:shared", limit: 1 }])).toBe(true);
    expect(await two.acquire("p2", [{ key: "account:shared", limit: 1 }])).toBe(false);
    await one.release("p1", [{ key: "account:shared", limit: 1 }]);
    expect(await two.acquire("p2", [{ key: "account:shared", limit: 1 }])).toBe(true);
  });
});
