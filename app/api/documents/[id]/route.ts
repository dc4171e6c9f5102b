import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json, notFound } from "@/lib/api/errors";
import { db } from "@/lib/db";

/** Document ids are cuids; anything else cannot exist (answered like an unknown id). */
const ID_PATTERN = /^[a-z0-9]{20,40}$/;

/**
 * One of the viewer's documents, read-only (the Library's item page). Another user's id answers
 * 404 like an unknown one. `url` is the provider's page, only for a live connection: a sandbox
 * item has no page at the provider.
 */
export const GET = withViewer(z.object({ id: z.string() }), async ({ viewer, params }) => {
  if (!ID_PATTERN.test(params.id)) throw notFound("No such document");
  const d = await db().document.findFirst({
    where: { id: params.id, userId: viewer.userId },
    select: {
      id: true,
      externalId: true,
      kind: true,
      title: true,
      text: true,
      url: true,
      author: true,
      createdAt: true,
      updatedAt: true,
      connection: { select: { type: true, mode: true } },
    },
  });
  if (!d) throw notFound("No such document");
  return json({
    success: true,
    document: {
      id: d.id,
      external_id: d.externalId,
      provider: d.connection.type,
      kind: d.kind,
      title: d.title,
      text: d.text,
      author: d.author,
      url: d.connection.mode === "live" ? d.url : null,
      sandbox: d.connection.mode === "sandbox",
      created_at: d.createdAt.toISOString(),
      updated_at: d.updatedAt.toISOString(),
    },
  });
});
