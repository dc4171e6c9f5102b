// Where the browser comes back to: APP_URL, the one source of redirect URIs (required in
// production, lib/env.ts). Only a local start without it falls back to the origin the request
// reached (forwarded headers believed only as TRUST_PROXY says), so the state cookie set by
// /oauth/start is sent to /oauth/callback whether the page was opened on localhost or 127.0.0.1.
import { env } from "@/lib/env";
import { requestOrigin } from "@/lib/http/client-address";
import { callbackPath } from "@/lib/oauth/providers";
import type { ConnectorType } from "@/lib/contract";

export function publicOrigin(req: Request): string {
  const configured = env().APP_URL;
  return configured ? new URL(configured).origin : requestOrigin(req);
}

export function redirectUriFor(req: Request, type: ConnectorType): string {
  return `${publicOrigin(req)}${callbackPath(type)}`;
}
