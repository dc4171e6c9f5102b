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

export interface ProviderManifest<T extends ConnectorType = ConnectorType> {
  readonly type: T;
  /** "GitHub": what the UI, the summary and the emails call it. */
  readonly label: string;
  /** The request quota the connector is paced by. */
  readonly quota: QuotaSpec;
  /** The provider's paths in this app's sandbox (lib/sandbox). */
  readonly sandbox: ProviderSandbox;
}
