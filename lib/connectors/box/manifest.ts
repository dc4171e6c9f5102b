// Box: what the rest of the app reads about this provider (registry, sandbox paths, pacing).
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { QuotaSpec } from "@/lib/connectors/types";
import { CONNECTOR_LABELS } from "@/lib/contract";

/**
 * Box allows 1,000 API requests per minute per user: one sliding window over every API call
 * (a call counts from its start until a minute after its answer, so Box's own window never sees
 * more than 1,000). Download URLs (the target of the 302) and the token endpoint are not API
 * calls and cost nothing. 32 in flight (files are fetched 32 at a time, each an API call and a
 * download): a window's 1,000 calls and their downloads then take ~20 s at 80 ms each, so the
 * window, not the latency, is what binds a big sync (at 8 or 16 the tail of every window was
 * latency-bound: 0.78 and 0.87 of the quota bound at 5,000 files).
 */
export const BOX_QUOTA: QuotaSpec = {
  windows: (url) => (/\/2\.0\//.test(url.pathname) ? [{ key: "api", limit: 1_000, windowMs: 60_000 }] : []),
  maxConcurrency: 32,
};

export const boxManifest = {
  type: "box",
  label: CONNECTOR_LABELS.box,
  quota: BOX_QUOTA,
  sandbox: { apiPath: "", tokenPath: "/oauth2/token" },
  oauth: {
    envPrefix: "BOX",
    endpoints: {
      authorize: "https://account.box.com/api/oauth2/authorize",
      token: "https://api.box.com/oauth2/token",
      revoke: "https://api.box.com/oauth2/revoke",
      api: "https://api.box.com",
    },
    scopes: [],
    scopeSeparator: " ",
    pkce: false,
    authorizeParams: { response_type: "code" },
    acceptsPastedToken: true,
  },
} as const satisfies ProviderManifest<"box", "BOX">;
