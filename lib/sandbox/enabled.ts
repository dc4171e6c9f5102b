// SANDBOX_ENABLED: whether this server serves the built-in sandboxes (lib/env.ts sandboxEnabled).
// Off, /sandbox/* answers 404 and connecting a sandbox or setting its scenario 409, each with a
// JSON error saying why; the Integrations page hides "Connect sandbox".
import { ApiError } from "@/lib/api/errors";
import { sandboxEnabled } from "@/lib/env";

export const SANDBOX_DISABLED_MESSAGE = "The built-in sandboxes are switched off on this server (SANDBOX_ENABLED=false); connect a real account instead.";

/** Throws a 409 when the sandboxes are switched off. */
export function assertSandboxEnabled(): void {
  if (!sandboxEnabled()) throw new ApiError(409, SANDBOX_DISABLED_MESSAGE);
}

/** The 404 every /sandbox/* path answers while the sandboxes are switched off. */
export function sandboxDisabledResponse(): Response {
  return Response.json({ success: false, error: SANDBOX_DISABLED_MESSAGE, code: "not_found" }, { status: 404, headers: { "cache-control": "no-store" } });
}
