// What the provider's quota says about time left: the run's requests are tallied per quota
// (units of the token bucket, requests per sliding window) as they pass the pacer, so the
// requests an item costs are measured, not guessed; the time the quota needs for the remaining
// items follows from the refill rate, minus what the quota still allows at once. Where the quota
// is what holds the run back (a long Gmail or Slack sync), this bound is the estimate; where it
// is not, the measured rate is (lib/progress/eta.ts takes the larger of the two).
import type { QuotaSpec } from "@/lib/connectors/types";
import type { Pacer } from "@/lib/sync/pacer";
import type { QuotaBound } from "@/lib/progress/eta";

export interface QuotaTally {
  /** The same pacer, counting this run's requests. */
  pacer: Pacer;
  bound: QuotaBound;
}

export function tallyQuota(spec: QuotaSpec, pacer: Pacer): QuotaTally {
  let units = 0;
  const perWindow = new Map<string, { requests: number; limit: number; windowMs: number }>();
  const counting: Pacer = {
    async acquire(url, method, signal) {
      const release = await pacer.acquire(url, method, signal);
      // Counted when the answer is in, like the items it bought: requests still in flight
      // would make an item look dearer than it is early in a run.
      let counted = false;
      return () => {
        release();
        if (counted) return;
        counted = true;
        units += spec.cost && spec.capacity !== undefined ? spec.cost(url, method) : 0;
        for (const w of spec.windows?.(url, method) ?? []) {
          const tally = perWindow.get(w.key) ?? { requests: 0, limit: w.limit, windowMs: w.windowMs };
          tally.requests += 1;
          perWindow.set(w.key, tally);
        }
      };
    },
    headroom: pacer.headroom?.bind(pacer),
  };
  const bound: QuotaBound = (remaining, measuredItems) => {
    if (measuredItems <= 0) return undefined;
    const room = pacer.headroom?.();
    let seconds = 0;
    if (units > 0 && spec.refillPerSecond) {
      const need = (remaining * units) / measuredItems - (room?.bucketTokens ?? 0);
      seconds = Math.max(seconds, need / spec.refillPerSecond);
    }
    for (const [key, w] of perWindow) {
      const need = (remaining * w.requests) / measuredItems - (room?.windows.get(key) ?? 0);
      seconds = Math.max(seconds, (need * w.windowMs) / w.limit / 1000);
    }
    return Math.max(0, seconds);
  };
  return { pacer: counting, bound };
}
