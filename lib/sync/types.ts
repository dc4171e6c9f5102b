// Server-side validation of the contract types (lib/contract): the zod schema of {type}.
// Everything else about the contract lives in lib/contract and is re-exported here for the
// sync layer's own modules.
import { z } from "zod";
import { CONNECTOR_TYPES } from "@/lib/contract";

export * from "@/lib/contract/providers";
export * from "@/lib/contract/progress";
export * from "@/lib/contract/sandbox";

export const connectorTypeSchema = z.enum(CONNECTOR_TYPES, {
  error: () => `Unknown connector type; use one of: ${CONNECTOR_TYPES.join(", ")}`,
});

