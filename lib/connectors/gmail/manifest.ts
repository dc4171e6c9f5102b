// Gmail: what the rest of the app reads about this provider (registry, sandbox paths, pacing).
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { QuotaSpec } from "@/lib/connectors/types";
import { CONNECTOR_LABELS } from "@/lib/contract";

/**
 * Gmail's per-user quota, in units: messages.get 5, messages.list 5, history.list 2,
 * getProfile 1 (developers.google.com/workspace/gmail/api/reference/quota).
 */
export function gmailQuotaCost(url: URL, method: string): number {
  const m = /\/gmail\/v1\/users\/[^/]+\/(.*)$/.exec(url.pathname);
  if (!m) return /\/token$/.test(url.pathname) ? 0 : 5; // the OAuth token endpoint is not the Gmail API
  const rest = m[1]!.replace(/\/+$/, "");
  const get = method.toUpperCase() === "GET";
  if (rest === "profile") return 1;
  if (rest === "history") return 2;
  if (rest === "messages") return get ? 5 : 25; // list; insert / import
  if (rest === "messages/send") return 100;
  if (/^messages\/[^/]+\/attachments\/[^/]+$/.test(rest)) return 5;
  if (/^messages\/[^/]+$/.test(rest)) return get ? 5 : 10; // get; delete
  if (/^threads(\/[^/]+)?$/.test(rest)) return 10;
  if (/^labels(\/[^/]+)?$/.test(rest)) return 1;
  return 5;
}

/** 15,000 units per user per minute, i.e. 250 a second. */
export const GMAIL_QUOTA: QuotaSpec = {
  capacity: 15_000,
  refillPerSecond: 250,
  cost: gmailQuotaCost,
  maxConcurrency: 40,
};

export const gmailManifest = {
  type: "gmail",
  label: CONNECTOR_LABELS.gmail,
  quota: GMAIL_QUOTA,
  sandbox: { apiPath: "", tokenPath: "/token" },
  oauth: {
    envPrefix: "GOOGLE",
    endpoints: {
      authorize: "https://accounts.google.com/o/oauth2/v2/auth",
      token: "https://oauth2.googleapis.com/token",
      revoke: "https://oauth2.googleapis.com/revoke",
      api: "https://gmail.googleapis.com",
    },
    scopes: ["https://www.googleapis.com/auth/gmail.readonly"],
    scopeSeparator: " ",
    pkce: true,
    authorizeParams: { response_type: "code", access_type: "offline", prompt: "consent" },
    acceptsPastedToken: false,
  },
} as const satisfies ProviderManifest<"gmail", "GOOGLE">;
