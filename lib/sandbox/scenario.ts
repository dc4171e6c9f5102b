// Validation of a sandbox scenario (PUT /api/integrations/{type}/sandbox, and the stored copy).
import { z } from "zod";
import { SANDBOX_FAULTS, type SandboxScenario } from "@/lib/contract";

/**
 * Documents one sandbox connection may hold: enough for every test and benchmark (the largest
 * uses 5,000), small enough that a user cannot make the app store 100,000 per provider.
 */
export const SANDBOX_MAX_ITEMS = 10_000;

export const sandboxScenarioSchema = z
  .object({
    items: z.number().int().min(0).max(SANDBOX_MAX_ITEMS, `items must be at most ${SANDBOX_MAX_ITEMS}`),
    latency_ms: z.number().int().min(0).max(60_000),
    fault: z.enum(SANDBOX_FAULTS),
  })
  .strict() satisfies z.ZodType<SandboxScenario>;
