// Validation of a sandbox scenario (PUT /api/integrations/{type}/sandbox, and the stored copy).
import { z } from "zod";
import { SANDBOX_FAULTS, type SandboxScenario } from "@/lib/contract";

export const sandboxScenarioSchema = z
  .object({
    items: z.number().int().min(0).max(100_000),
    latency_ms: z.number().int().min(0).max(60_000),
    fault: z.enum(SANDBOX_FAULTS),
  })
  .strict() satisfies z.ZodType<SandboxScenario>;
