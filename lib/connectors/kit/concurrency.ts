// Bounded concurrency for the connectors: one module, three shapes of the same idea (at most
// `limit` provider requests of one kind in flight), because the call sites need different
// ordering and abort behaviour:
// - mapLimit: every result, in input order; after the first failure no new item starts and the
//   call rejects with that failure (Slack thread replies, the GitHub survey).
// - orderedPool: results streamed in input order; at most `limit` items started ahead of the
//   one being consumed, so memory stays bounded by the window (Box file downloads).
// - Limiter: a FIFO semaphore for work handed out over time; a waiter leaves the queue when its
//   signal aborts (Gmail message fetches).

/** fn over items, at most `limit` at once, started in order; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const k = next++;
      try {
        out[k] = await fn(items[k]!, k);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Runs fn over items with at most `limit` in flight, yielding results in input order. */
export async function* orderedPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Array<Promise<R> | undefined> = [];
  let started = 0;
  for (let k = 0; k < items.length; k++) {
    while (started < items.length && started < k + limit) {
      const p = fn(items[started]!);
      p.catch(() => undefined); // awaited below; this only keeps an early rejection from being "unhandled"
      pending.push(p);
      started++;
    }
    const result = await pending[k]!;
    pending[k] = undefined;
    yield result;
  }
}

/** At most `limit` tasks at once, started in the order they were asked for. */
export class Limiter {
  private active = 0;
  private waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(signal.reason);
        };
        this.waiting.push(go);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    signal.throwIfAborted();
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
