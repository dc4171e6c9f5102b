import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { startOrAttach } from "@/lib/sync/service";

// Serverless execution: the run's first slice runs in this invocation, after the answer.
export const maxDuration = 300;

export const POST = withViewer(typeParams, async ({ req, viewer, params }) => {
  await readJson(req, z.object({}).strict());
  const { syncId, attached } = await startOrAttach(viewer, params.type);
  return attached ? json({ success: true, sync_id: syncId, attached: true }, 200) : json({ success: true, sync_id: syncId }, 202);
});
