// Concurrency limits per user and per provider account, held while a run executes. In
// Redis (REDIS_URL) every worker shares them; in the embedded mode they live in the one
// process. A slot is a lease: it expires unless renewed, so a worker killed mid-run cannot
// hold its slots for ever.
import { env } from "@/lib/env";
import { redis, redisKey } from "@/lib/redis/connection";

export interface SlotKey {
  key: string;
  limit: number;
}

export interface RunSlots {
  /** Takes (or keeps) a slot under every key for `runId`, or none of them. */
  acquire(runId: string, keys: SlotKey[]): Promise<boolean>;
  release(runId: string, keys: SlotKey[]): Promise<void>;
}

/** The keys a run must hold: its user's and its provider account's. */
export function slotKeysFor(run: { userId: string }, conn: { id: string; type: string; mode: string; accountLabel: string | null }): SlotKey[] {
  const e = env();
  // A sandbox account belongs to one connection; a live one is the provider's account.
  const account = conn.mode === "live" && conn.accountLabel ? `${conn.type}:${conn.accountLabel}` : `connection:${conn.id}`;
  return [
    { key: `user:${run.userId}`, limit: e.SYNC_MAX_RUNS_PER_USER },
    { key: `account:${account}`, limit: e.SYNC_MAX_RUNS_PER_ACCOUNT },
  ];
}

export class MemorySlots implements RunSlots {
  private held = new Map<string, Set<string>>();

  async acquire(runId: string, keys: SlotKey[]): Promise<boolean> {
    for (const { key, limit } of keys) {
      const set = this.held.get(key);
      if (set && !set.has(runId) && set.size >= limit) return false;
    }
    for (const { key } of keys) {
      let set = this.held.get(key);
      if (!set) this.held.set(key, (set = new Set()));
      set.add(runId);
    }
    return true;
  }

  async release(runId: string, keys: SlotKey[]): Promise<void> {
    for (const { key } of keys) {
      const set = this.held.get(key);
      set?.delete(runId);
      if (set?.size === 0) this.held.delete(key);
    }
  }
}

// Members are run ids, scores the lease's expiry. All keys or none, atomically.
const ACQUIRE = `
local now, ttl, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if not redis.call('ZSCORE', key, member) then
    if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then return 0 end
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, member)
  redis.call('PEXPIRE', key, ttl)
end
return 1
`;

export class RedisSlots implements RunSlots {
  constructor(private readonly leaseMs: number) {}

  async acquire(runId: string, keys: SlotKey[]): Promise<boolean> {
    const names = keys.map((k) => redisKey(`slots:${k.key}`));
    const result = await redis().eval(ACQUIRE, names.length, ...names, Date.now(), this.leaseMs, runId, ...keys.map((k) => k.limit));
    return result === 1;
  }

  async release(runId: string, keys: SlotKey[]): Promise<void> {
    const pipeline = redis().pipeline();
    for (const k of keys) pipeline.zrem(redisKey(`slots:${k.key}`), runId);
    await pipeline.exec();
  }
}
