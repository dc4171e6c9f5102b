import { withViewer } from "@/lib/api/handler";
import { json, notFound } from "@/lib/api/errors";
import { SYNC_ID_PATTERN, syncParams } from "@/lib/api/params";
import { listFailures } from "@/lib/sync/service";

/** The first failed items of a run, with their reasons (the modal lists them). */
export const GET = withViewer(syncParams, async ({ viewer, params }) => {
  if (!SYNC_ID_PATTERN.test(params.syncId)) throw notFound("No such sync");
  return json({ success: true, ...(await listFailures(viewer, params.syncId)) });
});
