// Google's OAuth token endpoint, for grant_type=refresh_token (the code exchange is ../oauth-token.ts).
import type { SandboxAuth } from "@/lib/sandbox/accounts";

const SCOPE = "https://www.googleapis.com/auth/gmail.readonly";

export async function tokenEndpoint(req: Request, auth: SandboxAuth): Promise<Response> {
  const oauthError = (status: number, error: string, description: string) =>
    new Response(JSON.stringify({ error, error_description: description }), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" },
    });
  if (req.method !== "POST") return oauthError(405, "invalid_request", "Only POST is supported.");
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    return oauthError(400, "invalid_request", "Request must be application/x-www-form-urlencoded.");
  }
  const form = new URLSearchParams(await req.text());
  const grant = form.get("grant_type");
  if (!grant) return oauthError(400, "unsupported_grant_type", "Invalid grant_type: ");
  if (grant !== "refresh_token") return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${grant}`);
  const refreshToken = form.get("refresh_token");
  if (!refreshToken) return oauthError(400, "invalid_request", "Missing required parameter: refresh_token");
  let issued;
  try {
    issued = await auth.refresh(refreshToken, { rotate: false });
  } catch {
    return oauthError(500, "internal_failure", "Internal failure.");
  }
  if (!issued) return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
  return new Response(
    JSON.stringify({ access_token: issued.accessToken, expires_in: issued.expiresIn, scope: SCOPE, token_type: "Bearer" }),
    { status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" } },
  );
}
