import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { CONNECTOR_TYPES } from "@/lib/sync/types";
import { DOCUMENT_KINDS, searchDocuments } from "@/lib/search/search";

const querySchema = z.object({
  q: z.string().max(500, "q: at most 500 characters").optional(),
  provider: z.enum(CONNECTOR_TYPES, { error: () => `provider: use one of ${CONNECTOR_TYPES.join(", ")}` }).optional(),
  kind: z.enum(DOCUMENT_KINDS, { error: () => `kind: use one of ${DOCUMENT_KINDS.join(", ")}` }).optional(),
  cursor: z.string().max(1000).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** The viewer's documents: newest first, or ranked by relevance with `q`. Keyset-paginated. */
export const GET = withViewer(z.object({}), async ({ req, viewer }) => {
  const sp = new URL(req.url).searchParams;
  const raw: Record<string, string> = {};
  for (const key of ["q", "provider", "kind", "cursor", "limit"]) {
    const v = sp.get(key);
    if (v !== null && v !== "") raw[key] = v;
  }
  const query = querySchema.parse(raw);
  const result = await searchDocuments(viewer, query);
  return json({ success: true, ...result });
});
