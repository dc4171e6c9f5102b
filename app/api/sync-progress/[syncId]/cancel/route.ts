import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json, notFound } from "@/lib/api/errors";
import { SYNC_ID_PATTERN, syncParams } from "@/lib/api/params";
import { cancelSync } from "@/lib/sync/service";

export const POST = withViewer(syncParams, async ({ req, viewer, params }) => {
  if (!SYNC_ID_PATTERN.test(params.syncId)) throw notFound("No such sync");
  await readJson(req, z.object({}).strict());
  return json({ success: true, progress: await cancelSync(viewer, params.syncId) });
});
