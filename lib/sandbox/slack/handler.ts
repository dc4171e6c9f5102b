// A local stand-in for the slice of Slack's Web API that 2nd Brain uses, close enough that
// @slack/web-api's WebClient pointed at it with `slackApiUrl: <origin>/sandbox/slack/api/`
// cannot tell the difference: the same methods under /api/<method>, arguments as
// application/x-www-form-urlencoded POST bodies (what WebClient sends), JSON bodies or GET query
// strings, the token in `Authorization: Bearer` (or a `token` argument), cursor pagination with
// response_metadata.next_cursor, HTTP 200 + {ok:false,error} for every API error and HTTP 429 +
// Retry-After for rate limits. Web-standard Request/Response only, so it mounts both in a
// Next.js route handler and in the node:http adapter of ../http.ts.
//
// Rate limits: Slack publishes per-method tiers, counted per app per workspace; here per
// account key (one connection) and method, as a sliding 60-second window:
//   Tier 2 (20/min): conversations.list, users.list
//   Tier 3 (50/min): conversations.history, conversations.replies
//   Tier 4 (100/min): auth.test
// A small sync fits well inside them; a big one is paced by them (state per process, bounded).
import { sandboxChangeView } from "@/lib/contract";
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import { malformedBody, passFaults, providerState, retryAfterSeconds, type SandboxHandler } from "@/lib/sandbox/fault-layer";
import { takeSlidingLog } from "@/lib/sandbox/quota";
import { ApiError, bearerToken, readArgs } from "./args";
import { METHODS, type MethodResult } from "./methods";
import { ACCEPTED_SCOPES, FAULT_TIER, METHOD_TIERS, SCOPES, TIERS } from "./tiers";

export type { SandboxHandler } from "@/lib/sandbox/fault-layer";
export { FAULT_CURSOR_TTL_MS } from "./methods";
export { FAULT_TIER, TIERS } from "./tiers";

export interface SlackSandboxOptions {
  auth: SandboxAuth;
  /** Clock for rate-limit windows and cursor ages (ms since epoch). */
  now?: () => number;
}

function requestId(seq: number): string {
  return `${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0")}${seq.toString(16).padStart(8, "0")}`;
}

export function createSlackSandbox(opts: SlackSandboxOptions): SandboxHandler {
  const clock = opts.now ?? Date.now;
  const state = providerState("slack");

  return async function slackSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId(++state.requestSeq);
    const base: Record<string, string> = {
      "x-slack-req-id": id,
      "x-slack-backend": "r",
      "x-oauth-scopes": SCOPES,
      "access-control-allow-origin": "*",
    };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json; charset=utf-8", ...base, ...headers },
      });
    const gone = () => json(499, { ok: false, error: "request_cancelled" });

    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(subpath);
    const method = m?.[1];
    const handler = method !== undefined && Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!method || !handler) {
      return json(404, { ok: false, error: "unknown_method", req_method: method ?? subpath.replace(/^\/+/, "") });
    }
    if (req.method !== "GET" && req.method !== "POST") return json(405, { ok: false, error: "method_not_allowed" });

    const url = new URL(req.url);
    const args = await readArgs(req, url);
    const token = bearerToken(req, args);
    let check: Awaited<ReturnType<SandboxAuth["checkAccessToken"]>> | null = null;
    try {
      check = token ? await opts.auth.checkAccessToken(token) : null;
    } catch {
      return json(500, { ok: false, error: "internal_error" });
    }
    const account = check?.status === "ok" ? check.account : undefined;
    const scenario = account?.scenario;

    const accepted = { "x-accepted-oauth-scopes": ACCEPTED_SCOPES[method] ?? "" };
    const stopped = await passFaults(scenario, req.signal, {
      timeout: () => new Response("<html><body><h1>504 Gateway Time-out</h1></body></html>", { status: 504, headers: { "content-type": "text/html", ...base } }),
      gone,
      expiredToken: () => json(200, { ok: false, error: "token_expired" }, accepted),
      // Slack's edge answers an HTML page for some outages and JSON for others.
      serverError: () =>
        state.requestSeq % 2 === 0
          ? new Response("<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>Slack is having trouble</h1></body></html>", {
              status: 503,
              headers: { "content-type": "text/html; charset=utf-8", ...base },
            })
          : json(500, { ok: false, error: "internal_error" }, accepted),
    });
    if (stopped) return stopped;
    if (!token) return json(200, { ok: false, error: "not_authed" }, accepted);
    if (check?.status === "expired") return json(200, { ok: false, error: "token_expired" }, accepted);
    if (!account || !scenario) return json(200, { ok: false, error: "invalid_auth" }, accepted);

    const now = clock();
    const tier = scenario.fault === "rate_limit" ? FAULT_TIER : (METHOD_TIERS[method] ?? TIERS.tier2);
    const rateKey = scenario.fault === "rate_limit" ? `${account.key}:fault` : `${account.key}:${method}`;
    const taken = takeSlidingLog(state, rateKey, tier, now);
    if (!taken.ok) {
      return json(429, { ok: false, error: "ratelimited" }, { ...accepted, "retry-after": String(retryAfterSeconds(taken.retryAfterMs)) });
    }

    let result: MethodResult;
    try {
      // The account's changes (POST .../sandbox/changes) apply to every method's answer.
      const log = account.changes ?? [];
      const changes = log.length > 0 ? sandboxChangeView(scenario, log) : undefined;
      result = handler({ args, scenario, now, changes, changeSeq: log.at(-1)?.seq ?? 0 });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return json(200, { ok: false, error: err.error, ...err.extra }, accepted);
    }

    return new Response(malformedBody(JSON.stringify(result.body), scenario, result.list), {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", ...base, ...accepted },
    });
  };
}
