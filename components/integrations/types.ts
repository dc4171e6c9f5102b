// Shapes shared by the integrations UI and GET /api/integrations.
import type { ConnectorType } from "@/lib/sync/types";

export type IntegrationMode = "sandbox" | "live";
export type IntegrationStatus = "connected" | "needs_reauth" | "disconnected";
export type LastSyncStatus = "complete" | "error" | "cancelled";

export interface IntegrationSummary {
  type: ConnectorType;
  label: string; // "GitHub"
  connected: boolean;
  mode: IntegrationMode | null;
  status: IntegrationStatus | null;
  status_message: string | null;
  account_label: string | null;
  item_count: number; // documents synced from it
  last_sync_at: string | null; // ISO 8601
  last_sync_status: LastSyncStatus | null;
  active_sync_id: string | null; // a running sync of this connection
  live_available: boolean; // real OAuth configured: the provider's client id and secret are set
  not_configured_hint: string | null; // "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET" (null when live_available)
  sync_available: boolean; // this version has a connector for it (false: "Coming soon", no Connect/Sync)
}

/** GET /api/integrations */
export interface IntegrationsResponse {
  success: true;
  integrations: IntegrationSummary[];
}
