// Where the browser comes back to: the public origin (APP_URL when set, else the origin the
// request reached), so the state cookie set by /oauth/start is sent to /oauth/callback.
import { env } from "@/lib/env";
import { callbackPath } from "@/lib/oauth/providers";
import type { ConnectorType } from "@/lib/contract";

export function publicOrigin(req: Request): string {
  const configured = env().APP_URL;
  if (configured) return new URL(configured).origin;
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  return `${proto}://${host}`;
}

export function redirectUriFor(req: Request, type: ConnectorType): string {
  return `${publicOrigin(req)}${callbackPath(type)}`;
}
