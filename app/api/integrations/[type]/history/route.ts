import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { listHistory } from "@/lib/sync/history";

const querySchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/** The last runs of the viewer's connection of this type, newest first. */
export const GET = withViewer(typeParams, async ({ req, viewer, params }) => {
  const limit = new URL(req.url).searchParams.get("limit");
  const query = querySchema.parse(limit === null || limit === "" ? {} : { limit });
  return json({ success: true, runs: await listHistory(viewer, params.type, query.limit) });
});
