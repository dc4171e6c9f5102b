// Tokens of the built-in sandboxes, kept in the database like a provider keeps them: an
// access token that can expire, a refresh token that (for Box) rotates on every use.
import { db } from "@/lib/db";
import { randomToken, sha256 } from "@/lib/crypto";
import { DEFAULT_SANDBOX_SCENARIO, type ConnectorType, type SandboxChange, type SandboxScenario } from "@/lib/contract";
import { loadSandboxChanges } from "@/lib/sandbox/changes-store";
import { sandboxScenarioSchema } from "@/lib/sandbox/scenario";

export interface SandboxAccount {
  /** Stable per connection: rate-limit buckets and seeded data hang off it. */
  key: string;
  scenario: SandboxScenario;
  login?: string;
  /**
   * The dataset's changes since the scenario was set (POST /api/integrations/{type}/sandbox/changes),
   * oldest first; absent or empty: the seeded dataset as it is.
   */
  changes?: readonly SandboxChange[];
}

export type TokenCheck = { status: "ok"; account: SandboxAccount } | { status: "expired" | "unknown" };

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn: number;
}

/** What a provider sandbox needs to authenticate callers and refresh their tokens. */
export interface SandboxAuth {
  checkAccessToken(token: string): Promise<TokenCheck>;
  /** Exchanges a refresh token; `rotate` also replaces the refresh token (Box). Null: refused. */
  refresh(refreshToken: string, opts: { rotate: boolean }): Promise<IssuedTokens | null>;
}

const ACCESS_TTL_S = 3600;
/** Providers whose sandbox hands out refresh tokens (like the real ones). */
const REFRESHABLE: ReadonlySet<ConnectorType> = new Set(["gmail", "box"]);

function tokenPrefix(provider: ConnectorType, kind: "access" | "refresh"): string {
  const real: Record<ConnectorType, string> = { github: "ghs_", gmail: "ya29.", slack: "xoxb-", box: "box_" };
  return `${real[provider]}sbx_${kind === "refresh" ? "r_" : ""}`;
}

async function issue(connectionId: string, provider: ConnectorType, withRefresh: boolean): Promise<IssuedTokens> {
  const accessToken = randomToken(tokenPrefix(provider, "access"));
  const rows = [
    { connectionId, provider, kind: "access", tokenHash: sha256(accessToken), expiresAt: new Date(Date.now() + ACCESS_TTL_S * 1000) },
  ];
  let refreshToken: string | undefined;
  if (withRefresh) {
    refreshToken = randomToken(tokenPrefix(provider, "refresh"));
    rows.push({ connectionId, provider, kind: "refresh", tokenHash: sha256(refreshToken), expiresAt: null as unknown as Date });
  }
  await db().sandboxToken.createMany({ data: rows });
  return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S };
}

/** New credentials for a sandbox connection (connect): revokes what it had. */
export async function issueSandboxCredentials(connectionId: string, provider: ConnectorType): Promise<IssuedTokens> {
  await db().sandboxToken.updateMany({ where: { connectionId, revokedAt: null }, data: { revokedAt: new Date() } });
  return issue(connectionId, provider, REFRESHABLE.has(provider));
}

// ---------------------------------------------------------------- accounts created by OAuth

/**
 * Accounts the sandboxes' OAuth endpoints (lib/sandbox/oauth.ts) create: the key stands where a
 * sandbox connection's id stands (cuids never contain "_"), with the default scenario.
 */
export const OAUTH_ACCOUNT_PREFIX = "oauth_";

export function newSandboxOAuthAccountKey(): string {
  return `${OAUTH_ACCOUNT_PREFIX}${randomToken("", 12)}`;
}

/** Tokens for a sandbox account that signed in through the sandbox's OAuth authorize page. */
export async function issueSandboxCredentialsForAccount(
  accountKey: string,
  provider: ConnectorType,
  opts: { withRefresh?: boolean } = {},
): Promise<IssuedTokens> {
  return issue(accountKey, provider, opts.withRefresh ?? REFRESHABLE.has(provider));
}

/** Revokes every token of a sandbox account (a connection id or an OAuth account key). */
export async function revokeSandboxAccount(accountKey: string): Promise<number> {
  const { count } = await db().sandboxToken.updateMany({ where: { connectionId: accountKey, revokedAt: null }, data: { revokedAt: new Date() } });
  return count;
}

/** Which account an access or refresh token belongs to (revoked or not), or null. */
export async function sandboxTokenAccount(token: string, provider: ConnectorType): Promise<{ accountKey: string; kind: string; revoked: boolean } | null> {
  const row = await db().sandboxToken.findUnique({ where: { tokenHash: sha256(token) } });
  if (!row || row.provider !== provider || (row.kind !== "access" && row.kind !== "refresh")) return null;
  return { accountKey: row.connectionId, kind: row.kind, revoked: row.revokedAt !== null };
}

/** Records a one-time authorization code (only its hash) for the account. */
export async function recordSandboxAuthCode(code: string, accountKey: string, provider: ConnectorType, ttlMs: number): Promise<void> {
  await db().sandboxToken.create({
    data: { connectionId: accountKey, provider, kind: "code", tokenHash: sha256(code), expiresAt: new Date(Date.now() + ttlMs) },
  });
}

/**
 * Spends an authorization code: "ok" the first time; "replayed" after that (the caller revokes
 * what the first use issued, as Google does); "expired"; "unknown".
 */
export async function redeemSandboxAuthCode(code: string, provider: ConnectorType): Promise<{ status: "ok" | "replayed" | "expired" | "unknown"; accountKey?: string }> {
  const row = await db().sandboxToken.findUnique({ where: { tokenHash: sha256(code) } });
  if (!row || row.kind !== "code" || row.provider !== provider) return { status: "unknown" };
  const { count } = await db().sandboxToken.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) return { status: "replayed", accountKey: row.connectionId };
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return { status: "expired", accountKey: row.connectionId };
  return { status: "ok", accountKey: row.connectionId };
}

/** The `expired_token` fault: every access token of the connection expires now (refresh still works). */
export async function expireSandboxAccessTokens(connectionId: string): Promise<void> {
  await db().sandboxToken.updateMany({ where: { connectionId, kind: "access", revokedAt: null }, data: { expiresAt: new Date() } });
}

/** The sandbox account behind a sandbox connection (or an OAuth sandbox account key), with its changes. */
export async function sandboxAccountFor(connectionId: string, provider: ConnectorType): Promise<SandboxAccount | null> {
  // Signed in through the sandbox's OAuth page (a live-mode connection of the app): no
  // sandbox connection holds a scenario for it, so it gets the default one.
  if (connectionId.startsWith(OAUTH_ACCOUNT_PREFIX)) {
    return { key: connectionId, scenario: DEFAULT_SANDBOX_SCENARIO, login: "sandbox-user", changes: await loadSandboxChanges(connectionId, provider) };
  }
  const conn = await db().connection.findUnique({ where: { id: connectionId } });
  if (!conn || conn.type !== provider || conn.mode !== "sandbox") return null;
  const parsed = sandboxScenarioSchema.safeParse(conn.sandboxScenario ? JSON.parse(conn.sandboxScenario) : DEFAULT_SANDBOX_SCENARIO);
  return {
    key: conn.id,
    scenario: parsed.success ? parsed.data : DEFAULT_SANDBOX_SCENARIO,
    login: "sandbox-user",
    changes: await loadSandboxChanges(conn.id, provider),
  };
}

export function sandboxAuth(provider: ConnectorType): SandboxAuth {
  return {
    async checkAccessToken(token) {
      const row = await db().sandboxToken.findUnique({ where: { tokenHash: sha256(token) } });
      if (!row || row.kind !== "access" || row.provider !== provider || row.revokedAt) return { status: "unknown" };
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return { status: "expired" };
      const account = await sandboxAccountFor(row.connectionId, provider);
      return account ? { status: "ok", account } : { status: "unknown" };
    },
    async refresh(refreshToken, { rotate }) {
      const row = await db().sandboxToken.findUnique({ where: { tokenHash: sha256(refreshToken) } });
      if (!row || row.kind !== "refresh" || row.provider !== provider || row.revokedAt) return null;
      if (rotate) {
        // One use only: a second exchange of the same refresh token is refused, as at Box.
        const { count } = await db().sandboxToken.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: new Date() } });
        if (count === 0) return null;
      }
      const issued = await issue(row.connectionId, provider, rotate);
      return rotate ? issued : { accessToken: issued.accessToken, expiresIn: issued.expiresIn };
    },
  };
}
