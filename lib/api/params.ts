import { z } from "zod";
import { connectorTypeSchema } from "@/lib/sync/types";

export const typeParams = z.object({ type: connectorTypeSchema });
/** Sync ids look like sync_<32 hex>; anything else cannot exist (answered like an unknown id). */
export const syncParams = z.object({ syncId: z.string() });
export const SYNC_ID_PATTERN = /^sync_[0-9a-f]{32}$/;
