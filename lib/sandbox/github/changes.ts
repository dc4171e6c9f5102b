// GitHub sandbox: how POST .../sandbox/changes names and picks issues (lib/sandbox/changes.ts).
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { countBelow, DEFAULT_LOGIN, repoName, repoOfItem } from "./data";

export const githubChangeModel: SandboxChangeModel = {
  externalId(i, account) {
    const j = repoOfItem(i);
    return `${account.login ?? DEFAULT_LOGIN}/${repoName(j)}#${countBelow(j, i) + 1}`;
  },
};
