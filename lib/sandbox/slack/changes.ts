// Slack sandbox: how POST .../sandbox/changes names and picks messages (lib/sandbox/changes.ts).
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { channelId, channelOfItem, tsOf } from "./data";

export const slackChangeModel: SandboxChangeModel = {
  externalId: (i) => `${channelId(channelOfItem(i))}:${tsOf(i)}`,
};
