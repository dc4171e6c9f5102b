// The sandbox's authorize page: checks the request against the registered app, shows a consent
// page, and redirects back with a sealed, single-use code (or the error).
import { seal, unseal } from "@/lib/oauth/seal";
import { callbackPath, oauthProvider } from "@/lib/oauth/providers";
import { sha256 } from "@/lib/crypto";
import { OAUTH_ACCOUNT_PREFIX } from "@/lib/sandbox/accounts";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";
import {
  CODE_TTL_MS,
  errorPage,
  esc,
  html,
  overOAuthLimit,
  ownOrigins,
  readForm,
  redirect,
  registeredClient,
  registeredRedirect,
  sameSecret,
  withParams,
  type AuthorizeRequest,
  type CodePayload,
} from "./oauth-http";

const CONSENT_TTL_MS = 10 * 60_000;

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

export async function authorize(provider: ConnectorType, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const method = req.method.toUpperCase();
  if (method === "GET" || method === "HEAD") {
    const request = authorizeRequest(provider, req, url.searchParams);
    if (request instanceof Response) return request;
    return consentPage(provider, `${url.pathname}`, request);
  }
  if (method !== "POST") return errorPage(provider, "Use GET to open this page.");
  const wait = await overOAuthLimit(provider, "consent", req);
  if (wait !== null) {
    const page = html(429, "Too many requests", `<h1>Too many sign-in decisions</h1><p>Wait ${wait} s and start the sign-in again from the app.</p>`);
    page.headers.set("retry-after", String(wait));
    return page;
  }
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
  // Nothing is written here (the caller is not authenticated): the account key comes from the
  // consent itself, so however often one consent is replayed it names one account, and the
  // token endpoint lets one code of that consent be exchanged, once (oauth-token.ts).
  const accountKey = `${OAUTH_ACCOUNT_PREFIX}${sha256(`consent:${sealed}`).slice(0, 24)}`;
  const payload: CodePayload = {
    k: accountKey,
    c: request.clientId,
    r: request.redirectUri,
    ...(request.challenge ? { ch: request.challenge } : {}),
    off: provider === "box" || (provider === "gmail" && request.accessType === "offline"),
    exp: Date.now() + CODE_TTL_MS,
  };
  const code = seal(`sandbox-oauth-code:${provider}`, payload);
  return redirect(withParams(request.redirectUri, { code, state: request.state }));
}
