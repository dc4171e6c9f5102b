// The quota limiters behind the sandboxes, one per shape a provider publishes: a fixed window
// (GitHub's hourly core limit, the `rate_limit` fault windows), a token bucket (Gmail's units), a
// sliding log (Slack's tiers) and a sliding window of slots (Box's per-minute limit). Buckets live
// in the provider's state (./fault-layer.ts), bounded.
import { touchBucket, type ProviderState } from "@/lib/sandbox/fault-layer";

/** Granted, or refused with the ms until the request would be granted. */
export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

// ---------------------------------------------------------------- fixed window

export interface FixedWindowQuota {
  limit: number;
  windowMs: number;
}
export interface FixedWindow {
  start: number;
  used: number;
  /** Refusals so far in this bucket (Gmail alternates its answers by it). */
  refusals: number;
}

/** The live window of `key` (a fresh one when the last is over). */
export function fixedWindowFor(state: ProviderState, key: string, quota: FixedWindowQuota, now: number): FixedWindow {
  const window = touchBucket<FixedWindow>(state, key, () => ({ start: now, used: 0, refusals: 0 }));
  if (now >= window.start + quota.windowMs) {
    window.start = now;
    window.used = 0;
  }
  return window;
}

/** Takes `cost` from the window, or says when it is over. */
export function takeFixedWindow(window: FixedWindow, quota: FixedWindowQuota, cost: number, now: number): Admission {
  if (window.used + cost <= quota.limit) {
    window.used += cost;
    return { ok: true };
  }
  window.refusals++;
  return { ok: false, retryAfterMs: window.start + quota.windowMs - now };
}

// ---------------------------------------------------------------- token bucket

export interface TokenBucketQuota {
  capacity: number;
  refillPerSecond: number;
}

/** Takes `cost` tokens from the bucket of `key`, refilled up to `now`. */
export function takeTokenBucket(state: ProviderState, key: string, quota: TokenBucketQuota, cost: number, now: number): Admission {
  const bucket = touchBucket(state, key, () => ({ tokens: quota.capacity, at: now }));
  const { capacity, refillPerSecond } = quota;
  bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * refillPerSecond);
  bucket.at = Math.max(bucket.at, now);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return { ok: true };
  }
  return { ok: false, retryAfterMs: Math.ceil(((cost - bucket.tokens) / refillPerSecond) * 1000) };
}

// ---------------------------------------------------------------- sliding log

export interface SlidingLogQuota {
  limit: number;
  windowMs: number;
}

/** Records a call in the sliding window of `key` (call times, oldest first). */
export function takeSlidingLog(state: ProviderState, key: string, quota: SlidingLogQuota, now: number): Admission {
  const log = touchBucket<number[]>(state, key, () => []);
  while (log.length > 0 && log[0]! <= now - quota.windowMs) log.shift();
  if (log.length >= quota.limit) return { ok: false, retryAfterMs: log[0]! + quota.windowMs - now };
  log.push(now);
  return { ok: true };
}

// ---------------------------------------------------------------- sliding window of slots

export interface SlottedQuota {
  limit: number;
  windowMs: number;
  /** The window moves one slot (windowMs / slots) at a time. */
  slots: number;
}
interface Slots {
  counts: number[];
  /** Absolute slot number of the newest slot in `counts`. */
  head: number;
  total: number;
}

function slotsFor(state: ProviderState, key: string, quota: SlottedQuota, now: number): Slots {
  const slot = Math.floor(now / (quota.windowMs / quota.slots));
  const fresh = (): Slots => ({ counts: new Array<number>(quota.slots).fill(0), head: slot, total: 0 });
  const w = touchBucket(state, key, fresh, (w) => slot - w.head >= quota.slots);
  for (let s = w.head + 1; s <= slot; s++) {
    const k = s % quota.slots;
    w.total -= w.counts[k]!;
    w.counts[k] = 0;
  }
  w.head = Math.max(w.head, slot);
  return w;
}

/** Counts one request in the window of `key`; when it is full, the ms until the oldest slots have left it. */
export function takeSlotted(state: ProviderState, key: string, quota: SlottedQuota, now: number): Admission {
  const w = slotsFor(state, key, quota, now);
  if (w.total < quota.limit) {
    const k = w.head % quota.slots;
    w.counts[k] = (w.counts[k] ?? 0) + 1;
    w.total += 1;
    return { ok: true };
  }
  const slotMs = quota.windowMs / quota.slots;
  let remaining = w.total;
  for (let s = w.head - quota.slots + 1; s <= w.head; s++) {
    remaining -= w.counts[((s % quota.slots) + quota.slots) % quota.slots]!;
    if (remaining < quota.limit) return { ok: false, retryAfterMs: Math.max(1, (s + quota.slots) * slotMs - now) };
  }
  return { ok: false, retryAfterMs: quota.windowMs };
}
