// Sliding-window request limits. `hit` counts in this process (the embedded default: one
// web instance); `consume` counts in Redis when REDIS_URL is set, so many web instances
// share one limit, and falls back to this process's count while Redis is unreachable.
import { env } from "@/lib/env";
import { redis, redisKey } from "@/lib/redis/connection";
import { processSingleton } from "@/lib/platform/singleton";

const MAX_KEYS = 50_000;

export interface LimitResult {
  allowed: boolean;
  /** Seconds until the next call would be allowed (when not allowed). */
  retryAfterS: number;
}

/** Counts one call for `key`; allowed while at most `limit` calls fall in the last `windowMs`. */
export function hit(key: string, limit: number, windowMs: number, now = Date.now()): LimitResult {
  const map = processSingleton("rate-limits", () => new Map<string, number[]>());
  const since = now - windowMs;
  const calls = (map.get(key) ?? []).filter((t) => t > since);
  if (calls.length >= limit) {
    map.set(key, calls);
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((calls[0]! + windowMs - now) / 1000)) };
  }
  calls.push(now);
  map.delete(key); // re-insert: the map's order is least recently used first
  map.set(key, calls);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
  return { allowed: true, retryAfterS: 0 };
}

// One sorted set per key: members are calls, scores their times. Atomic in Redis.
const SLIDING_WINDOW = `
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return {1, 0}
`;

let sequence = 0;

/** Counts one call for `key` across every instance (Redis) or in this process. */
export async function consume(key: string, limit: number, windowMs: number): Promise<LimitResult> {
  if (!env().REDIS_URL) return hit(key, limit, windowMs);
  const now = Date.now();
  try {
    const member = `${now}-${process.pid}-${(sequence = (sequence + 1) % 1e9)}-${Math.random().toString(36).slice(2, 8)}`;
    const [allowed, waitMs] = (await redis().eval(SLIDING_WINDOW, 1, redisKey(`limit:${key}`), now, windowMs, limit, member)) as [number, number];
    return allowed === 1 ? { allowed: true, retryAfterS: 0 } : { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
  } catch {
    return hit(key, limit, windowMs);
  }
}
