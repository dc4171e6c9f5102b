import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { sandboxAccountOf } from "@/lib/connections/service";
import { applySandboxChanges, sandboxChangesSchema } from "@/lib/sandbox/changes";
import { assertSandboxEnabled } from "@/lib/sandbox/enabled";

/** Adds, edits and deletes items of the caller's sandbox dataset now (DESIGN.md, README "Sandboxes"). */
export const POST = withViewer(typeParams, async ({ req, viewer, params }) => {
  assertSandboxEnabled();
  const request = await readJson(req, sandboxChangesSchema);
  const account = await sandboxAccountOf(viewer, params.type);
  return json(await applySandboxChanges(params.type, account, request));
});
