// Every provider, exhaustively. A provider whose connector is not built yet is `null`,
// and the app says so instead of offering a button that cannot work.
import type { Connector } from "@/lib/connectors/types";
import { githubConnector } from "@/lib/connectors/github/connector";
import { gmailConnector } from "@/lib/connectors/gmail/connector";
import { slackConnector } from "@/lib/connectors/slack/connector";
import { boxConnector } from "@/lib/connectors/box/connector";
import { MANIFESTS } from "@/lib/connectors/manifests";
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { ConnectorType } from "@/lib/contract";
import { internalOrigin } from "@/lib/env";
import { liveProviderEndpoints } from "@/lib/oauth/providers";

const connectors: Record<ConnectorType, Connector | null> = {
  github: githubConnector,
  gmail: gmailConnector,
  slack: slackConnector,
  box: boxConnector,
};

export interface ProviderEndpoints {
  /** What the connector's SDK is pointed at. */
  apiBaseUrl: string;
  /** The OAuth token endpoint (refresh). */
  tokenUrl: string;
}

/** Every provider's manifest (label, quota, sandbox paths, OAuth), exhaustively. */
export const manifests = MANIFESTS;

export function getConnector(type: ConnectorType): Connector | null {
  return connectors[type];
}

export function isAvailable(type: ConnectorType): boolean {
  return connectors[type] !== null;
}

/** Where a provider's sandbox answers on this app (`origin`/sandbox/<type>), from its manifest. */
export function sandboxEndpoints(manifest: Pick<ProviderManifest<string>, "type" | "sandbox">, origin: string): ProviderEndpoints {
  const root = `${origin}/sandbox/${manifest.type}`;
  return { apiBaseUrl: root + manifest.sandbox.apiPath, tokenUrl: root + manifest.sandbox.tokenPath };
}

export function providerEndpoints(type: ConnectorType, mode: string): ProviderEndpoints {
  if (mode !== "sandbox") return liveProviderEndpoints(type);
  return sandboxEndpoints(manifests[type], internalOrigin());
}

export function providerLabel(type: ConnectorType): string {
  return manifests[type].label;
}
