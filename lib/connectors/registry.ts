// Every provider, exhaustively. A provider whose connector is not built yet is `null`,
// and the app says so instead of offering a button that cannot work.
import type { Connector } from "@/lib/connectors/types";
import { githubConnector } from "@/lib/connectors/github/connector";
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/sync/types";
import { internalOrigin } from "@/lib/env";

const connectors: Record<ConnectorType, Connector | null> = {
  github: githubConnector,
  gmail: null,
  slack: null,
  box: null,
};

const LIVE_BASE_URLS: Record<ConnectorType, string> = {
  github: "https://api.github.com",
  gmail: "https://gmail.googleapis.com",
  slack: "https://slack.com/api",
  box: "https://api.box.com",
};

export function getConnector(type: ConnectorType): Connector | null {
  return connectors[type];
}

export function isAvailable(type: ConnectorType): boolean {
  return connectors[type] !== null;
}

/** Sandbox connections talk to the stand-in this app serves under /sandbox/<type>. */
export function providerBaseUrl(type: ConnectorType, mode: string): string {
  return mode === "sandbox" ? `${internalOrigin()}/sandbox/${type}` : LIVE_BASE_URLS[type];
}

export function providerLabel(type: ConnectorType): string {
  return CONNECTOR_LABELS[type];
}
