import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { connectSandbox } from "@/lib/connections/service";

const body = z
  .object({
    mode: z.literal("sandbox", {
      error: () => 'mode must be "sandbox"; live accounts connect through their provider\'s sign-in',
    }),
  })
  .strict();

export const POST = withViewer(typeParams, async ({ req, viewer, params }) => {
  await readJson(req, body);
  return json({ success: true, integration: await connectSandbox(viewer, params.type) });
});
