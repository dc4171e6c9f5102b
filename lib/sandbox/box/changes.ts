// Box sandbox: how POST .../sandbox/changes names and picks files (lib/sandbox/changes.ts).
// Every file is a document of its own (its Box file id); the files whose download the
// item_errors fault breaks never become documents, so a change never picks them.
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { fileId, isBrokenFile } from "./data";

export const boxChangeModel: SandboxChangeModel = {
  externalId: (i) => fileId(i),
  changeable: (i, account) => !(account.scenario.fault === "item_errors" && isBrokenFile(i)),
};
