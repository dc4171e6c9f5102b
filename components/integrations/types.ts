// The integrations UI's shapes are the API's wire types (lib/contract/api.ts).
export type { IntegrationMode, IntegrationStatus, LastSyncStatus, IntegrationSummary, IntegrationsResponse } from "@/lib/contract/api";
