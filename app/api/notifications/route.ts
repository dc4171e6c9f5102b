import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { listNotifications } from "@/lib/notify/service";

export const GET = withViewer(z.object({}), async ({ viewer }) => json({ success: true, notifications: await listNotifications(viewer) }));
