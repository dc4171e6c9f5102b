// POST /api/integrations/{type}/disconnect { "delete_documents": boolean }: revokes at the
// provider (best effort, bounded), deletes the stored credentials and, when asked, the synced
// documents. Refused (409) while a sync of the connection runs.
import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { disconnect } from "@/lib/connections/live";

const body = z
  .object({ delete_documents: z.boolean({ error: () => "delete_documents must be true or false" }) })
  .strict();

export const POST = withViewer(typeParams, async ({ req, viewer, params }) => {
  const input = await readJson(req, body);
  const result = await disconnect(viewer, params.type, { deleteDocuments: input.delete_documents });
  return json({ success: true, ...result });
});
