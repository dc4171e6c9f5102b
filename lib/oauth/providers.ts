// The providers' OAuth apps and endpoints: what each manifest says (lib/connectors/<type>/manifest.ts)
// with the settings (lib/env.ts) on top. The endpoints are settings so the built-in sandboxes
// (lib/sandbox/oauth.ts) can stand in for the real ones.
import { env, type Env } from "@/lib/env";
import type { ConnectorType } from "@/lib/contract";
import type { ProviderManifest } from "@/lib/connectors/manifest";
import { MANIFESTS, type OAuthEnvPrefix } from "@/lib/connectors/manifests";

export type { OAuthEnvPrefix };

export interface OAuthProvider<T extends string = ConnectorType, P extends string = OAuthEnvPrefix> {
  type: T;
  label: string;
  /** GITHUB, GOOGLE, SLACK, BOX: the settings' prefix. */
  envPrefix: P;
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

/** A manifest's OAuth app with the settings on top (settings parsed with providerSettingsShape). */
export function oauthProviderFrom<T extends string, P extends string>(manifest: ProviderManifest<T, P>, e: Readonly<Record<string, unknown>>): OAuthProvider<T, P> {
  const { envPrefix: p, scopes, scopeSeparator, pkce, authorizeParams, acceptsPastedToken } = manifest.oauth;
  const text = (key: string) => (typeof e[`${p}_${key}`] === "string" ? (e[`${p}_${key}`] as string) : undefined);
  return {
    type: manifest.type,
    label: manifest.label,
    envPrefix: p,
    authorizeUrl: text("AUTHORIZE_URL") ?? manifest.oauth.endpoints.authorize,
    tokenUrl: text("TOKEN_URL") ?? manifest.oauth.endpoints.token,
    revokeUrl: text("REVOKE_URL") ?? manifest.oauth.endpoints.revoke,
    apiUrl: (text("API_URL") ?? manifest.oauth.endpoints.api).replace(/\/+$/, ""),
    clientId: text("CLIENT_ID"),
    clientSecret: text("CLIENT_SECRET"),
    scopes,
    scopeSeparator,
    pkce,
    authorizeParams,
    acceptsPastedToken,
  };
}

export function oauthProvider(type: ConnectorType, e: Env = env()): OAuthProvider {
  return oauthProviderFrom<ConnectorType, OAuthEnvPrefix>(MANIFESTS[type], e);
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
