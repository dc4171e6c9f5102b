// The sandboxes' OAuth endpoints, at the real providers' paths below /sandbox/<provider>/, so
// the app's live-mode OAuth code runs end to end against them (point the <P>_AUTHORIZE_URL,
// <P>_TOKEN_URL, <P>_REVOKE_URL and <P>_API_URL settings here):
//
//   github  GET|POST /login/oauth/authorize   POST /login/oauth/access_token   DELETE /applications/{client_id}/grant
//   gmail   GET|POST /o/oauth2/v2/auth        POST /token (authorization_code) POST /revoke
//   slack   GET|POST /oauth/v2/authorize      POST /api/oauth.v2.access        POST /api/auth.revoke
//   box     GET|POST /api/oauth2/authorize    POST /oauth2/token (authorization_code) POST /oauth2/revoke
//
// Everything else (the API, and grant_type=refresh_token at Gmail's and Box's token endpoints)
// goes to the wrapped provider sandbox. The registered OAuth app is the one in the app's own
// settings (<P>_CLIENT_ID / <P>_CLIENT_SECRET); the registered redirect URI is the app's
// callback. The authorize page is plain HTML with Allow and Deny. Codes live 60 s, work once,
// and are bound to the client, the redirect URI and the PKCE challenge (S256 only); a code used
// twice is refused and, as Google does, what its first use issued is revoked. Tokens are the
// sandbox's own (lib/sandbox/accounts.ts), for a fresh sandbox account with the default scenario.
import { timingSafeEqual } from "node:crypto";
import { internalOrigin } from "@/lib/env";
import { seal, unseal } from "@/lib/oauth/seal";
import { callbackPath, oauthProvider } from "@/lib/oauth/providers";
import { s256 } from "@/lib/oauth/state";
import {
  issueSandboxCredentialsForAccount,
  newSandboxOAuthAccountKey,
  recordSandboxAuthCode,
  redeemSandboxAuthCode,
  revokeSandboxAccount,
  sandboxTokenAccount,
} from "@/lib/sandbox/accounts";
import { BOT_USER_ID, TEAM_ID, TEAM_NAME } from "@/lib/sandbox/slack/data";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

export const CODE_TTL_MS = 60_000;
const CONSENT_TTL_MS = 10 * 60_000;
const MAX_FORM_BYTES = 16 * 1024;

const PATHS: Record<ConnectorType, { authorize: string; token: string; revoke: string }> = {
  github: { authorize: "/login/oauth/authorize", token: "/login/oauth/access_token", revoke: "/applications/{client_id}/grant" },
  gmail: { authorize: "/o/oauth2/v2/auth", token: "/token", revoke: "/revoke" },
  slack: { authorize: "/oauth/v2/authorize", token: "/api/oauth.v2.access", revoke: "/api/auth.revoke" },
  box: { authorize: "/api/oauth2/authorize", token: "/oauth2/token", revoke: "/oauth2/revoke" },
};

/** Where the sandbox serves each OAuth endpoint (below /sandbox/<provider>), for settings and docs. */
export function sandboxOAuthPaths(provider: ConnectorType): { authorize: string; token: string; revoke: string } {
  return PATHS[provider];
}

/** What the authorize page asked for; sealed into the consent form and into the code. */
interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope?: string;
  challenge?: string;
  /** Google: "offline" asks for a refresh token. */
  accessType?: string;
}

interface CodePayload {
  k: string; // sandbox account key
  c: string; // client_id
  r: string; // redirect_uri
  ch?: string; // PKCE S256 challenge
  off?: boolean; // refresh token wanted (Google offline access)
  exp: number;
}

// ---------------------------------------------------------------- small helpers

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function html(status: number, title: string, body: string): Response {
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

function errorPage(provider: ConnectorType, message: string): Response {
  return html(
    400,
    "Sign-in error",
    `<span class="badge">Sandbox ${esc(CONNECTOR_LABELS[provider])}</span><h1>This sign-in request cannot continue</h1><p>${esc(message)}</p>`,
  );
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", pragma: "no-cache", ...headers },
  });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readForm(req: Request): Promise<URLSearchParams | null> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const text = await req.text().catch(() => "");
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) return null;
  if (type && !type.startsWith("application/x-www-form-urlencoded")) return null;
  return new URLSearchParams(text);
}

/** The origins this sandbox is reached on (and the app's own). */
function ownOrigins(req: Request): string[] {
  const own = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? own.host;
  const proto = req.headers.get("x-forwarded-proto") ?? own.protocol.replace(":", "");
  return [own.origin, `${proto}://${host}`, internalOrigin()];
}

/** The app's registered redirect URI: its own callback, on this origin or APP_URL's. */
function registeredRedirect(provider: ConnectorType, req: Request, redirectUri: string): boolean {
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
function registeredClient(provider: ConnectorType): { id: string; secret: string } | null {
  const p = oauthProvider(provider);
  return p.clientId && p.clientSecret ? { id: p.clientId, secret: p.clientSecret } : null;
}

/** Client authentication at the token and revoke endpoints: form fields or HTTP Basic. */
function clientFromRequest(req: Request, form: URLSearchParams): { id?: string; secret?: string } {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
  if (m) {
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

// ---------------------------------------------------------------- provider-shaped answers

type TokenErrorKind = "invalid_client" | "invalid_grant" | "invalid_request" | "unsupported_grant_type" | "redirect_uri_mismatch";

function tokenError(provider: ConnectorType, req: Request, kind: TokenErrorKind, description: string): Response {
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

function githubAnswer(req: Request, body: Record<string, string>): Response {
  if ((req.headers.get("accept") ?? "").includes("application/json")) return json(200, body);
  return new Response(new URLSearchParams(body).toString(), {
    status: 200,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "cache-control": "no-store" },
  });
}

// ---------------------------------------------------------------- authorize

function authorizeRequest(provider: ConnectorType, req: Request, q: URLSearchParams): AuthorizeRequest | Response {
  const client = registeredClient(provider);
  const prefix = oauthProvider(provider).envPrefix;
  if (!client) {
    return errorPage(provider, `No OAuth app is registered with this sandbox. Set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET on the server.`);
  }
  const clientId = q.get("client_id");
  if (!clientId || !sameSecret(clientId, client.id)) return errorPage(provider, "The client_id is not an app registered with this sandbox.");
  const redirectUri = q.get("redirect_uri");
  if (!redirectUri || !registeredRedirect(provider, req, redirectUri)) {
    return errorPage(provider, `The redirect_uri is not the app's registered callback (${callbackPath(provider)} on the app's origin).`);
  }
  const state = q.get("state") ?? undefined;
  const back = (error: string, description: string) => redirect(withParams(redirectUri, { error, error_description: description, state }));
  if ((provider === "gmail" || provider === "box") && q.get("response_type") !== "code") {
    return back("unsupported_response_type", "response_type must be code");
  }
  const challenge = q.get("code_challenge") ?? undefined;
  if (challenge !== undefined) {
    if (q.get("code_challenge_method") !== "S256") return back("invalid_request", "code_challenge_method must be S256");
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return back("invalid_request", "code_challenge is malformed");
  }
  if (state !== undefined && state.length > 1024) return back("invalid_request", "state is too long");
  return {
    clientId,
    redirectUri,
    ...(state !== undefined ? { state } : {}),
    ...(q.get("scope") ? { scope: q.get("scope")! } : {}),
    ...(challenge ? { challenge } : {}),
    ...(q.get("access_type") ? { accessType: q.get("access_type")! } : {}),
  };
}

function consentPage(provider: ConnectorType, action: string, request: AuthorizeRequest): Response {
  const label = CONNECTOR_LABELS[provider];
  const sealed = seal(`sandbox-oauth-consent:${provider}`, { ...request, exp: Date.now() + CONSENT_TTL_MS });
  const scopes = (request.scope ?? "").split(/[ ,]+/).filter(Boolean);
  return html(
    200,
    `Authorize 2nd Brain — sandbox ${label}`,
    `<span class="badge">Sandbox ${esc(label)} — not the real ${esc(label)}</span>
<h1>Allow 2nd Brain to read your sandbox ${esc(label)}?</h1>
<p>Signed in as <strong>sandbox-user</strong>. 2nd Brain will get a token that can read the sandbox account's data.</p>
${scopes.length ? `<ul>${scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join("")}</ul>` : ""}
<form method="post" action="${esc(action)}">
<input type="hidden" name="request" value="${esc(sealed)}">
<div class="row"><button class="allow" type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></div>
</form>`,
  );
}

async function authorize(provider: ConnectorType, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const method = req.method.toUpperCase();
  if (method === "GET" || method === "HEAD") {
    const request = authorizeRequest(provider, req, url.searchParams);
    if (request instanceof Response) return request;
    return consentPage(provider, `${url.pathname}`, request);
  }
  if (method !== "POST") return errorPage(provider, "Use GET to open this page.");
  // The consent form posts to itself: a decision sent from another site is not the user's.
  const origin = req.headers.get("origin");
  if (origin !== null && !ownOrigins(req).includes(origin)) return errorPage(provider, "This consent was not sent from this page.");
  const form = await readForm(req);
  const sealed = form?.get("request");
  const request = sealed ? unseal<AuthorizeRequest & { exp: number }>(`sandbox-oauth-consent:${provider}`, sealed) : null;
  if (!request || typeof request.exp !== "number" || request.exp <= Date.now()) {
    return errorPage(provider, "This consent form expired or was altered. Start the sign-in again from the app.");
  }
  // The registration may have changed since the page was shown: check again.
  const again = authorizeRequest(provider, req, new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: "code",
    ...(request.challenge ? { code_challenge: request.challenge, code_challenge_method: "S256" } : {}),
  }));
  if (again instanceof Response) return again;
  if (form!.get("decision") !== "allow") {
    return redirect(withParams(request.redirectUri, { error: "access_denied", error_description: provider === "gmail" ? undefined : "The user denied access", state: request.state }));
  }
  const accountKey = newSandboxOAuthAccountKey();
  const payload: CodePayload = {
    k: accountKey,
    c: request.clientId,
    r: request.redirectUri,
    ...(request.challenge ? { ch: request.challenge } : {}),
    off: provider === "box" || (provider === "gmail" && request.accessType === "offline"),
    exp: Date.now() + CODE_TTL_MS,
  };
  const code = seal(`sandbox-oauth-code:${provider}`, payload);
  await recordSandboxAuthCode(code, accountKey, provider, CODE_TTL_MS);
  return redirect(withParams(request.redirectUri, { code, state: request.state }));
}

// ---------------------------------------------------------------- token

async function token(provider: ConnectorType, req: Request, form: URLSearchParams): Promise<Response> {
  const fail = (kind: TokenErrorKind, description: string) => tokenError(provider, req, kind, description);
  const registered = registeredClient(provider);
  const client = clientFromRequest(req, form);
  if (!registered || !client.id || !client.secret || !sameSecret(client.id, registered.id) || !sameSecret(client.secret, registered.secret)) {
    return fail("invalid_client", "The client_id and/or client_secret passed are incorrect.");
  }
  const grant = form.get("grant_type") ?? (provider === "github" || provider === "slack" ? "authorization_code" : null);
  if (grant !== "authorization_code") return fail("unsupported_grant_type", `Unsupported grant_type: ${grant ?? ""}`);
  const code = form.get("code");
  if (!code) return fail("invalid_request", "Missing required parameter: code");
  const payload = unseal<CodePayload>(`sandbox-oauth-code:${provider}`, code);
  if (!payload) return fail("invalid_grant", "The code passed is incorrect or expired.");
  // Spent on the first attempt, whatever follows: a code is good for one try only.
  const redeemed = await redeemSandboxAuthCode(code, provider);
  if (redeemed.status === "replayed") {
    // Like Google: a code used twice may have leaked; revoke what its first use issued.
    await revokeSandboxAccount(payload.k);
    return fail("invalid_grant", "The code was already used.");
  }
  if (redeemed.status !== "ok" || payload.exp <= Date.now()) return fail("invalid_grant", "The code passed is incorrect or expired.");
  if (!sameSecret(payload.c, client.id)) return fail("invalid_grant", "The code was issued to another client.");
  const redirectUri = form.get("redirect_uri");
  if (redirectUri !== payload.r) return fail("redirect_uri_mismatch", "The redirect_uri MUST match the one of the authorization request.");
  const verifier = form.get("code_verifier");
  if (payload.ch) {
    if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !sameSecret(s256(verifier), payload.ch)) {
      return fail("invalid_grant", "Invalid code verifier.");
    }
  } else if (verifier) {
    return fail("invalid_grant", "code_verifier sent for a code issued without a code_challenge.");
  }

  const issued = await issueSandboxCredentialsForAccount(payload.k, provider, { withRefresh: payload.off === true });
  const scope = oauthProvider(provider).scopes.join(provider === "slack" ? "," : " ");
  switch (provider) {
    case "github":
      return githubAnswer(req, { access_token: issued.accessToken, token_type: "bearer", scope });
    case "gmail":
      return json(200, {
        access_token: issued.accessToken,
        expires_in: issued.expiresIn,
        ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
        scope,
        token_type: "Bearer",
      });
    case "slack":
      return json(200, {
        ok: true,
        app_id: "A05SBX2ND",
        authed_user: { id: "U05SBXUSER" },
        scope,
        token_type: "bot",
        access_token: issued.accessToken,
        bot_user_id: BOT_USER_ID,
        team: { id: TEAM_ID, name: TEAM_NAME },
        enterprise: null,
        is_enterprise_install: false,
      });
    case "box":
      return json(200, {
        access_token: issued.accessToken,
        expires_in: issued.expiresIn,
        restricted_to: [],
        refresh_token: issued.refreshToken,
        token_type: "bearer",
      });
  }
}

// ---------------------------------------------------------------- revoke

async function revoke(provider: ConnectorType, req: Request, subpath: string): Promise<Response> {
  const method = req.method.toUpperCase();
  if (provider === "github") {
    if (method !== "DELETE") return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    const registered = registeredClient(provider);
    const client = clientFromRequest(req, new URLSearchParams());
    const pathClient = decodeURIComponent(subpath.split("/")[2] ?? "");
    if (!registered || !client.id || !client.secret || !sameSecret(client.id, registered.id) || !sameSecret(client.secret, registered.secret) || pathClient !== registered.id) {
      return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization" });
    }
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      body = null;
    }
    const accessToken = body && typeof body === "object" ? (body as Record<string, unknown>).access_token : undefined;
    if (typeof accessToken !== "string") return json(422, { message: "Invalid request.", documentation_url: "https://docs.github.com/rest" });
    const owner = await sandboxTokenAccount(accessToken, provider);
    if (!owner || owner.revoked) return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    await revokeSandboxAccount(owner.accountKey);
    return new Response(null, { status: 204 });
  }

  if (method !== "POST") return json(405, { error: "invalid_request", error_description: "Use POST." });
  const form = (await readForm(req)) ?? new URLSearchParams();
  if (provider === "slack") {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const tokenValue = bearer ?? form.get("token");
    if (!tokenValue) return json(200, { ok: false, error: "not_authed" });
    const owner = await sandboxTokenAccount(tokenValue, provider);
    if (!owner || owner.revoked || owner.kind !== "access") return json(200, { ok: false, error: "invalid_auth" });
    if (form.get("test") === "1" || form.get("test") === "true") return json(200, { ok: true, revoked: false });
    await revokeSandboxAccount(owner.accountKey);
    return json(200, { ok: true, revoked: true });
  }
  if (provider === "box") {
    const registered = registeredClient(provider);
    const client = clientFromRequest(req, form);
    if (!registered || !client.id || !client.secret || !sameSecret(client.id, registered.id) || !sameSecret(client.secret, registered.secret)) {
      return json(400, { error: "invalid_client", error_description: "The client credentials are invalid" });
    }
  }
  const tokenValue = form.get("token") ?? new URL(req.url).searchParams.get("token");
  if (!tokenValue) return json(400, { error: "invalid_request", error_description: "Missing required parameter: token" });
  const owner = await sandboxTokenAccount(tokenValue, provider);
  if (!owner || owner.revoked) {
    // Box answers 200 for a token it does not know; Google says invalid_token.
    return provider === "box" ? new Response(null, { status: 200 }) : json(400, { error: "invalid_token", error_description: "Token expired or revoked" });
  }
  await revokeSandboxAccount(owner.accountKey);
  return provider === "box" ? new Response(null, { status: 200 }) : json(200, {});
}

// ---------------------------------------------------------------- the wrapper

/** Serves the provider's OAuth endpoints in front of its sandbox handler. */
export function withSandboxOAuth(provider: ConnectorType, handler: SandboxHandler): SandboxHandler {
  const paths = PATHS[provider];
  const revokePattern = provider === "github" ? /^\/applications\/[^/]+\/grant$/ : null;
  return async function sandboxWithOAuth(req: Request, subpath: string): Promise<Response> {
    const path = subpath.replace(/\/+$/, "") || "/";
    if (path === paths.authorize) return authorize(provider, req);
    if (path === paths.revoke || (revokePattern && revokePattern.test(path))) return revoke(provider, req, path);
    if (path === paths.token && req.method.toUpperCase() === "POST") {
      const form = await readForm(req.clone());
      const grant = form?.get("grant_type");
      // Refresh (and anything else) is the provider sandbox's own business where it has one.
      if ((provider === "gmail" || provider === "box") && grant !== "authorization_code") return handler(req, subpath);
      if (!form) return tokenError(provider, req, "invalid_request", "Send the parameters form-encoded.");
      return token(provider, req, form);
    }
    return handler(req, subpath);
  };
}
