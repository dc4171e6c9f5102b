import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json, notFound } from "@/lib/api/errors";
import { getNotification } from "@/lib/notify/service";

/** Notification ids are cuids; anything else cannot exist (answered like an unknown id). */
const ID_PATTERN = /^[a-z0-9]{20,40}$/;

export const GET = withViewer(z.object({ id: z.string() }), async ({ viewer, params }) => {
  if (!ID_PATTERN.test(params.id)) throw notFound("No such notification");
  return json({ success: true, notification: await getNotification(viewer, params.id) });
});
