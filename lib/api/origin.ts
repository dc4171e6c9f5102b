// Cross-site request protection for state-changing routes, on top of SameSite cookies:
// a browser sends Origin (or at least Sec-Fetch-Site) with every cross-site POST/PUT, so a
// request that names another origin is refused. Clients that are not browsers (curl, the
// tests' HTTP client) send neither and are not a CSRF vector.
import { ApiError } from "@/lib/api/errors";

function ownOrigins(req: Request): string[] {
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  return [`${proto}://${host}`, url.origin];
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
