// An in-memory SandboxAuth for tests and benchmarks that run a sandbox without the app's
// database: same rules as lib/sandbox/accounts.ts (expiry, refresh, Box-style rotation).
import { randomUUID } from "node:crypto";
import type { IssuedTokens, SandboxAccount, SandboxAuth, TokenCheck } from "@/lib/sandbox/accounts";
import type { SandboxChange, SandboxScenario } from "@/lib/contract";

interface Entry {
  key: string;
  kind: "access" | "refresh";
  expiresAt?: number;
  revoked?: boolean;
}

export class MemorySandboxAuth implements SandboxAuth {
  private tokens = new Map<string, Entry>();
  private scenarios = new Map<string, SandboxScenario>();
  private changes = new Map<string, SandboxChange[]>();

  /** Creates an account with the scenario; returns its first tokens. */
  account(key: string, scenario: SandboxScenario, withRefresh = true): IssuedTokens {
    this.scenarios.set(key, scenario);
    return this.issue(key, withRefresh);
  }

  setScenario(key: string, scenario: SandboxScenario): void {
    this.scenarios.set(key, scenario);
  }

  /** The account's change log (POST .../sandbox/changes in the app), oldest first. */
  changesOf(key: string): readonly SandboxChange[] {
    return this.changes.get(key) ?? [];
  }

  /** Appends to the account's change log (lib/sandbox/change-plan.ts plans them). */
  addChanges(key: string, changes: readonly SandboxChange[]): void {
    this.changes.set(key, [...this.changesOf(key), ...changes]);
  }

  /** Like the `expired_token` fault: every access token of the account expires now. */
  expireAccessTokens(key: string): void {
    for (const e of this.tokens.values()) if (e.key === key && e.kind === "access") e.expiresAt = Date.now() - 1;
  }

  /** Revokes every refresh token of the account (a refused refresh). */
  revokeRefreshTokens(key: string): void {
    for (const e of this.tokens.values()) if (e.key === key && e.kind === "refresh") e.revoked = true;
  }

  async checkAccessToken(token: string): Promise<TokenCheck> {
    const e = this.tokens.get(token);
    if (!e || e.kind !== "access" || e.revoked) return { status: "unknown" };
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) return { status: "expired" };
    const scenario = this.scenarios.get(e.key);
    if (!scenario) return { status: "unknown" };
    const account: SandboxAccount = { key: e.key, scenario, login: "sandbox-user", changes: this.changesOf(e.key) };
    return { status: "ok", account };
  }

  async refresh(refreshToken: string, opts: { rotate: boolean }): Promise<IssuedTokens | null> {
    const e = this.tokens.get(refreshToken);
    if (!e || e.kind !== "refresh" || e.revoked) return null;
    if (opts.rotate) e.revoked = true;
    const issued = this.issue(e.key, opts.rotate);
    return opts.rotate ? issued : { accessToken: issued.accessToken, expiresIn: issued.expiresIn };
  }

  private issue(key: string, withRefresh: boolean): IssuedTokens {
    const accessToken = `mem_access_${randomUUID()}`;
    this.tokens.set(accessToken, { key, kind: "access", expiresAt: Date.now() + 3600_000 });
    let refreshToken: string | undefined;
    if (withRefresh) {
      refreshToken = `mem_refresh_${randomUUID()}`;
      this.tokens.set(refreshToken, { key, kind: "refresh" });
    }
    return { accessToken, refreshToken, expiresIn: 3600 };
  }
}
