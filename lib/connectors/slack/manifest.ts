// Slack: what the rest of the app reads about this provider (registry, sandbox paths, pacing).
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { QuotaSpec } from "@/lib/connectors/types";
import { CONNECTOR_LABELS } from "@/lib/contract";

/**
 * Slack's published Web API rate tiers (requests per minute, per app per workspace, per method):
 * https://docs.slack.dev/apis/web-api/rate-limits — Tier 2: 20+/min, Tier 3: 50+/min, Tier 4: 100+/min.
 * (Since 2025, apps that are neither internal nor Marketplace-approved get far less on
 * conversations.history/replies: 1/min with limit 15. This connector assumes an internal app.)
 */
export const SLACK_METHOD_TIERS: Readonly<Record<string, number>> = {
  "auth.test": 100, // Tier 4
  "conversations.list": 20, // Tier 2
  "users.list": 20, // Tier 2
  "conversations.history": 50, // Tier 3
  "conversations.replies": 50, // Tier 3
};

/**
 * Pacing: Slack counts every method separately (per app, per workspace, per minute), so each
 * method gets its own sliding window at its tier's limit: conversations.history and
 * conversations.replies run side by side at 50 a minute each, and no 60-second window Slack
 * looks at ever sees more than the tier allows (a call counts from its start until a minute
 * after its answer), so Slack never has to refuse. The demo's default sync (a few dozen calls)
 * fits in the first window without a wait.
 */
export const SLACK_QUOTA: QuotaSpec = {
  windows(url: URL) {
    const method = url.pathname.split("/").pop() ?? "";
    return [{ key: method, limit: SLACK_METHOD_TIERS[method] ?? 20, windowMs: 60_000 }];
  },
  maxConcurrency: 8,
};

export const slackManifest = {
  type: "slack",
  label: CONNECTOR_LABELS.slack,
  quota: SLACK_QUOTA,
  sandbox: { apiPath: "/api", tokenPath: "/api/oauth.v2.access" },
  oauth: {
    envPrefix: "SLACK",
    endpoints: {
      authorize: "https://slack.com/oauth/v2/authorize",
      token: "https://slack.com/api/oauth.v2.access",
      revoke: "https://slack.com/api/auth.revoke",
      api: "https://slack.com/api",
    },
    scopes: ["channels:read", "channels:history", "groups:read", "groups:history", "users:read"],
    scopeSeparator: ",",
    pkce: false,
    authorizeParams: {},
    acceptsPastedToken: true,
  },
} as const satisfies ProviderManifest<"slack", "SLACK">;
