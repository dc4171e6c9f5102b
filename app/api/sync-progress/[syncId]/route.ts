import { withViewer } from "@/lib/api/handler";
import { json, notFound } from "@/lib/api/errors";
import { SYNC_ID_PATTERN, syncParams } from "@/lib/api/params";
import { getProgress } from "@/lib/sync/service";

export const GET = withViewer(syncParams, async ({ viewer, params }) => {
  if (!SYNC_ID_PATTERN.test(params.syncId)) throw notFound("No such sync");
  // The contract (DESIGN.md): the answer is the ProgressData itself.
  return json(await getProgress(viewer, params.syncId));
});
