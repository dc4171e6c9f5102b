// GET /api/integrations/{type}/oauth/callback?code&state (or ?error=access_denied&state):
// checks the state against the sealed cookie, trades the code for tokens, stores them
// encrypted on the user's connection (mode live) and sends the browser back to
// /integrations?connected=<type>. Anything wrong goes back to /integrations?error=<code>
// (words in components/integrations/oauth-messages.ts): never a 5xx, nothing stored.
import { getViewer } from "@/lib/auth";
import { ApiError } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { connectLive } from "@/lib/connections/live";
import { checkToken, exchangeCode, OAuthError } from "@/lib/oauth/flow";
import { isLiveConfigured, oauthProvider } from "@/lib/oauth/providers";
import { redirectUriFor } from "@/lib/oauth/redirect";
import { checkOAuthState, clearStateCookie, readCookie, stateCookieName } from "@/lib/oauth/state";
import type { OAuthErrorCode } from "@/components/integrations/oauth-messages";
import type { ConnectorType } from "@/lib/sync/types";

export const dynamic = "force-dynamic";

function back(query: Record<string, string>, type?: ConnectorType): Response {
  const headers = new Headers({ location: `/integrations?${new URLSearchParams(query).toString()}`, "cache-control": "no-store", "referrer-policy": "no-referrer" });
  if (type) headers.append("set-cookie", clearStateCookie(type));
  return new Response(null, { status: 302, headers });
}

const fail = (type: ConnectorType, code: OAuthErrorCode) => back({ error: code, provider: type }, type);

export async function GET(req: Request, route: { params: Promise<unknown> }): Promise<Response> {
  const parsed = typeParams.safeParse(await route.params);
  if (!parsed.success) return back({ error: "failed" });
  const type = parsed.data.type;
  try {
    const viewer = await getViewer(req.headers);
    if (!viewer) {
      const headers = new Headers({ location: "/sign-in", "cache-control": "no-store" });
      headers.append("set-cookie", clearStateCookie(type));
      return new Response(null, { status: 302, headers });
    }
    const q = new URL(req.url).searchParams;
    const providerError = q.get("error");
    const check = checkOAuthState({ cookie: readCookie(req.headers.get("cookie"), stateCookieName(type)), state: q.get("state"), userId: viewer.userId, type });
    if (providerError !== null) {
      // The user said no (or the provider could not go on): say so, whatever the state.
      return fail(type, providerError === "access_denied" ? "access_denied" : "provider_error");
    }
    if (!check.ok) return fail(type, check.code);
    const code = q.get("code");
    if (!code || code.length > 4096) return fail(type, "missing_code");
    if (!isLiveConfigured(type)) return fail(type, "not_configured");

    const p = oauthProvider(type);
    const tokens = await exchangeCode(p, { code, redirectUri: redirectUriFor(req, type), ...(check.verifier ? { verifier: check.verifier } : {}) });
    // One cheap call: proves the token works and names the account (Slack named it already).
    const account = await checkToken(p, tokens.accessToken);
    if (!account.ok && account.reason === "refused") throw new OAuthError("token_unusable", `${type}: the new token was refused (${account.detail})`);
    const label = (account.ok ? account.label : null) ?? tokens.teamName ?? null;
    await connectLive(viewer, type, tokens, label, "oauth");
    return back({ connected: type }, type);
  } catch (error) {
    if (error instanceof OAuthError) {
      console.warn(`[oauth] ${type} connect failed: ${error.code} — ${error.detail}`);
      return fail(type, error.code);
    }
    if (error instanceof ApiError && error.status === 409) return fail(type, /sync is running/.test(error.message) ? "sync_running" : "unavailable");
    console.error(`[oauth] ${type} callback failed unexpectedly:`, error instanceof Error ? error.message : "unknown error");
    return fail(type, "failed");
  }
}
