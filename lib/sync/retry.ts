// Pure retry policy: exponential backoff with full jitter, and how long a provider asks us to wait.

export function backoffMs(attempt: number, opts: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 10_000;
  const random = opts.random ?? Math.random;
  return Math.round(random() * Math.min(cap, base * 2 ** attempt));
}

/** Seconds or an HTTP date, per RFC 9110 §10.2.3. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;

/**
 * If this answer means "rate limited", how long to wait before trying again (ms);
 * undefined when it is not a rate-limit answer. Knows the headers of the four providers:
 * Retry-After (all), GitHub's x-ratelimit-remaining/x-ratelimit-reset (epoch seconds).
 */
export function rateLimitWaitMs(status: number, headers: Headers, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), nowMs);
  const remaining = headers.get("x-ratelimit-remaining");
  const reset = headers.get("x-ratelimit-reset");
  const exhausted = remaining !== null && Number(remaining) === 0;
  if (status !== 429 && !(status === 403 && (exhausted || retryAfter !== undefined))) return undefined;
  if (retryAfter !== undefined) return Math.max(1000, retryAfter);
  if (reset !== null && /^\d+$/.test(reset)) return Math.max(1000, Number(reset) * 1000 - nowMs + 500);
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}

/**
 * GitHub's secondary rate limit answered without `retry-after` and with requests left: "wait for
 * at least one minute before retrying" (GitHub REST docs, "Rate limits for the REST API",
 * "Handle rate limit errors appropriately"). Read from the body, the only place that says so.
 */
export const GITHUB_SECONDARY_WAIT_MS = 60_000;
export function githubSecondaryWaitMs(status: number, text: string | undefined): number | undefined {
  return (status === 403 || status === 429) && text !== undefined && /exceeded a secondary rate limit/i.test(text) ? GITHUB_SECONDARY_WAIT_MS : undefined;
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 && status !== 501;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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
