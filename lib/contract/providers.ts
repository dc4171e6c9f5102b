// The providers this version knows. Safe for client code: no zod, no Prisma, no Node APIs.
export const CONNECTOR_TYPES = ["gmail", "slack", "box", "github"] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

export const CONNECTOR_LABELS: Record<ConnectorType, string> = {
  gmail: "Gmail",
  slack: "Slack",
  box: "Box",
  github: "GitHub",
};

export function isConnectorType(value: string): value is ConnectorType {
  return (CONNECTOR_TYPES as readonly string[]).includes(value);
}

/** "GitHub"; an unknown type gets a capitalised version of itself. */
export function connectorLabel(type: string): string {
  return isConnectorType(type) ? CONNECTOR_LABELS[type] : type.charAt(0).toUpperCase() + type.slice(1);
}
