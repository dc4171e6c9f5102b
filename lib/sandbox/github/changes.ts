// GitHub sandbox: how POST .../sandbox/changes names and picks issues (lib/sandbox/changes.ts).
// Item i lives in repository repoOfItem(i) with number countBelow(repo, i) + 1 (data.ts makeIssue:
// the item of rank r has number r + 1, and rank = how many of the repository's items come before
// it); the connector stores it as "<owner>/<repo>#<number>" (transform.ts githubExternalId).
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { countBelow, DEFAULT_LOGIN, repoName, repoOfItem } from "./data";
import { isTransferred } from "./live";

export const githubChangeModel: SandboxChangeModel = {
  externalId(i, account) {
    const j = repoOfItem(i);
    return `${account.login ?? DEFAULT_LOGIN}/${repoName(j)}#${countBelow(j, i) + 1}`;
  },
  // Issues the item_errors fault transferred away are not in the library: never edit or delete them.
  changeable(i, account) {
    return !isTransferred(account, i);
  },
};
