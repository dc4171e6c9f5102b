// The OAuth building blocks without a server: sealed state, PKCE, authorize URLs, and each
// provider's token answer.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "@/lib/env";

beforeAll(() => {
  process.env.APP_SECRET ??= "unit-test-secret-0123456789abcdef0123456789";
});

const { seal, unseal } = await import("@/lib/oauth/seal");
const { checkOAuthState, clearStateCookie, newOAuthState, pkcePair, readCookie } = await import("@/lib/oauth/state");
const { buildAuthorizeUrl, parseTokenAnswer, OAuthError } = await import("@/lib/oauth/flow");
const { oauthProvider, revokeUrlFor } = await import("@/lib/oauth/providers");

function envWith(patch: Partial<Env>): Env {
  const base = {
    GITHUB_AUTHORIZE_URL: "https://github.com/login/oauth/authorize",
    GITHUB_TOKEN_URL: "https://github.com/login/oauth/access_token",
    GITHUB_REVOKE_URL: "https://api.github.com/applications/{client_id}/grant",
    GITHUB_API_URL: "https://api.github.com",
    GOOGLE_AUTHORIZE_URL: "https://accounts.google.com/o/oauth2/v2/auth",
    GOOGLE_TOKEN_URL: "https://oauth2.googleapis.com/token",
    GOOGLE_REVOKE_URL: "https://oauth2.googleapis.com/revoke",
    GOOGLE_API_URL: "https://gmail.googleapis.com",
    SLACK_AUTHORIZE_URL: "https://slack.com/oauth/v2/authorize",
    SLACK_TOKEN_URL: "https://slack.com/api/oauth.v2.access",
    SLACK_REVOKE_URL: "https://slack.com/api/auth.revoke",
    SLACK_API_URL: "https://slack.com/api",
    BOX_AUTHORIZE_URL: "https://account.box.com/api/oauth2/authorize",
    BOX_TOKEN_URL: "https://api.box.com/oauth2/token",
    BOX_REVOKE_URL: "https://api.box.com/oauth2/revoke",
    BOX_API_URL: "https://api.box.com",
  };
  return { ...base, ...patch } as Env;
}

describe("seal", () => {
  it("opens only for its purpose and only untampered", () => {
    const sealed = seal("a", { x: 1 });
    expect(unseal("a", sealed)).toEqual({ x: 1 });
    expect(unseal("b", sealed)).toBeNull();
    const body = sealed.slice(3);
    const flipped = `s1.${body.slice(0, 10)}${body[10] === "A" ? "B" : "A"}${body.slice(11)}`;
    expect(unseal("a", flipped)).toBeNull();
    expect(unseal("a", "s1.")).toBeNull();
    expect(unseal("a", "nonsense")).toBeNull();
  });
});

describe("OAuth state", () => {
  const cookieOf = (setCookie: string) => readCookie(setCookie.split(";")[0]!, "sb_oauth_github");

  it("is bound to the user, the provider and the state, expires after 10 minutes, and works once", () => {
    const now = 1_000_000;
    const s = newOAuthState("user-1", "github", true, now);
    expect(s.setCookie).toMatch(/^sb_oauth_github=s1\.[A-Za-z0-9_-]+; Path=\/api\/integrations; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(s.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = cookieOf(s.setCookie);
    expect(checkOAuthState({ cookie, state: s.state, userId: "user-2", type: "github", now })).toEqual({ ok: false, code: "user_mismatch" });
    expect(checkOAuthState({ cookie, state: `${s.state}x`, userId: "user-1", type: "github", now })).toEqual({ ok: false, code: "state_mismatch" });
    expect(checkOAuthState({ cookie, state: s.state, userId: "user-1", type: "gmail", now })).toEqual({ ok: false, code: "state_mismatch" });
    expect(checkOAuthState({ cookie, state: s.state, userId: "user-1", type: "github", now: now + 600_001 })).toEqual({ ok: false, code: "state_expired" });
    expect(checkOAuthState({ cookie: null, state: s.state, userId: "user-1", type: "github", now })).toEqual({ ok: false, code: "state_missing" });
    expect(checkOAuthState({ cookie: `${cookie}x`, state: s.state, userId: "user-1", type: "github", now })).toEqual({ ok: false, code: "state_invalid" });

    const ok = checkOAuthState({ cookie, state: s.state, userId: "user-1", type: "github", now });
    expect(ok.ok).toBe(true);
    // The verifier matches the challenge sent to the provider.
    const verifier = (ok as { verifier: string }).verifier;
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(s.challenge);
    expect(checkOAuthState({ cookie, state: s.state, userId: "user-1", type: "github", now })).toEqual({ ok: false, code: "state_replayed" });
  });

  it("carries no verifier for providers without PKCE; clearing expires the cookie", () => {
    const s = newOAuthState("u", "slack", false);
    expect(s.challenge).toBeUndefined();
    const check = checkOAuthState({ cookie: readCookie(s.setCookie.split(";")[0]!, "sb_oauth_slack"), state: s.state, userId: "u", type: "slack" });
    expect(check).toEqual({ ok: true });
    expect(clearStateCookie("slack")).toBe("sb_oauth_slack=; Path=/api/integrations; Max-Age=0; HttpOnly; SameSite=Lax");
  });

  it("PKCE pairs are S256 and distinct", () => {
    const a = pkcePair();
    const b = pkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash("sha256").update(a.verifier).digest("base64url"));
    expect(a.verifier).not.toBe(b.verifier);
  });
});

describe("authorize URLs", () => {
  const e = envWith({ GITHUB_CLIENT_ID: "gh-id", GITHUB_CLIENT_SECRET: "s", GOOGLE_CLIENT_ID: "g-id", GOOGLE_CLIENT_SECRET: "s", SLACK_CLIENT_ID: "sl-id", SLACK_CLIENT_SECRET: "s", BOX_CLIENT_ID: "b-id", BOX_CLIENT_SECRET: "s" });
  const opts = { redirectUri: "https://app.example/api/integrations/x/oauth/callback", state: "st", challenge: "c".repeat(43) };

  it("GitHub: repo scope, PKCE S256", () => {
    const u = new URL(buildAuthorizeUrl(oauthProvider("github", e), opts));
    expect(`${u.origin}${u.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(u.searchParams)).toEqual({ client_id: "gh-id", redirect_uri: opts.redirectUri, state: "st", scope: "repo", code_challenge: opts.challenge, code_challenge_method: "S256" });
  });

  it("Google: read-only Gmail scope, offline access with consent, PKCE", () => {
    const u = new URL(buildAuthorizeUrl(oauthProvider("gmail", e), opts));
    expect(`${u.origin}${u.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(u.searchParams)).toMatchObject({
      client_id: "g-id",
      scope: "https://www.googleapis.com/auth/gmail.readonly",
      response_type: "code",
      access_type: "offline",
      prompt: "consent",
      code_challenge_method: "S256",
    });
  });

  it("Slack and Box: state only, no PKCE", () => {
    const slack = new URL(buildAuthorizeUrl(oauthProvider("slack", e), opts));
    expect(slack.searchParams.get("scope")).toBe("channels:read,channels:history,groups:read,groups:history,users:read");
    expect(slack.searchParams.has("code_challenge")).toBe(false);
    const box = new URL(buildAuthorizeUrl(oauthProvider("box", e), opts));
    expect(`${box.origin}${box.pathname}`).toBe("https://account.box.com/api/oauth2/authorize");
    expect(box.searchParams.get("response_type")).toBe("code");
    expect(box.searchParams.has("code_challenge")).toBe(false);
    expect(box.searchParams.has("scope")).toBe(false);
  });

  it("GitHub's revoke URL names the client", () => {
    expect(revokeUrlFor(oauthProvider("github", e))).toBe("https://api.github.com/applications/gh-id/grant");
  });
});

describe("token answers", () => {
  const e = envWith({});
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("GitHub: form-encoded or JSON; an error arrives with HTTP 200", () => {
    const gh = oauthProvider("github", e);
    expect(parseTokenAnswer(gh, 200, Object.fromEntries(new URLSearchParams("access_token=gho_x&scope=repo&token_type=bearer")), now)).toEqual({ accessToken: "gho_x" });
    expect(parseTokenAnswer(gh, 200, { access_token: "ghu_x", refresh_token: "ghr_y", expires_in: "28800" }, now)).toEqual({
      accessToken: "ghu_x",
      refreshToken: "ghr_y",
      expiresAt: "2026-01-01T08:00:00.000Z",
    });
    expect(() => parseTokenAnswer(gh, 200, { error: "bad_verification_code" }, now)).toThrow(OAuthError);
    try {
      parseTokenAnswer(gh, 200, { error: "bad_verification_code" }, now);
    } catch (error) {
      expect((error as InstanceType<typeof OAuthError>).code).toBe("exchange_failed");
      expect((error as Error).message).toContain("bad_verification_code");
    }
  });

  it("Slack: ok:false is a refusal; the team names the account", () => {
    const slack = oauthProvider("slack", e);
    expect(parseTokenAnswer(slack, 200, { ok: true, access_token: "xoxb-1", team: { id: "T1", name: "Acme" } }, now)).toEqual({ accessToken: "xoxb-1", teamName: "Acme" });
    expect(() => parseTokenAnswer(slack, 200, { ok: false, error: "invalid_code" }, now)).toThrow(/invalid_code/);
    expect(() => parseTokenAnswer(slack, 200, { access_token: "xoxb-1" }, now)).toThrow(OAuthError);
  });

  it("Google and Box: JSON with refresh token and lifetime; HTTP 400 is a refusal, 5xx the provider's trouble", () => {
    const g = oauthProvider("gmail", e);
    expect(parseTokenAnswer(g, 200, { access_token: "ya29.a", refresh_token: "1//r", expires_in: 3599, token_type: "Bearer" }, now)).toEqual({
      accessToken: "ya29.a",
      refreshToken: "1//r",
      expiresAt: "2026-01-01T00:59:59.000Z",
    });
    const box = oauthProvider("box", e);
    try {
      parseTokenAnswer(box, 400, { error: "invalid_grant" }, now);
      expect.unreachable();
    } catch (error) {
      expect((error as InstanceType<typeof OAuthError>).code).toBe("exchange_failed");
    }
    try {
      parseTokenAnswer(box, 503, null, now);
      expect.unreachable();
    } catch (error) {
      expect((error as InstanceType<typeof OAuthError>).code).toBe("provider_error");
    }
    expect(() => parseTokenAnswer(g, 200, { access_token: "" }, now)).toThrow(OAuthError);
  });
});
