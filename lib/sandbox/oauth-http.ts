// Shared by the sandbox OAuth endpoints: HTML pages, redirects, JSON, form reading, the
// registered app and redirect URI, client authentication and each provider's token errors.
import { timingSafeEqual } from "node:crypto";
import { internalOrigin } from "@/lib/env";
import { consume } from "@/lib/api/rate-limit";
import { clientAddress } from "@/lib/http/client-address";
import { callbackPath, oauthProvider } from "@/lib/oauth/providers";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";

const MAX_FORM_BYTES = 16 * 1024;
export const CODE_TTL_MS = 60_000;

/** What the authorize page asked for; sealed into the consent form and into the code. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope?: string;
  challenge?: string;
  /** Google: "offline" asks for a refresh token. */
  accessType?: string;
}

export interface CodePayload {
  k: string; // sandbox account key
  c: string; // client_id
  r: string; // redirect_uri
  ch?: string; // PKCE S256 challenge
  off?: boolean; // refresh token wanted (Google offline access)
  exp: number;
}

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function html(status: number, title: string, body: string): Response {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f5f5f5;color:#171717;margin:0;padding:48px 16px}
main{max-width:440px;margin:0 auto;background:#fff;border-radius:16px;padding:28px;box-shadow:0 1px 3px rgba(0,0,0,.08);border:1px solid #e5e5e5}
h1{font-size:20px;margin:0 0 12px} p,li{font-size:14px;line-height:1.5;color:#404040} .badge{display:inline-block;font-size:12px;background:#fef3c7;color:#92400e;border-radius:999px;padding:2px 10px;margin-bottom:12px}
.row{display:flex;gap:12px;margin-top:20px} button{font-size:14px;font-weight:600;border-radius:10px;padding:10px 18px;cursor:pointer;border:1px solid #d4d4d4;background:#fff}
button.allow{background:#2563eb;border-color:#2563eb;color:#fff} code{font-size:12px;background:#f5f5f5;padding:1px 4px;border-radius:4px}
</style></head><body><main>${body}</main></body></html>`;
  return new Response(page, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY" },
  });
}

export function errorPage(provider: ConnectorType, message: string): Response {
  return html(
    400,
    "Sign-in error",
    `<span class="badge">Sandbox ${esc(CONNECTOR_LABELS[provider])}</span><h1>This sign-in request cannot continue</h1><p>${esc(message)}</p>`,
  );
}

export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
}

export function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", pragma: "no-cache", ...headers },
  });
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function readForm(req: Request): Promise<URLSearchParams | null> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const text = await req.text().catch(() => "");
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) return null;
  if (type && !type.startsWith("application/x-www-form-urlencoded")) return null;
  return new URLSearchParams(text);
}

/** The origins this sandbox is reached on (and the app's own). */
export function ownOrigins(req: Request): string[] {
  const own = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? own.host;
  const proto = req.headers.get("x-forwarded-proto") ?? own.protocol.replace(":", "");
  return [own.origin, `${proto}://${host}`, internalOrigin()];
}

/** The app's registered redirect URI: its own callback, on this origin or APP_URL's. */
export function registeredRedirect(provider: ConnectorType, req: Request, redirectUri: string): boolean {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  if (url.pathname !== callbackPath(provider) || url.search || url.hash || url.username || url.password) return false;
  return ownOrigins(req).includes(url.origin);
}

/** The registered app (the app's own settings), or null when none is configured. */
export function registeredClient(provider: ConnectorType): { id: string; secret: string } | null {
  const p = oauthProvider(provider);
  return p.clientId && p.clientSecret ? { id: p.clientId, secret: p.clientSecret } : null;
}

/** Client authentication at the token and revoke endpoints: form fields or HTTP Basic. */
export function clientFromRequest(req: Request, form: URLSearchParams): { id?: string; secret?: string } {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
  if (m) {
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

/** Whether the request authenticates as the registered app (form fields or HTTP Basic). */
export function isRegisteredClient(provider: ConnectorType, client: { id?: string; secret?: string }): client is { id: string; secret: string } {
  const registered = registeredClient(provider);
  return !!registered && !!client.id && !!client.secret && sameSecret(client.id, registered.id) && sameSecret(client.secret, registered.secret);
}

// ---------------------------------------------------------------- provider-shaped answers

export type TokenErrorKind = "invalid_client" | "invalid_grant" | "invalid_request" | "unsupported_grant_type" | "redirect_uri_mismatch";

export function tokenError(provider: ConnectorType, req: Request, kind: TokenErrorKind, description: string): Response {
  switch (provider) {
    case "github": {
      // GitHub answers 200 with the error, JSON when asked for it, otherwise form-encoded.
      const error =
        kind === "invalid_client" ? "incorrect_client_credentials" : kind === "invalid_grant" ? "bad_verification_code" : kind;
      const body = { error, error_description: description, error_uri: "https://docs.github.com/apps/oauth-apps" };
      return githubAnswer(req, body);
    }
    case "slack": {
      const error =
        kind === "invalid_client"
          ? "invalid_client_id"
          : kind === "invalid_grant"
            ? "invalid_code"
            : kind === "redirect_uri_mismatch"
              ? "bad_redirect_uri"
              : kind === "unsupported_grant_type"
                ? "invalid_grant_type"
                : "invalid_arguments";
      return json(200, { ok: false, error });
    }
    case "gmail":
      return json(kind === "invalid_client" ? 401 : 400, { error: kind === "redirect_uri_mismatch" ? "invalid_grant" : kind, error_description: description });
    case "box":
      return json(400, { error: kind === "redirect_uri_mismatch" ? "invalid_grant" : kind, error_description: description });
  }
}

export function githubAnswer(req: Request, body: Record<string, string>): Response {
  if ((req.headers.get("accept") ?? "").includes("application/json")) return json(200, body);
  return new Response(new URLSearchParams(body).toString(), {
    status: 200,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "cache-control": "no-store" },
  });
}

// ---------------------------------------------------------------- rate limits

/** Per client address and provider, per minute: consent decisions and code exchanges. */
export const OAUTH_LIMITS = { consent: 60, token: 120 } as const;

/** Counts one call of `what` from the caller's address; the seconds to wait when over the limit, else null. */
export async function overOAuthLimit(provider: ConnectorType, what: keyof typeof OAUTH_LIMITS, req: Request): Promise<number | null> {
  const address = clientAddress(req.headers) ?? "unknown";
  const r = await consume(`sandbox-oauth:${what}:${provider}:${address}`, OAUTH_LIMITS[what], 60_000);
  return r.allowed ? null : r.retryAfterS;
}
