// The sandbox scenario of DESIGN.md (PUT /api/integrations/{type}/sandbox). Client-safe; the
// route validates it with lib/sync/types.ts sandboxScenarioSchema.
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

export interface SandboxScenario {
  items: number;
  latency_ms: number;
  fault: SandboxFault;
}

export const DEFAULT_SANDBOX_SCENARIO: SandboxScenario = { items: 250, latency_ms: 120, fault: "none" };
