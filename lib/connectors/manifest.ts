// What the rest of the app needs to know about one provider, in one place per provider
// (lib/connectors/<provider>/manifest.ts); registry.ts builds its tables from the four.
import type { ConnectorType } from "@/lib/contract";
import type { QuotaSpec } from "@/lib/connectors/types";

export interface ProviderSandbox {
  /** What the connector's SDK is pointed at, below /sandbox/<type> ("" = the root). */
  apiPath: string;
  /** The OAuth token endpoint (refresh), below /sandbox/<type>. */
  tokenPath: string;
}

/** The provider's OAuth app and endpoints: what lib/oauth and the settings (lib/env.ts) read. */
export interface ProviderOAuth<P extends string = string> {
  /**
   * The settings' prefix: <P>_CLIENT_ID, <P>_CLIENT_SECRET (the OAuth app) and <P>_AUTHORIZE_URL,
   * <P>_TOKEN_URL, <P>_REVOKE_URL, <P>_API_URL (endpoints, settings so a sandbox can stand in).
   */
  readonly envPrefix: P;
  /** The real provider's endpoints: the defaults of those settings. */
  readonly endpoints: { readonly authorize: string; readonly token: string; readonly revoke: string; readonly api: string };
  readonly scopes: readonly string[];
  /** How `scope` joins several scopes in the authorize URL. */
  readonly scopeSeparator: " " | ",";
  /** PKCE (S256) on the authorize and token requests; otherwise `state` only. */
  readonly pkce: boolean;
  /** Extra authorize parameters (Google: offline access, so a refresh token comes back). */
  readonly authorizeParams: Readonly<Record<string, string>>;
  /** A user may paste a token of their own instead of signing in. */
  readonly acceptsPastedToken: boolean;
}

/**
 * T is a ConnectorType for the app's providers; a provider under test (tests/fixtures/provider-notes)
 * uses its own name, so what is built from manifests is shown to work for a new one.
 */
export interface ProviderManifest<T extends string = ConnectorType, P extends string = string> {
  readonly type: T;
  /** "GitHub": what the UI, the summary and the emails call it. */
  readonly label: string;
  /** The request quota the connector is paced by. */
  readonly quota: QuotaSpec;
  /** The provider's paths in this app's sandbox (lib/sandbox). */
  readonly sandbox: ProviderSandbox;
  readonly oauth: ProviderOAuth<P>;
}
