// The one way connectors reach a provider. Every request carries an AbortSignal that fires
// on the per-request timeout or when the run is stopped, so a timeout really ends the HTTP
// call. Network errors and 5xx are retried with backoff; rate limits are waited out as the
// provider asks, visibly (onWait), up to a maximum.
import { SyncError, formatSeconds } from "@/lib/sync/errors";
import { backoffMs, githubSecondaryWaitMs, isRetryableStatus, rateLimitWaitMs, sleep } from "@/lib/sync/retry";
import { nodeFetch } from "@/lib/sync/node-fetch";
import type { Pacer } from "@/lib/sync/pacer";

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
  /**
   * The provider answered 401 to `token`: return a fresh access token to retry with
   * (once per request), or null when there is none (the run must reconnect).
   */
  onUnauthorized?: (token: string | null) => Promise<string | null>;
  /** Pacing per provider account: waits for a slot and quota before each attempt. */
  pacer?: Pacer;
  /** Called once per request sent to the provider (every attempt counts: the provider sees each). */
  onRequest?: () => void;
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
  const doFetch = opts.fetchImpl ?? nodeFetch;

  return async function providerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let attempt = 0;
    let waits = 0;
    let lastProblem = "";
    let refreshed = false;
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    for (;;) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const releaseSlot = opts.pacer ? await opts.pacer.acquire(url, method, opts.signal) : () => undefined;
      // One controller per attempt, held by strong references only (see node-fetch.ts):
      // the run's signal and the timer each abort it, and it aborts the socket.
      const attemptController = new AbortController();
      const signal = attemptController.signal;
      const timeout = { aborted: false };
      const timer = setTimeout(() => {
        timeout.aborted = true;
        attemptController.abort(new SyncError("timeout", `${opts.provider} did not answer in time`));
      }, opts.requestTimeoutMs);
      const onRunAbort = () => attemptController.abort(opts.signal.reason);
      opts.signal.addEventListener("abort", onRunAbort, { once: true });
      // The caller's own signal (an SDK giving up on a request) ends the attempt too.
      const callerSignal = init?.signal ?? undefined;
      const onCallerAbort = () => attemptController.abort(callerSignal?.reason);
      callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
      if (callerSignal?.aborted) onCallerAbort();
      const release = () => {
        clearTimeout(timer);
        opts.signal.removeEventListener("abort", onRunAbort);
        callerSignal?.removeEventListener("abort", onCallerAbort);
        releaseSlot();
      };
      let res: Response;
      let text: string | undefined;
      try {
        opts.onRequest?.();
        res = await doFetch(url, { ...init, method, headers, signal });
        // Read JSON bodies here, still under the timeout, so a body that never ends is caught too.
        if (isJson(res) && !NULL_BODY_STATUSES.has(res.status)) text = await res.text();
        else if (!NULL_BODY_STATUSES.has(res.status)) {
          // A streamed body stays under the timeout until it is read to the end.
          res = new Response(res.body ? releasing(res.body, release) : null, res);
        }
        if (text !== undefined || NULL_BODY_STATUSES.has(res.status)) release();
      } catch (error) {
        release();
        if (opts.signal.aborted) throw opts.signal.reason;
        if (callerSignal?.aborted) throw callerSignal.reason;
        lastProblem = timeout.aborted
          ? `did not answer within ${formatSeconds(opts.requestTimeoutMs)}`
          : `could not be reached (${(error as Error)?.message ?? "network error"})`;
        attempt += 1;
        if (attempt >= opts.maxAttempts) {
          throw new SyncError(timeout.aborted ? "timeout" : "network", `${opts.provider} ${lastProblem}, ${attempt} attempts.`);
        }
        await sleep(backoffMs(attempt, { random: opts.random }), opts.signal);
        continue;
      }

      // Anything but a successful answer is not handed on: free its body and timer now.
      if (!res.ok && text === undefined) {
        await res.body?.cancel().catch(() => undefined);
        release();
      }

      const wait =
        rateLimitWaitMs(res.status, res.headers, now()) ??
        // Google answers per-user limits with 403 userRateLimitExceeded, often without
        // Retry-After; its guidance is exponential backoff.
        (res.status === 403 && text !== undefined && /"(userRateLimitExceeded|rateLimitExceeded)"/.test(text)
          ? Math.min(64_000, 1000 * 2 ** waits) + backoffMs(0, { baseMs: 1000, random: opts.random })
          : githubSecondaryWaitMs(res.status, text));
      if (wait !== undefined) {
        waits += 1;
        if (wait > opts.maxRateLimitWaitMs || waits > MAX_RATE_LIMIT_WAITS) {
          const minutes = Math.ceil(wait / 60_000);
          throw new SyncError(
            "rate_limit",
            `${opts.provider}'s rate limit resets in about ${minutes} min, longer than a sync waits. Try again after that; the next sync continues where this one stopped.`,
            res.status,
            `HTTP ${res.status}, asked to wait ${Math.ceil(wait / 1000)} s (the most a sync waits: ${Math.round(opts.maxRateLimitWaitMs / 1000)} s)${waits > MAX_RATE_LIMIT_WAITS ? `, ${waits} waits in a row` : ""}`,
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
        const auth = headers.get("authorization");
        const [scheme, used] = auth ? auth.split(/\s+/, 2) : [];
        const fresh = !refreshed && opts.onUnauthorized ? await opts.onUnauthorized(used ?? null) : null;
        if (fresh) {
          refreshed = true;
          headers.set("authorization", `${scheme ?? "Bearer"} ${fresh}`);
          continue;
        }
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

/** The same bytes; `release` runs once the body ends, fails or is cancelled by its reader. */
function releasing(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
