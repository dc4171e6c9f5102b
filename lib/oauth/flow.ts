// The provider side of connecting: the authorize URL, the code exchange, one cheap call that
// proves a token works (and names the account), and revocation. Every call is bounded by a
// timeout that reaches the socket (nodeFetch). Nothing here logs or returns a token value.
import { nodeFetch } from "@/lib/sync/node-fetch";
import type { OAuthErrorCode } from "@/lib/contract/api";
import { revokeUrlFor, type OAuthProvider } from "@/lib/oauth/providers";

const USER_AGENT = "2nd-Brain-sync (+oauth)";
export const TOKEN_TIMEOUT_MS = 10_000;
export const ACCOUNT_TIMEOUT_MS = 10_000;
export const REVOKE_TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const MAX_TOKEN_LENGTH = 8192;

/** A flow step that failed; `code` is what the user is told, `detail` is for the server log (no secrets). */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "OAuthError";
  }
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** ISO 8601, when the provider says how long the access token lives. */
  expiresAt?: string;
  /** Slack names the workspace in the token answer. */
  teamName?: string;
}

// ---------------------------------------------------------------- authorize

export function buildAuthorizeUrl(
  p: OAuthProvider,
  opts: { redirectUri: string; state: string; challenge?: string },
): string {
  if (!p.clientId) throw new OAuthError("not_configured", `${p.envPrefix}_CLIENT_ID is not set`);
  const url = new URL(p.authorizeUrl);
  url.searchParams.set("client_id", p.clientId);
  url.searchParams.set("redirect_uri", opts.redirectUri);
  url.searchParams.set("state", opts.state);
  if (p.scopes.length) url.searchParams.set("scope", p.scopes.join(p.scopeSeparator));
  for (const [k, v] of Object.entries(p.authorizeParams)) url.searchParams.set(k, v);
  if (p.pkce && opts.challenge) {
    url.searchParams.set("code_challenge", opts.challenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url.toString();
}

// ---------------------------------------------------------------- answers

async function readAnswer(res: Response): Promise<Record<string, unknown> | null> {
  const text = await res.text();
  if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  // GitHub answers form-encoded unless asked for JSON.
  if (/^[\w.%+-]+=/.test(trimmed)) return Object.fromEntries(new URLSearchParams(trimmed));
  return null;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function expiresAtFrom(v: unknown, now: number): string | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? new Date(now + n * 1000).toISOString() : undefined;
}

/** Turns a token endpoint's answer into a TokenSet, or throws an OAuthError naming the provider's error code. */
export function parseTokenAnswer(p: OAuthProvider, status: number, body: Record<string, unknown> | null, now = Date.now()): TokenSet {
  if (!body) throw new OAuthError(status >= 500 ? "provider_error" : "exchange_failed", `${p.type}: unreadable token answer (HTTP ${status})`);
  // Slack: HTTP 200 with ok:false; GitHub: HTTP 200 with error=…; Google/Box: HTTP 400 with error.
  const error = str(body.error);
  if ((p.type === "slack" && body.ok !== true) || error || status >= 400) {
    const code: OAuthErrorCode = status >= 500 ? "provider_error" : "exchange_failed";
    throw new OAuthError(code, `${p.type}: token endpoint refused the code (${error ?? `HTTP ${status}`})`);
  }
  const accessToken = str(body.access_token);
  if (!accessToken || accessToken.length > MAX_TOKEN_LENGTH) throw new OAuthError("provider_error", `${p.type}: token answer without an access token`);
  const refreshToken = str(body.refresh_token);
  const expiresAt = expiresAtFrom(body.expires_in, now);
  const team = body.team && typeof body.team === "object" ? str((body.team as Record<string, unknown>).name) : undefined;
  return {
    accessToken,
    ...(refreshToken && refreshToken.length <= MAX_TOKEN_LENGTH ? { refreshToken } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(team ? { teamName: team } : {}),
  };
}

// ---------------------------------------------------------------- code exchange

export async function exchangeCode(
  p: OAuthProvider,
  opts: { code: string; redirectUri: string; verifier?: string },
): Promise<TokenSet> {
  if (!p.clientId || !p.clientSecret) throw new OAuthError("not_configured", `${p.envPrefix} OAuth app is not configured`);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: opts.code,
    redirect_uri: opts.redirectUri,
    client_id: p.clientId,
    client_secret: p.clientSecret,
  });
  if (p.pkce && opts.verifier) form.set("code_verifier", opts.verifier);
  let res: Response;
  let body: Record<string, unknown> | null;
  try {
    res = await nodeFetch(p.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "user-agent": USER_AGENT },
      body: form.toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    body = await readAnswer(res);
  } catch (error) {
    throw new OAuthError("provider_unreachable", `${p.type}: token endpoint unreachable (${(error as Error)?.name ?? "error"})`);
  }
  return parseTokenAnswer(p, res.status, body);
}

// ---------------------------------------------------------------- one cheap call with a token

export type AccountCheck =
  | { ok: true; label: string | null }
  | { ok: false; reason: "refused"; detail: string }
  | { ok: false; reason: "unreachable"; detail: string };

/**
 * Proves the token works with the provider's cheapest "who am I" call, and names the account:
 * GitHub GET /user (login), Gmail GET users/me/profile (address), Slack auth.test (workspace),
 * Box GET /2.0/users/me (login).
 */
export async function checkToken(p: OAuthProvider, accessToken: string): Promise<AccountCheck> {
  const auth = { authorization: `Bearer ${accessToken}`, "user-agent": USER_AGENT };
  let res: Response;
  try {
    const signal = AbortSignal.timeout(ACCOUNT_TIMEOUT_MS);
    switch (p.type) {
      case "github":
        res = await nodeFetch(`${p.apiUrl}/user`, {
          headers: { ...auth, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
          signal,
        });
        break;
      case "gmail":
        res = await nodeFetch(`${p.apiUrl}/gmail/v1/users/me/profile`, { headers: { ...auth, accept: "application/json" }, signal });
        break;
      case "slack":
        res = await nodeFetch(`${p.apiUrl}/auth.test`, {
          method: "POST",
          headers: { ...auth, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
          body: "",
          signal,
        });
        break;
      case "box":
        res = await nodeFetch(`${p.apiUrl}/2.0/users/me?fields=login,name`, { headers: { ...auth, accept: "application/json" }, signal });
        break;
    }
    const body = await readAnswer(res);
    if (res.status === 401 || res.status === 403) return { ok: false, reason: "refused", detail: `HTTP ${res.status}` };
    if (p.type === "slack") {
      if (body?.ok === true) return { ok: true, label: str(body.team) ?? str(body.user) ?? null };
      const err = str(body?.error);
      if (err && res.status < 500) return { ok: false, reason: "refused", detail: err };
      return { ok: false, reason: "unreachable", detail: `HTTP ${res.status}` };
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 429) return { ok: false, reason: "refused", detail: `HTTP ${res.status}` };
    if (!res.ok || !body) return { ok: false, reason: "unreachable", detail: `HTTP ${res.status}` };
    const label = p.type === "github" ? str(body.login) : p.type === "gmail" ? str(body.emailAddress) : str(body.login) ?? str(body.name);
    return { ok: true, label: label ?? null };
  } catch (error) {
    return { ok: false, reason: "unreachable", detail: (error as Error)?.name ?? "error" };
  }
}

// ---------------------------------------------------------------- revoke

export interface RevokeResult {
  revoked: boolean;
  /** Why not (for the user): "timed out", "HTTP 404"… */
  detail?: string;
}

/** Revokes the grant at the provider; never throws (disconnecting must not depend on it). */
export async function revokeAtProvider(p: OAuthProvider, creds: { accessToken?: string; refreshToken?: string }): Promise<RevokeResult> {
  const token = creds.refreshToken ?? creds.accessToken;
  if (!token || !creds.accessToken) return { revoked: false, detail: "no token stored" };
  const signal = AbortSignal.timeout(REVOKE_TIMEOUT_MS);
  try {
    switch (p.type) {
      case "github": {
        if (!p.clientId || !p.clientSecret) return { revoked: false, detail: "no GitHub OAuth app configured to revoke with" };
        const basic = Buffer.from(`${p.clientId}:${p.clientSecret}`).toString("base64");
        const res = await nodeFetch(revokeUrlFor(p), {
          method: "DELETE",
          headers: {
            authorization: `Basic ${basic}`,
            accept: "application/vnd.github+json",
            "content-type": "application/json",
            "x-github-api-version": "2022-11-28",
            "user-agent": USER_AGENT,
          },
          body: JSON.stringify({ access_token: creds.accessToken }),
          signal,
        });
        await res.body?.cancel().catch(() => undefined);
        return res.status === 204 ? { revoked: true } : { revoked: false, detail: `HTTP ${res.status}` };
      }
      case "gmail": {
        const res = await nodeFetch(p.revokeUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "user-agent": USER_AGENT },
          body: new URLSearchParams({ token }).toString(),
          signal,
        });
        const body = await readAnswer(res);
        if (res.ok) return { revoked: true };
        // Already expired or revoked: it no longer grants anything.
        if (res.status === 400 && str(body?.error) === "invalid_token") return { revoked: true };
        return { revoked: false, detail: `HTTP ${res.status}` };
      }
      case "slack": {
        const res = await nodeFetch(p.revokeUrl, {
          method: "POST",
          headers: {
            authorization: `Bearer ${creds.accessToken}`,
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
            "user-agent": USER_AGENT,
          },
          body: "",
          signal,
        });
        const body = await readAnswer(res);
        if (body?.ok === true) return { revoked: true };
        const err = str(body?.error);
        if (err === "invalid_auth" || err === "token_revoked" || err === "account_inactive") return { revoked: true };
        return { revoked: false, detail: err ?? `HTTP ${res.status}` };
      }
      case "box": {
        if (!p.clientId || !p.clientSecret) return { revoked: false, detail: "no Box OAuth app configured to revoke with" };
        const res = await nodeFetch(p.revokeUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "user-agent": USER_AGENT },
          body: new URLSearchParams({ client_id: p.clientId, client_secret: p.clientSecret, token }).toString(),
          signal,
        });
        await res.body?.cancel().catch(() => undefined);
        return res.ok ? { revoked: true } : { revoked: false, detail: `HTTP ${res.status}` };
      }
    }
  } catch (error) {
    const name = (error as Error)?.name;
    return { revoked: false, detail: name === "TimeoutError" || name === "AbortError" ? "no answer in time" : "not reachable" };
  }
}
