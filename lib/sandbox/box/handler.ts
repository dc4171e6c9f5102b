// A local stand-in for the Box API (the slice 2nd Brain uses), close enough that
// box-typescript-sdk-gen pointed at it with `withCustomBaseUrls` cannot tell the difference:
// the real paths under /2.0, marker and offset pagination of folder items, `fields`
// selection, the event stream, downloads answered with a 302 to a short-lived download URL,
// the OAuth token endpoint with rotating refresh tokens, Box's error bodies, 401s with
// WWW-Authenticate, and 429 + Retry-After at Box's published 1,000 requests per minute per user.
// Web-standard Request/Response only, so it mounts both in a Next.js route handler and in the
// node:http adapter of ../http.ts.
//
// The account's change log (POST .../sandbox/changes) is applied to every answer (./state.ts).
// Faults (scenario.fault): hang, slow, rate_limit, server_error, malformed, expired_cursor and
// item_errors (downloads refused with 403, or 202 "not ready" for ever) are served here; expired_token needs nothing special (the app expires the access
// tokens, and this handler answers 401 for them like for any invalid token).
import { processSingleton } from "@/lib/platform/singleton";
import { randomBytes } from "node:crypto";
import type { SandboxAccount, SandboxAuth } from "@/lib/sandbox/accounts";
import { malformedBody, passFaults, providerState, retryAfterSeconds, type SandboxHandler } from "@/lib/sandbox/fault-layer";
import { takeSlotted, type SlottedQuota } from "@/lib/sandbox/quota";
import { sandboxUser } from "./data";
import { serveDownload } from "./download";
import { BoxError, boxErrorBody } from "./errors";
import { route, type RouteCtx, type RouteResult } from "./routes";
import { boxDataset } from "./state";
import { tokenEndpoint } from "./token";

export type { SandboxHandler } from "@/lib/sandbox/fault-layer";

export interface BoxSandboxOptions {
  auth: SandboxAuth;
  /** Clock for quota windows and download-URL expiry (ms since epoch). */
  now?: () => number;
  /**
   * Signs the download URLs this sandbox hands out. Defaults to a random secret per process;
   * set it when several processes serve the same sandbox behind one origin.
   */
  downloadSecret?: string;
}

interface Quota extends SlottedQuota {
  name: string;
}
/** Box: 1,000 API requests per minute per user (a sliding window, one-second slots). */
export const BOX_USER_QUOTA: Quota = { name: "user", limit: 1_000, windowMs: 60_000, slots: 60 };
/** The `rate_limit` fault: a tiny window so a sync hits it within seconds. */
export const FAULT_QUOTA: Quota = { name: "fault", limit: 10, windowMs: 2_000, slots: 20 };

/** The per-process download secret; one even when Next.js loads this module more than once. */
function processSecret(): Buffer {
  return processSingleton("sandbox.box.download-secret", () => randomBytes(32));
}

function requestId(seq: number): string {
  return `${(seq % 0xffff).toString(16).padStart(4, "0")}${randomBytes(5).toString("hex")}`;
}

/** Box answers 401 with an empty body and a WWW-Authenticate challenge. */
function unauthorized(base: Record<string, string>, error: string, description: string): Response {
  return new Response(null, {
    status: 401,
    headers: { ...base, "www-authenticate": `Bearer realm="Service", error="${error}", error_description="${description}"` },
  });
}

export function createBoxSandbox(opts: BoxSandboxOptions): SandboxHandler {
  const now = opts.now ?? Date.now;
  const state = providerState("box");
  const secret = () => (opts.downloadSecret !== undefined ? Buffer.from(opts.downloadSecret) : processSecret());

  return async function boxSandbox(req: Request, subpath: string): Promise<Response> {
    const id = requestId(++state.requestSeq);
    const base: Record<string, string> = { "box-request-id": `0${id}`, "cache-control": "no-cache, no-store" };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...base, ...headers } });
    const error = (e: BoxError) => json(e.status, boxErrorBody(e, id), e.headers);
    const gone = () => json(499, { type: "error", status: 499, code: "client_closed_request", message: "Client Closed Request", request_id: id });
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    const root = `${url.origin}${url.pathname.endsWith(subpath) ? url.pathname.slice(0, url.pathname.length - subpath.length) : ""}`;

    // The OAuth token endpoint and the download URLs: no bearer token, no scenario.
    if (subpath === "/oauth2/token") return tokenEndpoint(req, opts.auth, { json, error });
    const dl = /^\/dl\/d\/1\/([^/]+)\/download$/.exec(subpath);
    if (dl) return serveDownload(req, dl[1]!, secret(), now(), { base, error, gone });

    if (!subpath.startsWith("/2.0/")) return error(new BoxError(404, "not_found", "Not Found"));

    // The API: Bearer auth first.
    const header = req.headers.get("authorization");
    const token = header ? (/^\s*bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null) : undefined;
    if (!token) {
      return unauthorized(base, "invalid_request", token === undefined ? "The access token was not found." : "The Authorization header is malformed.");
    }
    let account: SandboxAccount;
    try {
      const check = await opts.auth.checkAccessToken(token);
      if (check.status !== "ok") return unauthorized(base, "invalid_token", "The access token provided is invalid.");
      account = check.account;
    } catch {
      return error(new BoxError(500, "internal_server_error", "Internal Server Error"));
    }
    const scenario = account.scenario;

    // expired_token needs nothing here: the auth expires the tokens, answered 401 above.
    const stopped = await passFaults(scenario, req.signal, {
      timeout: () => error(new BoxError(504, "gateway_timeout", "Gateway Timeout")),
      gone,
      serverError: () =>
        state.requestSeq % 2 === 0
          ? error(new BoxError(500, "internal_server_error", "Internal Server Error"))
          : error(new BoxError(503, "unavailable", "Unavailable")),
    });
    if (stopped) return stopped;

    const t = now();
    const quota = scenario.fault === "rate_limit" ? FAULT_QUOTA : BOX_USER_QUOTA;
    const admitted = takeSlotted(state, `${quota.name}:${account.key}`, quota, t);
    if (!admitted.ok) {
      const retryAfter = String(retryAfterSeconds(admitted.retryAfterMs));
      return error(
        new BoxError(429, "rate_limit_exceeded", "Request rate limit exceeded, please try again later", undefined, { "retry-after": retryAfter }),
      );
    }

    const ds = boxDataset(scenario, account.changes ?? []);
    const ctx: RouteCtx = { url, req, account, scenario, user: sandboxUser(account.login), root, now: t, secret: secret(), ds };
    let result: RouteResult;
    try {
      result = route(method, subpath, ctx);
    } catch (err) {
      if (err instanceof BoxError) return error(err);
      throw err;
    }
    // A redirect to the download URL, 304 Not Modified, 202 "not ready yet": no body.
    if (result.body === undefined) return new Response(null, { status: result.status ?? 204, headers: { ...base, ...result.headers } });

    const body = malformedBody(JSON.stringify(result.body), scenario, result.list);
    return new Response(method === "HEAD" ? null : body, {
      status: result.status ?? 200,
      headers: { "content-type": "application/json", ...base, ...result.headers },
    });
  };
}
