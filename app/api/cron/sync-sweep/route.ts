// The platform's cron (vercel.json: every minute) with `Authorization: Bearer $CRON_SECRET`:
// starts again every run whose chain of slices broke, and sends due email (serverless only;
// the long-running shapes sweep in-process).
import { errorJson, json } from "@/lib/api/errors";
import { executionShape } from "@/lib/env";
import { isCronRequest, sweepServerless } from "@/lib/sync/serverless";

export const maxDuration = 60;
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  if (!isCronRequest(req.headers.get("authorization"))) {
    return errorJson(401, "This route is for the platform's cron: send Authorization: Bearer <CRON_SECRET>");
  }
  if (executionShape() !== "serverless") return json({ success: true, restarted: 0, note: "runs are swept in-process in this deployment" });
  const result = await sweepServerless();
  return json({ success: true, ...result });
}
