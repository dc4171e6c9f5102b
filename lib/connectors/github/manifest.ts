// GitHub: what the rest of the app reads about this provider (registry, sandbox paths, pacing).
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { QuotaSpec } from "@/lib/connectors/types";
import { CONNECTOR_LABELS } from "@/lib/contract";

/**
 * GitHub's REST limits for a user token: 5,000 requests per hour (primary), at most 100
 * concurrent requests and 900 points per minute per endpoint (secondary; a GET is 1 point).
 * A burst of 500 lets a typical first sync run unpaced and stays well under 900 a minute;
 * after it, requests are paced to the hourly rate. A conditional request answered 304 costs
 * GitHub nothing, but whether the answer will be 304 is unknown up front: every request
 * costs 1 here.
 */
export const GITHUB_QUOTA: QuotaSpec = {
  capacity: 500,
  refillPerSecond: 5_000 / 3_600,
  cost: () => 1,
  maxConcurrency: 20,
};

export const githubManifest = {
  type: "github",
  label: CONNECTOR_LABELS.github,
  quota: GITHUB_QUOTA,
  sandbox: { apiPath: "", tokenPath: "/login/oauth/access_token" },
  oauth: {
    envPrefix: "GITHUB",
    endpoints: {
      authorize: "https://github.com/login/oauth/authorize",
      token: "https://github.com/login/oauth/access_token",
      // `{client_id}` is replaced by GITHUB_CLIENT_ID (DELETE, basic auth: the app's grant API).
      revoke: "https://api.github.com/applications/{client_id}/grant",
      api: "https://api.github.com",
    },
    scopes: ["repo"],
    scopeSeparator: " ",
    pkce: true,
    authorizeParams: {},
    acceptsPastedToken: true,
  },
} as const satisfies ProviderManifest<"github", "GITHUB">;
