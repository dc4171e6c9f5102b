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

// ---------------------------------------------------------------- sign-in throttle
// Per account and client address, growing delays instead of a lock-out: after
// SIGNIN_FREE_ATTEMPTS wrong passwords from one address, each next try from that address must
// wait 1 s, then 2, 4 … up to 15 min; the right password clears it. The owner signing in from
// their own address is never held up by someone guessing from another one.

const MAX_DELAY_S = 15 * 60;
/** A pair's record is forgotten this long after its last failure. */
const FORGET_MS = 24 * 3600_000;

/** Seconds a pair with `failures` wrong passwords must wait before its next try (pure). */
export function signInDelayS(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(MAX_DELAY_S, 2 ** Math.min(30, failures - free));
}

interface PairState {
  failures: number;
  /** Epoch ms before which the pair may not try again. */
  notBefore: number;
}

/**
 * Decides one attempt (pure): refused while the pair is waiting; otherwise the attempt is
 * counted as a failure in advance (cleared on success), so a burst sent at once cannot slip
 * past the delay.
 */
export function signInAttempt(state: PairState | undefined, now: number, free: number): { allowed: boolean; retryAfterS: number; next: PairState } {
  const current = state ?? { failures: 0, notBefore: 0 };
  if (now < current.notBefore) return { allowed: false, retryAfterS: Math.max(1, Math.ceil((current.notBefore - now) / 1000)), next: current };
  const failures = current.failures + 1;
  return { allowed: true, retryAfterS: 0, next: { failures, notBefore: now + signInDelayS(failures, free) * 1000 } };
}

const ATTEMPT = `
local key, now, free, maxDelay, forget = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local failures = tonumber(redis.call('HGET', key, 'f') or '0')
local notBefore = tonumber(redis.call('HGET', key, 'n') or '0')
if now < notBefore then return {0, notBefore - now} end
failures = failures + 1
local delay = 0
if failures >= free then delay = math.min(maxDelay, 2 ^ math.min(30, failures - free)) end
redis.call('HSET', key, 'f', failures, 'n', now + delay * 1000)
redis.call('PEXPIRE', key, forget)
return {1, 0}
`;

function pairKey(email: string, address: string): string {
  return `signin-pair:${email.trim().toLowerCase()}|${address}`;
}

/** One sign-in attempt of `email` from `address`: allowed, or refused with the seconds to wait. */
export async function signInThrottle(email: string, address: string, free: number): Promise<LimitResult> {
  const key = pairKey(email, address);
  const now = Date.now();
  if (env().REDIS_URL) {
    try {
      const [allowed, waitMs] = (await redis().eval(ATTEMPT, 1, redisKey(key), now, free, MAX_DELAY_S, FORGET_MS)) as [number, number];
      return allowed === 1 ? { allowed: true, retryAfterS: 0 } : { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
    } catch {
      // Redis away: count in this process meanwhile.
    }
  }
  const map = processSingleton("signin-pairs", () => new Map<string, PairState>());
  const stored = map.get(key);
  const r = signInAttempt(stored && now - stored.notBefore < FORGET_MS ? stored : undefined, now, free);
  map.delete(key); // least recently used first
  map.set(key, r.next);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
  return { allowed: r.allowed, retryAfterS: r.retryAfterS };
}

/** The right password: the pair starts afresh. */
export async function clearSignInFailures(email: string, address: string): Promise<void> {
  const key = pairKey(email, address);
  processSingleton("signin-pairs", () => new Map<string, PairState>()).delete(key);
  if (env().REDIS_URL) await redis().del(redisKey(key)).catch(() => undefined);
}
