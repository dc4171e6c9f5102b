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
import type { ConnectorType } from "@/lib/contract";
import type { SandboxHandler } from "./fault-layer";
import { authorize } from "./oauth-authorize";
import { readForm, tokenError } from "./oauth-http";
import { revoke, token } from "./oauth-token";

export type { SandboxHandler } from "./fault-layer";
export { CODE_TTL_MS } from "./oauth-http";

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
