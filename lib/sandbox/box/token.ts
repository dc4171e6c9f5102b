// Box's OAuth token endpoint for grant_type=refresh_token, with rotating refresh tokens (the code
// exchange is ../oauth-token.ts).
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import { BoxError } from "./errors";

interface TokenAnswers {
  json(status: number, body: unknown): Response;
  error(e: BoxError): Response;
}

export async function tokenEndpoint(req: Request, auth: SandboxAuth, { json, error }: TokenAnswers): Promise<Response> {
  if (req.method.toUpperCase() !== "POST") return error(new BoxError(405, "method_not_allowed", "Method Not Allowed"));
  const params = new URLSearchParams(await req.text().catch(() => ""));
  const oauthError = (description: string, code = "invalid_request") => json(400, { error: code, error_description: description });
  if (params.get("grant_type") !== "refresh_token") return oauthError("Invalid grant_type parameter or parameter missing");
  const refreshToken = params.get("refresh_token");
  if (!refreshToken) return oauthError("The refresh_token parameter is missing", "invalid_request");
  let issued;
  try {
    issued = await auth.refresh(refreshToken, { rotate: true });
  } catch {
    return error(new BoxError(500, "internal_server_error", "Internal Server Error"));
  }
  if (!issued) return oauthError("Invalid refresh token", "invalid_grant");
  return json(200, boxTokenAnswer(issued));
}

/** Box's token answer, for a refresh here and for the code exchange (../oauth-token.ts). */
export function boxTokenAnswer(issued: { accessToken: string; expiresIn: number; refreshToken?: string | null }): Record<string, unknown> {
  return {
    access_token: issued.accessToken,
    expires_in: issued.expiresIn,
    restricted_to: [],
    refresh_token: issued.refreshToken,
    token_type: "bearer",
  };
}
