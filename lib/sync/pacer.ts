// Pacing before the limit, per provider account and shared by every run of it: a token bucket
// sized from the provider's published quota and/or sliding windows per method or path (Slack's
// per-method tiers, Box's 1,000 calls a minute), and a cap on requests in flight.
import type { QuotaSpec } from "@/lib/connectors/types";
import { processSingleton } from "@/lib/platform/singleton";

/** Waits for `cost` units; FIFO, so a big request is not starved by small ones. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }

  /** Units there now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** How long until `cost` units are there (0: now). */
  waitMs(cost: number): number {
    this.refill();
    const need = Math.min(cost, this.capacity) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need / this.refillPerSecond) * 1000);
  }

  take(cost: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        const wait = this.waitMs(cost);
        if (wait === 0) {
          this.tokens -= Math.min(cost, this.capacity);
          return;
        }
        await delay(wait, signal);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

export class Semaphore {
  private active = 0;
  private waiters: (() => void)[] = [];
  constructor(readonly limit: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiters = this.waiters.filter((w) => w !== go);
          reject(signal?.reason);
        };
        this.waiters.push(go);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiters.shift()?.();
    };
  }

  get inFlight(): number {
    return this.active;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * At most `limit` requests in any `windowMs` (a provider's sliding-window quota, e.g. Slack's
 * 50 conversations.history calls a minute). A request counts from the moment it is sent until
 * `windowMs` after its answer arrived: the provider saw it at some time in between, so no
 * window of the provider's can ever see more than `limit` of ours, whatever the latency. A full
 * window opens again exactly when its oldest answer is `windowMs` old, so a long sync runs at
 * the quota itself (the first `limit` at once, then `limit` per window), not below it.
 */
export class SlidingWindow {
  /** When the answers of the requests still in the window arrived (oldest first). */
  private ends: number[] = [];
  private head = 0;
  private active = 0;
  private waiters: { grant: () => void; reject: (reason: unknown) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Requests in flight plus answers still inside the window. */
  get used(): number {
    const cutoff = this.now() - this.windowMs;
    while (this.head < this.ends.length && this.ends[this.head]! <= cutoff) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
    return this.active + this.ends.length - this.head;
  }

  /** Waits (FIFO) until the request may go; returns what to call once its answer is in. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.used < this.limit) return Promise.resolve(this.take());
    return new Promise<() => void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.take());
        },
        reject,
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
        this.pump();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  private take(): () => void {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.ends.push(this.now());
      this.pump();
    };
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.used < this.limit) this.waiters.shift()!.grant();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Full: the next chance is when the oldest answer leaves the window (or, with every unit
    // in flight, when an answer arrives: release() pumps again).
    if (this.waiters.length > 0 && this.head < this.ends.length) {
      const wait = Math.max(1, this.ends[this.head]! + this.windowMs - this.now() + 1);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
    }
  }
}

export interface Pacer {
  /** Waits for a slot and the request's units; returns the slot's release. */
  acquire(url: URL, method: string, signal: AbortSignal): Promise<() => void>;
  /** What the quota allows right now without waiting (for the time-left estimate). */
  headroom?(): Headroom;
}

export interface Headroom {
  /** Units in the token bucket now (absent: no bucket). */
  bucketTokens?: number;
  /** Per sliding window: how many more requests it takes now. */
  windows: Map<string, number>;
}

interface PacerState {
  spec: QuotaSpec;
  bucket: TokenBucket | null;
  slots: Semaphore;
  windows: Map<string, SlidingWindow>;
}

function pacerState(spec: QuotaSpec): PacerState {
  const bucket =
    spec.capacity !== undefined && spec.refillPerSecond !== undefined ? new TokenBucket(spec.capacity, spec.refillPerSecond) : null;
  return { spec, bucket, slots: new Semaphore(spec.maxConcurrency), windows: new Map() };
}

function pacerOf(state: PacerState): Pacer {
  const { spec, bucket, slots, windows } = state;
  return {
    async acquire(url, method, signal) {
      // Per-method (or per-path) windows first: a request waiting for its own method's window
      // holds no in-flight slot, so other methods keep going meanwhile.
      const releases: (() => void)[] = [];
      const releaseAll = () => {
        for (const r of releases.splice(0)) r();
      };
      try {
        for (const w of spec.windows?.(url, method) ?? []) {
          let window = windows.get(w.key);
          if (!window || window.limit !== w.limit || window.windowMs !== w.windowMs) {
            window = new SlidingWindow(w.limit, w.windowMs);
            windows.set(w.key, window);
          }
          releases.push(await window.acquire(signal));
        }
        releases.push(await slots.acquire(signal));
        const cost = bucket && spec.cost ? spec.cost(url, method) : 0;
        if (bucket && cost > 0) await bucket.take(cost, signal);
      } catch (error) {
        releaseAll();
        throw error;
      }
      return releaseAll;
    },
    headroom() {
      const free = new Map<string, number>();
      for (const [key, w] of windows) free.set(key, Math.max(0, w.limit - w.used));
      return { ...(bucket ? { bucketTokens: bucket.available() } : {}), windows: free };
    },
  };
}

/** A pacer of its own (not shared): tests and the benchmark. */
export function createPacer(spec: QuotaSpec): Pacer {
  return pacerOf(pacerState(spec));
}

const MAX_PACERS = 10_000;

/** The pacer of one provider account (e.g. "gmail:<connection id>"), shared across runs. */
export function pacerFor(key: string, spec: QuotaSpec): Pacer {
  const map = processSingleton("pacers", () => new Map<string, PacerState>());
  let entry = map.get(key);
  if (!entry || entry.spec !== spec) {
    entry = pacerState(spec);
    if (map.size >= MAX_PACERS) map.delete(map.keys().next().value!);
    map.set(key, entry);
  }
  return pacerOf(entry);
}
