// The contract types of ../shared/DESIGN.md ("ProgressData", connector types, faults).
import { z } from "zod";

export const CONNECTOR_TYPES = ["gmail", "slack", "box", "github"] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
export const connectorTypeSchema = z.enum(CONNECTOR_TYPES, {
  error: () => `Unknown connector type; use one of: ${CONNECTOR_TYPES.join(", ")}`,
});

export const CONNECTOR_LABELS: Record<ConnectorType, string> = {
  gmail: "Gmail",
  slack: "Slack",
  box: "Box",
  github: "GitHub",
};

export const ACTIVE_STATUSES = ["queued", "connecting", "syncing", "parsing", "embedding", "rate_limited"] as const;
export const TERMINAL_STATUSES = ["complete", "error", "cancelled"] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type SyncStatus = ActiveStatus | TerminalStatus;

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export interface ProgressData {
  sync_id: string;
  connector_type: ConnectorType;
  status: SyncStatus;
  stage: string;
  total_items: number;
  processed_items: number;
  failed_items: number;
  current_item?: string;
  error_message?: string;
  percent_complete: number;
  started_at: string;
  finished_at?: string;
  retry_at?: string;
}

export const EVENT_NAMES = ["started", "progress", "complete", "error", "cancelled"] as const;
export type SyncEventName = (typeof EVENT_NAMES)[number];

export function terminalEventName(status: TerminalStatus): SyncEventName {
  return status; // complete | error | cancelled share their names with the statuses
}

export const SANDBOX_FAULTS = [
  "none",
  "hang",
  "slow",
  "rate_limit",
  "server_error",
  "malformed",
  "expired_token",
  "expired_cursor",
  "item_errors",
] as const;
export type SandboxFault = (typeof SANDBOX_FAULTS)[number];

export const sandboxScenarioSchema = z
  .object({
    items: z.number().int().min(0).max(100_000),
    latency_ms: z.number().int().min(0).max(60_000),
    fault: z.enum(SANDBOX_FAULTS),
  })
  .strict();
export type SandboxScenario = z.infer<typeof sandboxScenarioSchema>;

export const DEFAULT_SANDBOX_SCENARIO: SandboxScenario = { items: 250, latency_ms: 120, fault: "none" };
