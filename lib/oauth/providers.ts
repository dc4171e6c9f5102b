// The providers' OAuth apps and endpoints: what each manifest says (lib/connectors/<type>/manifest.ts)
// with the settings (lib/env.ts) on top. The endpoints are settings so the built-in sandboxes
// (lib/sandbox/oauth.ts) can stand in for the real ones.
import { env, type Env } from "@/lib/env";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";
import { MANIFESTS, type OAuthEnvPrefix } from "@/lib/connectors/manifests";

export type { OAuthEnvPrefix };

export interface OAuthProvider {
  type: ConnectorType;
  label: string;
  /** GITHUB, GOOGLE, SLACK, BOX: the settings' prefix. */
  envPrefix: OAuthEnvPrefix;
  authorizeUrl: string;
  tokenUrl: string;
  /** GitHub: contains `{client_id}`; see `revokeUrlFor`. */
  revokeUrl: string;
  /** What the connector's SDK is pointed at in live mode. */
  apiUrl: string;
  scopes: readonly string[];
  /** How `scope` joins several scopes in the authorize URL. */
  scopeSeparator: " " | ",";
  /** PKCE (S256) on the authorize and token requests; Slack and Box: `state` only. */
  pkce: boolean;
  /** Extra authorize parameters (Google: offline access, so a refresh token comes back). */
  authorizeParams: Readonly<Record<string, string>>;
  /** A user may paste a token of their own instead of signing in (GitHub, Slack, Box). */
  acceptsPastedToken: boolean;
  clientId?: string;
  clientSecret?: string;
}

export function oauthProvider(type: ConnectorType, e: Env = env()): OAuthProvider {
  const { envPrefix: p, scopes, scopeSeparator, pkce, authorizeParams, acceptsPastedToken } = MANIFESTS[type].oauth;
  return {
    type,
    label: CONNECTOR_LABELS[type],
    envPrefix: p,
    authorizeUrl: e[`${p}_AUTHORIZE_URL`],
    tokenUrl: e[`${p}_TOKEN_URL`],
    revokeUrl: e[`${p}_REVOKE_URL`],
    apiUrl: e[`${p}_API_URL`].replace(/\/+$/, ""),
    clientId: e[`${p}_CLIENT_ID`],
    clientSecret: e[`${p}_CLIENT_SECRET`],
    scopes,
    scopeSeparator,
    pkce,
    authorizeParams,
    acceptsPastedToken,
  };
}

/** Client id and secret are both set: "Connect <Provider>" can work. */
export function isLiveConfigured(type: ConnectorType): boolean {
  const p = oauthProvider(type);
  return !!p.clientId && !!p.clientSecret;
}

/** "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET", or null when configured. */
export function notConfiguredHint(type: ConnectorType): string | null {
  if (isLiveConfigured(type)) return null;
  const p = MANIFESTS[type].oauth.envPrefix;
  return `Set ${p}_CLIENT_ID and ${p}_CLIENT_SECRET`;
}

/** The revoke URL with GitHub's `{client_id}` filled in. */
export function revokeUrlFor(p: OAuthProvider): string {
  return p.revokeUrl.replace("{client_id}", encodeURIComponent(p.clientId ?? ""));
}

/**
 * Live-mode endpoints for lib/connectors/registry.ts `providerEndpoints(type, "live")`:
 * the API base URL and the token URL (refresh) from the settings.
 */
export function liveProviderEndpoints(type: ConnectorType): { apiBaseUrl: string; tokenUrl: string } {
  const p = oauthProvider(type);
  return { apiBaseUrl: p.apiUrl, tokenUrl: p.tokenUrl };
}

/**
 * The OAuth client a refresh must present (Google and Box require it). Sandbox-mode
 * connections refresh at the sandbox without one. For lib/sync/engine.ts's RefreshContext.
 */
export function refreshClientFor(type: ConnectorType, mode: string): { clientId?: string; clientSecret?: string } {
  if (mode !== "live") return {};
  const p = oauthProvider(type);
  return p.clientId && p.clientSecret ? { clientId: p.clientId, clientSecret: p.clientSecret } : {};
}

/** Where the provider sends the browser back: `<origin>/api/integrations/<type>/oauth/callback`. */
export function callbackPath(type: ConnectorType): string {
  return `/api/integrations/${type}/oauth/callback`;
}
