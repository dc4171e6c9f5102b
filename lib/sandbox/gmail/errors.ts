// Google's answers: JSON error bodies and headers, 401 with WWW-Authenticate, 429/403 for quota,
// and the HTML 404 of Google's front end.
import { retryAfterSeconds } from "@/lib/sandbox/fault-layer";
import { GMAIL_USER_QUOTA } from "./quota";

interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export function googleError(code: number, status: string, message: string, item: Partial<GoogleErrorItem> = {}, details?: unknown[]) {
  const err: GoogleErrorItem = { message, domain: "global", reason: "backendError", ...item };
  return { error: { code, message, errors: [err], status, ...(details ? { details } : {}) } };
}

export class HttpError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export const NOT_FOUND_BODY = googleError(404, "NOT_FOUND", "Requested entity was not found.", { reason: "notFound" });

export function notFound(): HttpError {
  return new HttpError(404, NOT_FOUND_BODY);
}

export function invalidArgument(message: string): HttpError {
  return new HttpError(400, googleError(400, "INVALID_ARGUMENT", message, { reason: "invalidArgument" }));
}

export function unauthenticated(missing: boolean): Response {
  const body = missing
    ? googleError(
        401,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        { message: "Login Required.", reason: "required", location: "Authorization", locationType: "header" },
      )
    : googleError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        { message: "Invalid Credentials", reason: "authError", location: "Authorization", locationType: "header" },
      );
  return json(401, body, {
    "www-authenticate": missing ? 'Bearer realm="https://accounts.google.com/"' : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  });
}

export function rateLimited(retryAfterMs: number, now: number, as403: boolean): Response {
  const seconds = retryAfterSeconds(retryAfterMs);
  const headers = { "retry-after": String(seconds) };
  if (as403) {
    const message = `User-rate limit exceeded.  Retry after ${new Date(now + seconds * 1000).toISOString()}`;
    return json(403, googleError(403, "PERMISSION_DENIED", message, { domain: "usageLimits", reason: "userRateLimitExceeded" }), headers);
  }
  const message =
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:000000000000'.";
  return json(
    429,
    googleError(429, "RESOURCE_EXHAUSTED", message, { reason: "rateLimitExceeded" }, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "RATE_LIMIT_EXCEEDED",
        domain: "googleapis.com",
        metadata: {
          service: "gmail.googleapis.com",
          quota_metric: "gmail.googleapis.com/default",
          quota_limit: "QueriesPerMinutePerUser",
          quota_limit_value: String(GMAIL_USER_QUOTA.capacity),
          consumer: "projects/000000000000",
        },
      },
    ]),
    headers,
  );
}

const GOOGLE_HEADERS: Record<string, string> = {
  vary: "Origin, X-Origin, Referer",
  server: "ESF",
  "x-xss-protection": "0",
  "x-frame-options": "SAMEORIGIN",
  "x-content-type-options": "nosniff",
  "cache-control": "private",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}, raw?: string): Response {
  return new Response(raw ?? JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...GOOGLE_HEADERS, ...headers },
  });
}

/** Google's front end answers unknown paths with an HTML page, not JSON. */
export function htmlNotFound(path: string): Response {
  const body =
    `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n` +
    `  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path.replace(/[<>&"]/g, "")}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
  return new Response(body, { status: 404, headers: { "content-type": "text/html; charset=UTF-8", ...GOOGLE_HEADERS } });
}
