// The sandbox's code exchange (grant_type=authorization_code, with PKCE) and revoke endpoints,
// each answered in its provider's shape.
import { unseal } from "@/lib/oauth/seal";
import { oauthProvider } from "@/lib/oauth/providers";
import { s256 } from "@/lib/oauth/state";
import { db } from "@/lib/db";
import { sha256 } from "@/lib/crypto";
import { issueSandboxCredentialsForAccount, revokeSandboxAccount, sandboxTokenAccount } from "@/lib/sandbox/accounts";
import { boxTokenAnswer } from "@/lib/sandbox/box/token";
import { BOT_USER_ID, TEAM_ID, TEAM_NAME } from "@/lib/sandbox/slack/data";
import type { ConnectorType } from "@/lib/contract";
import {
  CODE_TTL_MS,
  clientFromRequest,
  githubAnswer,
  overOAuthLimit,
  isRegisteredClient,
  json,
  readForm,
  sameSecret,
  tokenError,
  type CodePayload,
  type TokenErrorKind,
} from "./oauth-http";

/**
 * Spends the consent a code came from: "ok" the first time, "replayed" after that. One row per
 * consent (its account key), written only here, after the client authenticated: a consent
 * replayed at the authorize page mints codes that all name the same account, and only the
 * first of them is ever exchanged.
 */
async function spendConsent(accountKey: string, provider: ConnectorType): Promise<"ok" | "replayed"> {
  const tokenHash = sha256(`sandbox-consent:${accountKey}`);
  if (await db().sandboxToken.findUnique({ where: { tokenHash }, select: { id: true } })) return "replayed";
  try {
    await db().sandboxToken.create({
      data: { connectionId: accountKey, provider, kind: "code", tokenHash, expiresAt: new Date(Date.now() + CODE_TTL_MS), revokedAt: new Date() },
    });
    return "ok";
  } catch (error) {
    // Two exchanges at once: the unique hash lets one in.
    if (await db().sandboxToken.findUnique({ where: { tokenHash }, select: { id: true } })) return "replayed";
    throw error;
  }
}

export async function token(provider: ConnectorType, req: Request, form: URLSearchParams): Promise<Response> {
  const fail = (kind: TokenErrorKind, description: string) => tokenError(provider, req, kind, description);
  const wait = await overOAuthLimit(provider, "token", req);
  if (wait !== null) {
    return json(429, { error: "rate_limited", error_description: `Too many token requests; try again in ${wait} s.` }, { "retry-after": String(wait) });
  }
  const client = clientFromRequest(req, form);
  if (!isRegisteredClient(provider, client)) {
    return fail("invalid_client", "The client_id and/or client_secret passed are incorrect.");
  }
  const grant = form.get("grant_type") ?? (provider === "github" || provider === "slack" ? "authorization_code" : null);
  if (grant !== "authorization_code") return fail("unsupported_grant_type", `Unsupported grant_type: ${grant ?? ""}`);
  const code = form.get("code");
  if (!code) return fail("invalid_request", "Missing required parameter: code");
  const payload = unseal<CodePayload>(`sandbox-oauth-code:${provider}`, code);
  if (!payload) return fail("invalid_grant", "The code passed is incorrect or expired.");
  if (payload.exp <= Date.now() || typeof payload.k !== "string") return fail("invalid_grant", "The code passed is incorrect or expired.");
  // Spent on the first attempt, whatever follows: a code (and its consent) is good for one try only.
  if ((await spendConsent(payload.k, provider)) === "replayed") {
    // Like Google: a code used twice may have leaked; revoke what its first use issued.
    await revokeSandboxAccount(payload.k);
    return fail("invalid_grant", "The code was already used.");
  }
  if (!sameSecret(payload.c, client.id)) return fail("invalid_grant", "The code was issued to another client.");
  const redirectUri = form.get("redirect_uri");
  if (redirectUri !== payload.r) return fail("redirect_uri_mismatch", "The redirect_uri MUST match the one of the authorization request.");
  const verifier = form.get("code_verifier");
  if (payload.ch) {
    if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !sameSecret(s256(verifier), payload.ch)) {
      return fail("invalid_grant", "Invalid code verifier.");
    }
  } else if (verifier) {
    return fail("invalid_grant", "code_verifier sent for a code issued without a code_challenge.");
  }

  const issued = await issueSandboxCredentialsForAccount(payload.k, provider, { withRefresh: payload.off === true });
  const { scopes, scopeSeparator } = oauthProvider(provider);
  const scope = scopes.join(scopeSeparator);
  switch (provider) {
    case "github":
      return githubAnswer(req, { access_token: issued.accessToken, token_type: "bearer", scope });
    case "gmail":
      return json(200, {
        access_token: issued.accessToken,
        expires_in: issued.expiresIn,
        ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
        scope,
        token_type: "Bearer",
      });
    case "slack":
      return json(200, {
        ok: true,
        app_id: "A05SBX2ND",
        authed_user: { id: "U05SBXUSER" },
        scope,
        token_type: "bot",
        access_token: issued.accessToken,
        bot_user_id: BOT_USER_ID,
        team: { id: TEAM_ID, name: TEAM_NAME },
        enterprise: null,
        is_enterprise_install: false,
      });
    case "box":
      return json(200, boxTokenAnswer(issued));
  }
}

export async function revoke(provider: ConnectorType, req: Request, subpath: string): Promise<Response> {
  const method = req.method.toUpperCase();
  if (provider === "github") {
    if (method !== "DELETE") return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    const client = clientFromRequest(req, new URLSearchParams());
    const pathClient = decodeURIComponent(subpath.split("/")[2] ?? "");
    if (!isRegisteredClient(provider, client) || pathClient !== client.id) {
      return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization" });
    }
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      body = null;
    }
    const accessToken = body && typeof body === "object" ? (body as Record<string, unknown>).access_token : undefined;
    if (typeof accessToken !== "string") return json(422, { message: "Invalid request.", documentation_url: "https://docs.github.com/rest" });
    const owner = await sandboxTokenAccount(accessToken, provider);
    if (!owner || owner.revoked) return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    await revokeSandboxAccount(owner.accountKey);
    return new Response(null, { status: 204 });
  }

  if (method !== "POST") return json(405, { error: "invalid_request", error_description: "Use POST." });
  const form = (await readForm(req)) ?? new URLSearchParams();
  if (provider === "slack") {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const tokenValue = bearer ?? form.get("token");
    if (!tokenValue) return json(200, { ok: false, error: "not_authed" });
    const owner = await sandboxTokenAccount(tokenValue, provider);
    if (!owner || owner.revoked || owner.kind !== "access") return json(200, { ok: false, error: "invalid_auth" });
    if (form.get("test") === "1" || form.get("test") === "true") return json(200, { ok: true, revoked: false });
    await revokeSandboxAccount(owner.accountKey);
    return json(200, { ok: true, revoked: true });
  }
  if (provider === "box") {
    if (!isRegisteredClient(provider, clientFromRequest(req, form))) {
      return json(400, { error: "invalid_client", error_description: "The client credentials are invalid" });
    }
  }
  const tokenValue = form.get("token") ?? new URL(req.url).searchParams.get("token");
  if (!tokenValue) return json(400, { error: "invalid_request", error_description: "Missing required parameter: token" });
  const owner = await sandboxTokenAccount(tokenValue, provider);
  if (!owner || owner.revoked) {
    // Box answers 200 for a token it does not know; Google says invalid_token.
    return provider === "box" ? new Response(null, { status: 200 }) : json(400, { error: "invalid_token", error_description: "Token expired or revoked" });
  }
  await revokeSandboxAccount(owner.accountKey);
  return provider === "box" ? new Response(null, { status: 200 }) : json(200, {});
}
