// A local stand-in for the Gmail API (the slice 2nd Brain uses), close enough that
// @googleapis/gmail pointed at it with `rootUrl` cannot tell the difference: same paths and
// query parameters, Google's JSON error bodies, 401 with WWW-Authenticate, per-user quota in
// units (15,000 per minute, refilled at 250 per second) answered with 429 + Retry-After, and an
// OAuth token endpoint for refresh. Web-standard Request/Response only, so it mounts both in a
// Next.js route handler and in the node:http adapter of ../http.ts.
//
// Mounted at /sandbox/gmail: the SDK's rootUrl is `<origin>/sandbox/gmail/` and the subpaths are
// the real ones (`/gmail/v1/users/me/messages`, …). The token endpoint is `POST /token`.
import type { SandboxAuth, SandboxAccount } from "@/lib/sandbox/accounts";
import { bearerToken, malformedBody, passFaults, providerState, type SandboxHandler } from "@/lib/sandbox/fault-layer";
import { fixedWindowFor, takeFixedWindow, takeTokenBucket } from "@/lib/sandbox/quota";
import { DEFAULT_LOGIN } from "./data";
import { HttpError, googleError, htmlNotFound, json, rateLimited, unauthenticated } from "./errors";
import { FAULT_QUOTA, GMAIL_COSTS, GMAIL_USER_QUOTA } from "./quota";
import { matchRoute, type RouteCtx, type RouteResult } from "./routes";
import { tokenEndpoint } from "./token";

export type { SandboxHandler } from "@/lib/sandbox/fault-layer";
export { FAULT_QUOTA, GMAIL_COSTS, GMAIL_USER_QUOTA } from "./quota";
export { NOT_FOUND_BODY, googleError } from "./errors";

export interface GmailSandboxOptions {
  auth: SandboxAuth;
  /** Clock for the quota buckets (ms since epoch). */
  now?: () => number;
}

const FAULT_WINDOW = { limit: FAULT_QUOTA.units, windowMs: FAULT_QUOTA.windowMs };

export function createGmailSandbox(opts: GmailSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;
  const state = providerState("gmail");
  let serverErrors = 0;

  return async function gmailSandbox(req: Request, subpath: string): Promise<Response> {
    const path = subpath.replace(/\/+$/, "") || "/";
    if (path === "/token") return tokenEndpoint(req, opts.auth);
    if (!path.startsWith("/gmail/v1/")) return htmlNotFound(new URL(req.url).pathname);

    const token = bearerToken(req);
    let account: SandboxAccount | null = null;
    if (token) {
      try {
        const check = await opts.auth.checkAccessToken(token);
        account = check.status === "ok" ? check.account : null;
      } catch {
        return json(500, googleError(500, "INTERNAL", "Internal error encountered."));
      }
    }
    const scenario = account?.scenario;

    // expired_token needs nothing here: the auth expires the tokens, and refresh works.
    const stopped = await passFaults(scenario, req.signal, {
      timeout: () => json(504, googleError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")),
      gone: () => new Response(null, { status: 499 }),
      serverError: () =>
        ++serverErrors % 2 === 1
          ? json(500, googleError(500, "INTERNAL", "Internal error encountered."))
          : json(503, googleError(503, "UNAVAILABLE", "The service is currently unavailable.")),
    });
    if (stopped) return stopped;
    if (!account || !scenario) return unauthenticated(token === null);

    const login = account.login ?? DEFAULT_LOGIN;
    const ctx: RouteCtx = { url: new URL(req.url), login, scenario, changes: account.changes };
    const route = matchRoute(req.method.toUpperCase(), path, ctx);
    if (!route) return htmlNotFound(ctx.url.pathname);

    // Quota: every request of a known method costs its units, errors included.
    const t = now();
    const cost = GMAIL_COSTS[route.method];
    if (scenario.fault === "rate_limit") {
      const window = fixedWindowFor(state, `fault:${account.key}`, FAULT_WINDOW, t);
      const taken = takeFixedWindow(window, FAULT_WINDOW, cost, t);
      // Gmail says "slow down" both ways: 429 rateLimitExceeded and 403 userRateLimitExceeded.
      if (!taken.ok) return rateLimited(taken.retryAfterMs, t, window.refusals % 2 === 0);
    } else {
      const taken = takeTokenBucket(state, `user:${account.key}`, GMAIL_USER_QUOTA, cost, t);
      if (!taken.ok) return rateLimited(taken.retryAfterMs, t, false);
    }

    let result: RouteResult;
    try {
      result = route.handle();
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return json(err.status, err.body, err.headers);
    }
    return json(200, null, {}, malformedBody(JSON.stringify(result.body), scenario, result.malformable));
  };
}
