// Slack sandbox: how POST .../sandbox/changes names and picks messages (lib/sandbox/changes.ts).
//
// Slack's Web API has no pull feed of edits and deletions (message_changed / message_deleted are
// Events API pushes), so the connector learns of them by re-reading a bounded recent window of
// each channel that had activity (lib/connectors/slack/connector.ts: the newest
// SLACK_RECENT_WINDOW top-level messages it saw, compared by `edited.ts`; one missing from the
// re-read window was deleted; a tombstone is a deleted thread parent).
//
// The rule edits and deletions follow here, stated plainly: they pick live top-level messages
// (thread parents included) among the newest PICK_WINDOW top-level messages of their channel —
// where edits and deletions land in a real workspace most of the time (people fix and remove
// what they just posted) and where the connector looks. PICK_WINDOW is half the connector's
// window, so the pick stays inside what the connector remembers even when up to PICK_WINDOW new
// top-level messages arrived in that channel since its last sync (deletions do not shrink the
// connector's window: it tops it up to 100 with the next older messages). Thread replies are not picked:
// the connector stores them as documents of their own, but an edit or deletion of a reply does
// not show in conversations.history (only in that thread's conversations.replies), so the
// connector's incremental sync does not see it (a documented limit, not modelled as if it did).
// Under `item_errors` the messages that fault replaces are not picked either.
import { sandboxChangeView, type SandboxChangeView } from "@/lib/contract";
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { channelId, channelOfItem, countBelow, dataset, inHistory, isBrokenItemIndex, isDeleted, roleIn, tsOf, type Dataset } from "./data";

/** The connector re-reads its channel's newest 100 top-level messages (SLACK_RECENT_WINDOW); changes pick among the newest 50. */
export const PICK_WINDOW = 50;

const views = new WeakMap<readonly unknown[], SandboxChangeView>();
function datasetOf(account: SandboxAccount): Dataset {
  const log = account.changes ?? [];
  let view = views.get(log);
  if (!view) {
    view = sandboxChangeView(account.scenario, log);
    views.set(log, view);
  }
  return dataset(account.scenario.items, view, account.scenario.fault === "item_errors");
}

export const slackChangeModel: SandboxChangeModel = {
  externalId: (i) => `${channelId(channelOfItem(i))}:${tsOf(i)}`,
  changeable(i, account) {
    const ds = datasetOf(account);
    if (i < 0 || i >= ds.items || isDeleted(ds, i)) return false;
    if (ds.breakItems && isBrokenItemIndex(i)) return false;
    const j = channelOfItem(i);
    const r = countBelow(j, i);
    if (roleIn(ds, j, r).kind === "reply") return false;
    // Among the newest PICK_WINDOW top-level messages of its channel (tombstones count: they are in history).
    let newer = 0;
    for (let rr = countBelow(j, ds.items) - 1; rr > r; rr--) {
      if (inHistory(ds, j, rr) && ++newer >= PICK_WINDOW) return false;
    }
    return true;
  },
};
