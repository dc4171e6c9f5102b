import { auth } from "@/lib/auth";
import { ApiError, errorJson, errorResponse } from "@/lib/api/errors";
import { assertSameOrigin } from "@/lib/api/origin";
import { consume } from "@/lib/api/rate-limit";
import { env } from "@/lib/env";
import { SCHEMA_MISSING_MESSAGE, schemaReady } from "@/lib/db-status";

const SIGN_IN_WINDOW_MS = 10 * 60_000;

/** One account guessed at from many addresses: limit sign-in attempts per email too. */
async function limitPerAccount(req: Request): Promise<void> {
  if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/sign-in/email")) return;
  let email: unknown;
  try {
    email = ((await req.clone().json()) as { email?: unknown })?.email;
  } catch {
    return; // Better Auth answers the malformed body itself
  }
  if (typeof email !== "string") return;
  const r = await consume(`signin:${email.trim().toLowerCase()}`, env().SIGNIN_ATTEMPTS_PER_ACCOUNT, SIGN_IN_WINDOW_MS);
  if (!r.allowed) {
    throw Object.assign(new ApiError(429, `Too many sign-in attempts for this account; try again in ${r.retryAfterS} s.`), {
      retryAfterS: r.retryAfterS,
    });
  }
}

async function handle(req: Request): Promise<Response> {
  try {
    if (req.method === "POST") assertSameOrigin(req);
    await limitPerAccount(req);
    const res = await auth().handler(req);
    // Better Auth answers its own failures with an empty 500: say so if the schema is missing.
    if (res.status >= 500 && !(await schemaReady().catch(() => true))) {
      return errorJson(503, SCHEMA_MISSING_MESSAGE, "database_not_ready", { "retry-after": "30" });
    }
    return res;
  } catch (error) {
    const retry = (error as { retryAfterS?: number }).retryAfterS;
    if (error instanceof ApiError && retry) {
      return errorJson(error.status, error.message, error.code, { "retry-after": String(retry) });
    }
    return errorResponse(error);
  }
}

export const GET = handle;
export const POST = handle;
