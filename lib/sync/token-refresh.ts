// Renewing an expired access token during a run: a 401 is answered with one refresh, shared by
// every request in flight, and the new credentials are stored encrypted before they are used
// (Box's refresh tokens work only once). Only the run's owner renews.
import { db } from "@/lib/db";
import { encryptJson } from "@/lib/crypto";
import type { Connector, ConnectorCredentials } from "@/lib/connectors/types";
import { RunLostError, fencedRun, type Fence } from "@/lib/progress/fence";
import { createProviderFetch } from "@/lib/sync/provider-fetch";
import type { RunLimits } from "@/lib/sync/limits";

export interface RefreshOptions {
  fence: Fence;
  connector: Connector;
  /** The connection row: its id and the sealed credentials the run started with (updated here). */
  conn: { id: string; credentials: string };
  /** The run's live credentials: updated in place, so the next request uses the new token. */
  credentials: ConnectorCredentials;
  provider: string;
  tokenUrl: string;
  client: { clientId?: string; clientSecret?: string };
  limits: RunLimits;
  signal: AbortSignal;
  /** Reports a lost run to the execution (it stops at once). */
  lost: (error: unknown) => unknown;
}

/** The `onUnauthorized` of the run's provider fetch: the token to retry with, or null (reconnect). */
export function createTokenRefresher(o: RefreshOptions): (usedToken: string | null) => Promise<string | null> {
  let refreshing: Promise<string | null> | null = null;
  const refresh = o.connector.refresh?.bind(o.connector);
  return async (usedToken) => {
    // Another request already renewed it: retry with the new one.
    if (usedToken && usedToken !== o.credentials.accessToken) return o.credentials.accessToken;
    if (!refresh || !o.credentials.refreshToken) return null;
    refreshing ??= (async () => {
      // A paused process that lost the run must not renew (and so retire) the owner's token.
      const owner = await db().syncRun.count({ where: fencedRun(o.fence) });
      if (owner === 0) throw o.lost(new RunLostError(o.fence, "token refresh"));
      const before = o.conn.credentials;
      const { limits, signal } = o;
      const fetch = createProviderFetch({ provider: o.provider, signal, requestTimeoutMs: limits.requestTimeoutMs, maxAttempts: limits.maxAttempts, maxRateLimitWaitMs: limits.maxRateLimitWaitMs });
      const fresh = await refresh({ ...o.credentials }, { fetch, signal, tokenUrl: o.tokenUrl, ...o.client });
      // Stored even if the run is lost meanwhile: the provider has already retired the old
      // refresh token. Compare-and-set on what we read, so a concurrent renewal's newer token
      // is never overwritten with ours.
      const sealed = encryptJson(fresh);
      await db().connection.updateMany({ where: { id: o.conn.id, credentials: before }, data: { credentials: sealed } });
      o.conn.credentials = sealed;
      Object.assign(o.credentials, fresh);
      return fresh.accessToken;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };
}
