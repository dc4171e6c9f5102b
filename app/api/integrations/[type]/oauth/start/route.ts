// GET /api/integrations/{type}/oauth/start: sends the signed-in user to the provider's
// authorize page with a fresh state (and PKCE challenge), kept sealed in a short-lived cookie.
import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { ApiError } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { assertCanConnect } from "@/lib/connections/live";
import { buildAuthorizeUrl } from "@/lib/oauth/flow";
import { notConfiguredHint, oauthProvider } from "@/lib/oauth/providers";
import { redirectUriFor } from "@/lib/oauth/redirect";
import { newOAuthState } from "@/lib/oauth/state";

export const dynamic = "force-dynamic";

const query = z.object({}).strict();

export const GET = withViewer(typeParams, async ({ req, viewer, params }) => {
  const search = Object.fromEntries(new URL(req.url).searchParams);
  query.parse(search);
  const p = oauthProvider(params.type);
  // What an operator must set is in the start-up log (logOperatorHints) and the README; a user
  // is told what it means for them.
  if (notConfiguredHint(params.type)) {
    throw new ApiError(409, `Connecting a real ${p.label} account is not set up on this server yet. Connect the sandbox to try it, or ask whoever runs this server to set it up.`);
  }
  await assertCanConnect(viewer, params.type);
  const { state, challenge, setCookie } = newOAuthState(viewer.userId, params.type, p.pkce);
  const location = buildAuthorizeUrl(p, { redirectUri: redirectUriFor(req, params.type), state, ...(challenge ? { challenge } : {}) });
  return new Response(null, {
    status: 302,
    headers: { location, "set-cookie": setCookie, "cache-control": "no-store", "referrer-policy": "no-referrer" },
  });
});
