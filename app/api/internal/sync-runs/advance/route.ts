// The next slice of a run (serverless execution, lib/sync/serverless.ts): a signed request the
// app makes to itself. It answers 202 at once; the slice runs after the answer, in this
// invocation (`after()`), bounded by maxDuration.
import { errorJson, json } from "@/lib/api/errors";
import { executionShape } from "@/lib/env";
import { scheduleSlice, verifyContinuation } from "@/lib/sync/serverless";

export const maxDuration = 300;

const MAX_BODY_BYTES = 2048;

export async function POST(req: Request): Promise<Response> {
  if (executionShape() !== "serverless") return errorJson(404, "Runs do not execute through this route in this deployment");
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return errorJson(413, "Request body is too large");
  const body = await req.text();
  const c = body.length <= MAX_BODY_BYTES ? verifyContinuation(body, req.headers.get("x-sync-signature")) : null;
  if (!c) return errorJson(401, "Missing, invalid or expired signature");
  scheduleSlice(c.run_id, c.continuation, c.delay_ms);
  return json({ success: true }, 202);
}
