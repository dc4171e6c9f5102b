// The one OAuth 2 refresh (RFC 6749 §6) the connectors share: POST grant_type=refresh_token to the
// provider's token endpoint and map its answer to new credentials or to a SyncError a person can
// act on. Providers differ only in names and in whether refresh tokens rotate (Box: each works
// once, so the old one is dropped; Google: kept unless a new one is sent).
import { SyncError } from "@/lib/contract";
import type { ConnectorCredentials, RefreshContext } from "@/lib/connectors/types";

export interface RefreshStyle {
  /** Who refuses: "Google", "Box". */
  issuer: string;
  /** What the user reconnects: "Gmail", "Box". */
  product: string;
  /** Refresh tokens are single-use: a missing new one means none is kept. */
  rotates: boolean;
}

const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export async function refreshOAuthToken(
  credentials: ConnectorCredentials,
  rctx: RefreshContext,
  style: RefreshStyle,
  now: () => number = Date.now,
): Promise<ConnectorCredentials> {
  const refused = `${style.issuer} refused to renew access. Reconnect ${style.product}.`;
  if (!credentials.refreshToken) throw new SyncError("auth", `${style.product} access expired and there is no refresh token. Reconnect ${style.product}.`);
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.refreshToken });
  if (rctx.clientId) form.set("client_id", rctx.clientId);
  if (rctx.clientSecret) form.set("client_secret", rctx.clientSecret);
  const res = await rctx.fetch(rctx.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
    signal: rctx.signal,
  });
  const raw = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = record(JSON.parse(raw));
  } catch {
    body = undefined;
  }
  // invalid_grant (a used, revoked or expired refresh token), invalid_client, …: only a reconnect helps.
  if (res.status === 400 || res.status === 401 || res.status === 403) throw new SyncError("auth", refused, res.status);
  if (!res.ok) throw new SyncError("provider", `${style.issuer} could not renew access just now (its sign-in service answered HTTP ${res.status}); try again later.`, res.status);
  const accessToken = text(body?.access_token);
  if (!accessToken) throw new SyncError("malformed", `${style.issuer} sent an unreadable answer while renewing access; try again.`);
  const expiresIn = body?.expires_in;
  const rotated = text(body?.refresh_token);
  const refreshToken = rotated ?? (style.rotates ? undefined : credentials.refreshToken);
  return {
    accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    ...(typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: new Date(now() + expiresIn * 1000).toISOString() } : {}),
  };
}
