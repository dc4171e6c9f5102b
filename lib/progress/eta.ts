// Time left for a run, from what it has measured: the item rate, smoothed over the last
// ~20 s (a moving average over that window, so a burst at the start or one slow page does not
// swing the estimate, and a page of items landing at one instant counts over the time it took), bounded below by what the provider's quota still allows, plus
// any rate-limit wait in progress. Absent (undefined) until it can be honest.

/** How far back the smoothed rate mostly looks (the EWMA's time constant). */
export const ETA_WINDOW_MS = 20_000;
/** No estimate before this many items and this much time have been measured. */
export const ETA_MIN_ITEMS = 5;
export const ETA_MIN_MS = 3_000;
/** Samples closer together than this are merged (a page of 100 items lands at one instant). */
const SAMPLE_MS = 500;

export interface EtaInput {
  now: number;
  total: number;
  done: number;
  /** The provider has not said how many items there are: no honest estimate. */
  counting: boolean;
  /** A rate-limit wait ends at this time (ms since the epoch); the estimate includes it. */
  retryAtMs?: number;
}

/**
 * Seconds the provider's quota needs at least for `remaining` more items (0 when it does not
 * bind), given `measuredItems` handled so far by this execution (what its requests bought);
 * from lib/sync/eta-quota.ts. Undefined: nothing known of the quota.
 */
export type QuotaBound = (remaining: number, measuredItems: number) => number | undefined;

export class EtaEstimator {
  private firstAt: number | undefined;
  private firstDone = 0;
  /** (time, items handled) points, oldest first, one per SAMPLE_MS at most, covering the window. */
  private samples: { at: number; done: number }[] = [];

  constructor(private readonly quotaBound?: QuotaBound) {}

  /** Records the count of items handled at `now` (call on every change of it). */
  observe(now: number, done: number): void {
    if (this.firstAt === undefined) {
      // The first sight of the count is the baseline: items carried in from a checkpoint
      // were not handled at this rate.
      this.firstAt = now;
      this.firstDone = done;
    }
    const last = this.samples.at(-1);
    // A page of 100 items lands at one instant: the latest point just takes the new count.
    if (last && now - last.at < SAMPLE_MS) last.done = done;
    else this.samples.push({ at: now, done });
    // Keep one point older than the window, so the rate always spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.at <= now - ETA_WINDOW_MS) this.samples.shift();
  }

  /**
   * Items per ms over the last ETA_WINDOW_MS (from the start while less has been measured): a
   * moving average, so a slow page now and then does not swing it. It ends at the last point at
   * least SAMPLE_MS old: a page of items lands at one instant, one itemDone after another, and an
   * estimate made halfway through that burst would take half a page for the page's whole time.
   */
  private rate(now: number): number | undefined {
    const from = this.samples[0];
    let to: { at: number; done: number } | undefined;
    for (let i = this.samples.length - 1; i > 0; i--) {
      if (this.samples[i]!.at <= now - SAMPLE_MS) {
        to = this.samples[i];
        break;
      }
    }
    if (!from || !to || to.at <= from.at) return undefined;
    const r = (to.done - from.done) / (to.at - from.at);
    return r > 0 ? r : undefined;
  }

  /** Seconds left, rounded; undefined while it cannot be honest. */
  estimate(input: EtaInput): number | undefined {
    const { now, total, done, counting } = input;
    if (counting || total <= 0 || this.firstAt === undefined) return undefined;
    const wait = input.retryAtMs !== undefined ? Math.max(0, input.retryAtMs - now) / 1000 : 0;
    const remaining = Math.max(0, total - done);
    // Every item handled (indexing for search may follow): nothing honest to say but a wait.
    if (remaining === 0) return wait > 0 ? Math.ceil(wait) : undefined;
    const rate = this.rate(now);
    if (done - this.firstDone < ETA_MIN_ITEMS || now - this.firstAt < ETA_MIN_MS || !rate) return undefined;
    const byRate = remaining / rate / 1000;
    const byQuota = this.quotaBound?.(remaining, done - this.firstDone) ?? 0;
    const seconds = Math.max(byRate, byQuota) + wait;
    return Number.isFinite(seconds) ? Math.max(1, Math.round(seconds)) : undefined;
  }
}
