// Box sandbox: how POST .../sandbox/changes names and picks files (lib/sandbox/changes.ts).
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { fileId } from "./data";

export const boxChangeModel: SandboxChangeModel = {
  externalId: (i) => fileId(i),
};
