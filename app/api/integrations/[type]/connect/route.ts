import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { connectSandbox } from "@/lib/connections/service";
import { connectWithToken } from "@/lib/connections/live";
import { assertSandboxEnabled } from "@/lib/sandbox/enabled";

// { "mode": "sandbox" } connects the built-in sandbox; { "mode": "token", "token": "…" } a token
// the user pasted (GitHub, Slack, Box), checked with the provider before it is stored. OAuth
// has its own routes (./oauth/start, ./oauth/callback).
const body = z.discriminatedUnion(
  "mode",
  [
    z.object({ mode: z.literal("sandbox") }).strict(),
    z
      .object({
        mode: z.literal("token"),
        token: z.string({ error: () => "token must be a string" }).min(1, "token is empty").max(4096, "token is too long"),
      })
      .strict(),
  ],
  { error: () => 'mode must be "sandbox" or "token"; live accounts connect through their provider\'s sign-in' },
);

export const POST = withViewer(typeParams, async ({ req, viewer, params }) => {
  const input = await readJson(req, body);
  if (input.mode === "sandbox") assertSandboxEnabled();
  const integration = input.mode === "sandbox" ? await connectSandbox(viewer, params.type) : await connectWithToken(viewer, params.type, input.token);
  return json({ success: true, integration });
});
