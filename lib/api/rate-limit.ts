// Sliding-window request limits kept in this process (one web instance: the embedded
// default). Many instances need a shared store; see README "Deploying".
const globalKey = Symbol.for("2nd-brain.rate-limits");
type Holder = { [globalKey]?: Map<string, number[]> };
const MAX_KEYS = 50_000;

export interface LimitResult {
  allowed: boolean;
  /** Seconds until the next call would be allowed (when not allowed). */
  retryAfterS: number;
}

/** Counts one call for `key`; allowed while at most `limit` calls fall in the last `windowMs`. */
export function hit(key: string, limit: number, windowMs: number, now = Date.now()): LimitResult {
  const holder = globalThis as Holder;
  const map = (holder[globalKey] ??= new Map<string, number[]>());
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
