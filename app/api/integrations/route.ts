import { z } from "zod";
import { withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { listIntegrations } from "@/lib/connections/service";

export const GET = withViewer(z.object({}), async ({ viewer }) => json({ success: true, integrations: await listIntegrations(viewer) }));
