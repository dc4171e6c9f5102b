// Gmail sandbox: how POST .../sandbox/changes names and picks messages (lib/sandbox/changes.ts).
// The connector stores every message (thread replies included) under its Gmail message id, so
// any message may change, except those the item_errors fault breaks (never stored). An edited
// draft lives under its new message id (./mailbox.ts): that is the id GET /api/documents shows.
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { DEFAULT_LOGIN, isBrokenMessage } from "./data";
import { buildMailbox, currentIdOf } from "./mailbox";

export const gmailChangeModel: SandboxChangeModel = {
  externalId: (i, account) => currentIdOf(buildMailbox(account.scenario, account.changes, account.login ?? DEFAULT_LOGIN), i),
  changeable: (i, account) => !(account.scenario.fault === "item_errors" && i < account.scenario.items && isBrokenMessage(i)),
};
