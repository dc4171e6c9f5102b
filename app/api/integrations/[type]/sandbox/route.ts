import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { typeParams } from "@/lib/api/params";
import { setSandboxScenario } from "@/lib/connections/service";
import { sandboxScenarioSchema } from "@/lib/sandbox/scenario";
import { assertSandboxEnabled } from "@/lib/sandbox/enabled";

export const PUT = withViewer(typeParams, async ({ req, viewer, params }) => {
  assertSandboxEnabled();
  const scenario = await readJson(req, sandboxScenarioSchema);
  return json({ success: true, scenario: await setSandboxScenario(viewer, params.type, scenario) });
});
