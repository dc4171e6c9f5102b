// Cross-site request protection for state-changing routes, on top of SameSite cookies:
// a browser sends Origin (or at least Sec-Fetch-Site) with every cross-site POST/PUT, so a
// request that names another origin is refused. Clients that are not browsers (curl, the
// tests' HTTP client) send neither and are not a CSRF vector.
// The request's own origin comes from lib/http/client-address.ts: X-Forwarded-Host/-Proto count
// only when TRUST_PROXY says the proxy that sent them is ours.
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/env";
import { requestOrigin } from "@/lib/http/client-address";

function ownOrigins(req: Request): string[] {
  const appUrl = env().APP_URL;
  return [requestOrigin(req), new URL(req.url).origin, ...(appUrl ? [new URL(appUrl).origin] : [])];
}

export function assertSameOrigin(req: Request): void {
  const origin = req.headers.get("origin");
  if (origin !== null) {
    if (origin === "null" || !ownOrigins(req).includes(origin)) {
      throw new ApiError(403, "Cross-site request refused: this request must come from the app's own pages.");
    }
    return;
  }
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new ApiError(403, "Cross-site request refused: this request must come from the app's own pages.");
  }
}
