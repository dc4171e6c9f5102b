// Pacing before the limit: a token bucket sized from the provider's published quota and a
// cap on requests in flight, one pair per provider account, shared by every run of it.
import type { QuotaSpec } from "@/lib/connectors/types";

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

export interface Pacer {
  /** Waits for a slot and the request's units; returns the slot's release. */
  acquire(url: URL, method: string, signal: AbortSignal): Promise<() => void>;
}

const globalKey = Symbol.for("2nd-brain.pacers");
type Holder = { [globalKey]?: Map<string, { bucket: TokenBucket; slots: Semaphore; spec: QuotaSpec }> };
const MAX_PACERS = 10_000;

/** The pacer of one provider account (e.g. "gmail:<connection id>"), shared across runs. */
export function pacerFor(key: string, spec: QuotaSpec): Pacer {
  const holder = globalThis as Holder;
  const map = (holder[globalKey] ??= new Map());
  let entry = map.get(key);
  if (!entry || entry.spec !== spec) {
    entry = { bucket: new TokenBucket(spec.capacity, spec.refillPerSecond), slots: new Semaphore(spec.maxConcurrency), spec };
    if (map.size >= MAX_PACERS) map.delete(map.keys().next().value!);
    map.set(key, entry);
  }
  const { bucket, slots } = entry;
  return {
    async acquire(url, method, signal) {
      const release = await slots.acquire(signal);
      try {
        await bucket.take(spec.cost(url, method), signal);
      } catch (error) {
        release();
        throw error;
      }
      return release;
    },
  };
}
