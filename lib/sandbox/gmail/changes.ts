// Gmail sandbox: how POST .../sandbox/changes names and picks messages (lib/sandbox/changes.ts).
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { messageId } from "./data";

export const gmailChangeModel: SandboxChangeModel = {
  externalId: (i) => messageId(i),
};
