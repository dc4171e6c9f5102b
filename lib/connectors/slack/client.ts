// The one place a WebClient is made for the Slack connector, and the one place Slack's errors
// become ours.
//
// @slack/web-api 8 no longer uses axios: it takes a WHATWG `fetch` option, so every request
// goes through ctx.fetch (the engine's: per-request timeout, retries of network errors and 5xx,
// visible waits on HTTP 429 + Retry-After, quota pacing). WebClient's own machinery is turned
// off so it does not fight ours: no retries (retryConfig.retries = 0), no pausing of its queue
// on a 429 (rejectRateLimitedCalls; the engine's fetch waits a 429 out before WebClient could
// see it), no timeout of its own (the engine's per-request timeout reaches the socket), and
// method names can never be absolute URLs (allowAbsoluteUrls: false).
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type FetchFunction,
  type Logger,
} from "@slack/web-api";
import type { SyncContext } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";

const noop = (): void => {};
const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => LogLevel.ERROR,
  setName: noop,
};

/** Slack's `ok:false` codes that mean the token is no good: reconnecting is the fix. */
const AUTH_ERRORS = new Set([
  "invalid_auth",
  "not_authed",
  "token_expired",
  "token_revoked",
  "account_inactive",
  "missing_scope",
  "no_permission",
  "team_access_not_granted",
  "org_login_required",
  "ekm_access_denied",
  "not_allowed_token_type",
]);

/** An `ok:false` answer the connector may handle (channel_not_found, invalid_cursor…); unhandled it reads well. */
export class SlackApiError extends SyncError {
  constructor(
    readonly code: string,
    readonly method: string,
  ) {
    super("provider", `Slack refused ${method} (${code}).`);
    this.name = "SlackApiError";
  }
}

export function makeSlackClient(ctx: Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal">, maxConcurrency = 4): WebClient {
  const viaEngine: FetchFunction = (url, init) =>
    ctx.fetch(url, {
      ...init,
      // The run's signal reaches the request even when ctx.fetch is a plain fetch (tests).
      signal: init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal,
    });
  return new WebClient(ctx.credentials.accessToken, {
    slackApiUrl: `${ctx.baseUrl.replace(/\/+$/, "")}/`,
    fetch: viaEngine,
    logger: silentLogger,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 0,
    maxRequestConcurrency: maxConcurrency,
    allowAbsoluteUrls: false,
    headers: {},
  });
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Turns whatever a WebClient call threw into the error the run should end with (or handle). */
export function translateSlackError(error: unknown, method: string): unknown {
  // Our fetch's own verdicts (timeout, auth, rate limit, malformed…) arrive wrapped by WebClient.
  for (let e: unknown = error, depth = 0; e && depth < 5; e = field(e, "cause") ?? field(e, "original"), depth += 1) {
    if (e instanceof SyncError) return e;
  }
  const code = field(error, "code");
  if (code === ErrorCode.PlatformError) {
    const slackCode = field(field(error, "data"), "error");
    if (typeof slackCode !== "string" || !/^[a-z0-9_]+$/.test(slackCode)) {
      // WebClient turns an unreadable body into {ok:false, error:<the body text>}.
      return new SyncError("malformed", `Slack sent an answer to ${method} we could not read (broken JSON).`);
    }
    if (AUTH_ERRORS.has(slackCode)) return new SyncError("auth", `Slack refused the token (${slackCode}). Reconnect Slack.`);
    if (slackCode === "ratelimited") return new SyncError("rate_limit", `Slack rate limited ${method}; try again in a minute.`, 429);
    return new SlackApiError(slackCode, method);
  }
  if (code === ErrorCode.RateLimitedError) {
    const seconds = Number(field(error, "retryAfter"));
    return new SyncError("rate_limit", `Slack rate limited ${method}${Number.isFinite(seconds) ? ` for ${seconds} s` : ""}; try again later.`, 429);
  }
  if (code === ErrorCode.HTTPError) {
    const status = Number(field(error, "statusCode"));
    return new SyncError("provider", `Slack answered ${method} with HTTP ${status}; try again later.`, Number.isFinite(status) ? status : undefined);
  }
  if (code === ErrorCode.RequestError) {
    const original = field(error, "original");
    const message = original instanceof Error ? original.message : "network error";
    return new SyncError("network", `Slack could not be reached for ${method} (${message}).`);
  }
  return error;
}

/** Runs one Slack call; an aborted run ends with its own reason, anything else with a readable error. */
export async function slackCall<T>(signal: AbortSignal, method: string, call: () => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  try {
    return await call();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw translateSlackError(error, method);
  }
}
