// The one way connectors reach a provider. Every request carries an AbortSignal that fires
// on the per-request timeout or when the run is stopped, so a timeout really ends the HTTP
// call. Network errors and 5xx are retried with backoff; rate limits are waited out as the
// provider asks, visibly (onWait), up to a maximum.
import { SyncError } from "@/lib/sync/errors";
import { backoffMs, isRetryableStatus, rateLimitWaitMs, sleep } from "@/lib/sync/retry";

export interface ProviderFetchOptions {
  provider: string;
  /** The run's signal (cancel, stall, whole-run timeout) or a narrower one (connect timeout). */
  signal: AbortSignal;
  requestTimeoutMs: number;
  maxAttempts: number;
  maxRateLimitWaitMs: number;
  /** The run waits on a rate limit until `until`. */
  onWait?: (until: Date) => void;
  /** The wait is over; work goes on. */
  onResume?: () => void;
  now?: () => number;
  random?: () => number;
  fetchImpl?: typeof fetch;
}

const MAX_RATE_LIMIT_WAITS = 50;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function isJson(res: Response): boolean {
  const type = res.headers.get("content-type") ?? "";
  return type.includes("json");
}

export function createProviderFetch(opts: ProviderFetchOptions): typeof fetch {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetchImpl ?? globalThis.fetch;

  return async function providerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let attempt = 0;
    let waits = 0;
    let lastProblem = "";
    for (;;) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const timeout = AbortSignal.timeout(opts.requestTimeoutMs);
      const signal = AbortSignal.any([opts.signal, timeout]);
      let res: Response;
      let text: string | undefined;
      try {
        res = await doFetch(input, { ...init, signal });
        // Read JSON bodies here, still under the timeout, so a body that never ends is caught too.
        if (isJson(res) && !NULL_BODY_STATUSES.has(res.status)) text = await res.text();
      } catch (error) {
        if (opts.signal.aborted) throw opts.signal.reason;
        lastProblem = timeout.aborted
          ? `did not answer within ${Math.round(opts.requestTimeoutMs / 1000)} s`
          : `could not be reached (${(error as Error)?.message ?? "network error"})`;
        attempt += 1;
        if (attempt >= opts.maxAttempts) {
          throw new SyncError(timeout.aborted ? "timeout" : "network", `${opts.provider} ${lastProblem}, ${attempt} attempts.`);
        }
        await sleep(backoffMs(attempt, { random: opts.random }), opts.signal);
        continue;
      }

      const wait = rateLimitWaitMs(res.status, res.headers, now());
      if (wait !== undefined) {
        waits += 1;
        if (wait > opts.maxRateLimitWaitMs || waits > MAX_RATE_LIMIT_WAITS) {
          throw new SyncError(
            "rate_limit",
            `${opts.provider}'s rate limit resets in ${Math.ceil(wait / 60_000)} min, longer than a sync waits; try again later.`,
            res.status,
          );
        }
        opts.onWait?.(new Date(now() + wait));
        await sleep(wait, opts.signal);
        opts.onResume?.();
        continue;
      }

      if (isRetryableStatus(res.status)) {
        lastProblem = `answered HTTP ${res.status}`;
        attempt += 1;
        if (attempt >= opts.maxAttempts) {
          throw new SyncError("provider", `${opts.provider} kept failing (HTTP ${res.status}) after ${attempt} attempts; try again later.`, res.status);
        }
        await sleep(backoffMs(attempt, { random: opts.random }), opts.signal);
        continue;
      }

      if (res.status === 401) {
        throw new SyncError("auth", `${opts.provider} rejected the saved credentials (HTTP 401). Reconnect ${opts.provider}.`, 401);
      }

      if (text === undefined) return res;
      if (res.ok) {
        try {
          JSON.parse(text);
        } catch {
          attempt += 1;
          if (attempt >= opts.maxAttempts) {
            throw new SyncError("malformed", `${opts.provider} sent an answer we could not read (broken JSON), ${attempt} attempts.`);
          }
          await sleep(backoffMs(attempt, { random: opts.random }), opts.signal);
          continue;
        }
      }
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
  };
}
