// Every provider, exhaustively. A provider whose connector is not built yet is `null`,
// and the app says so instead of offering a button that cannot work.
import type { Connector } from "@/lib/connectors/types";
import { githubConnector } from "@/lib/connectors/github/connector";
import { gmailConnector } from "@/lib/connectors/gmail/connector";
import { slackConnector } from "@/lib/connectors/slack/connector";
import { boxConnector } from "@/lib/connectors/box/connector";
import { MANIFESTS } from "@/lib/connectors/manifests";
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

export function providerEndpoints(type: ConnectorType, mode: string): ProviderEndpoints {
  if (mode !== "sandbox") return liveProviderEndpoints(type);
  const root = `${internalOrigin()}/sandbox/${type}`;
  const { apiPath, tokenPath } = manifests[type].sandbox;
  return { apiBaseUrl: root + apiPath, tokenUrl: root + tokenPath };
}

export function providerLabel(type: ConnectorType): string {
  return manifests[type].label;
}
