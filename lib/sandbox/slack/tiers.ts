// Slack's rate-limit tiers (per method, per app per workspace; here per account key and method)
// and the OAuth scopes each method accepts.
import type { SlidingLogQuota } from "@/lib/sandbox/quota";

type Tier = SlidingLogQuota;
export const TIERS = {
  tier2: { limit: 20, windowMs: 60_000 },
  tier3: { limit: 50, windowMs: 60_000 },
  tier4: { limit: 100, windowMs: 60_000 },
} as const satisfies Record<string, Tier>;
/** The `rate_limit` fault: a tiny window over all methods, so a sync hits it within seconds. */
export const FAULT_TIER: Tier = { limit: 5, windowMs: 2_000 };

export const METHOD_TIERS: Record<string, Tier> = {
  "auth.test": TIERS.tier4,
  "conversations.list": TIERS.tier2,
  "users.list": TIERS.tier2,
  "conversations.history": TIERS.tier3,
  "conversations.replies": TIERS.tier3,
};

export const SCOPES = "channels:history,channels:read,groups:history,groups:read,users:read";
export const ACCEPTED_SCOPES: Record<string, string> = {
  "auth.test": "",
  "conversations.list": "channels:read,groups:read,im:read,mpim:read",
  "users.list": "users:read",
  "conversations.history": "channels:history,groups:history,im:history,mpim:history",
  "conversations.replies": "channels:history,groups:history,im:history,mpim:history",
};
