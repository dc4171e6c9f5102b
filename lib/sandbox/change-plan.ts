// Which items a change request touches, pure (no database): used by POST .../sandbox/changes
// (lib/sandbox/changes.ts) and by the benchmark's in-process sandboxes.
import { randomInt } from "node:crypto";
import {
  sandboxChangeView,
  type ConnectorType,
  type SandboxChange,
  type SandboxChangeKind,
  type SandboxChangesRequest,
  type SandboxChangesResult,
} from "@/lib/contract";
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { gmailChangeModel } from "@/lib/sandbox/gmail/changes";
import { slackChangeModel } from "@/lib/sandbox/slack/changes";
import { boxChangeModel } from "@/lib/sandbox/box/changes";
import { githubChangeModel } from "@/lib/sandbox/github/changes";

/** How each sandbox names and picks the items a change touches (lib/sandbox/<type>/changes.ts). */
export const CHANGE_MODELS: Record<ConnectorType, SandboxChangeModel> = {
  gmail: gmailChangeModel,
  slack: slackChangeModel,
  box: boxChangeModel,
  github: githubChangeModel,
};

/**
 * Picks `n` distinct items for `kind` among those still in the dataset, at random (the answer
 * names them), skipping items the sandbox says a change may not touch and those in `taken`.
 */
function pick(n: number, itemCount: number, ok: (i: number) => boolean, taken: Set<number>): number[] {
  const out: number[] = [];
  const tries = Math.max(200, n * 50);
  for (let t = 0; t < tries && out.length < n && itemCount > 0; t++) {
    const i = randomInt(itemCount);
    if (!taken.has(i) && ok(i)) {
      taken.add(i);
      out.push(i);
    }
  }
  // Few items left: walk them all rather than give up early.
  for (let i = itemCount - 1; i >= 0 && out.length < n; i--) {
    if (!taken.has(i) && ok(i)) {
      taken.add(i);
      out.push(i);
    }
  }
  return out;
}

/**
 * The changes to append to `log` for `request`: adds first (new items at the end of the
 * dataset), then edits and deletes of distinct live items the model allows; and the answer
 * naming them by the ids the connector stores (as they are after the changes).
 */
export function planSandboxChanges(
  model: SandboxChangeModel,
  account: SandboxAccount,
  log: readonly SandboxChange[],
  request: SandboxChangesRequest,
  now: number,
): { planned: SandboxChange[]; result: SandboxChangesResult } {
  const view = sandboxChangeView(account.scenario, log);
  const current: SandboxAccount = { ...account, changes: log };
  let seq = log.at(-1)?.seq ?? 0;
  const planned: SandboxChange[] = [];
  const plan = (kind: SandboxChangeKind, index: number) => planned.push({ seq: ++seq, kind, index, at: now });
  for (let k = 0; k < (request.add ?? 0); k++) plan("add", view.count + k);
  const live = (i: number) => !view.deletes.has(i) && (model.changeable?.(i, current) ?? true);
  const taken = new Set<number>();
  const edited = pick(request.edit ?? 0, view.count, live, taken);
  const deleted = pick(request.delete ?? 0, view.count, live, taken);
  edited.forEach((i) => plan("edit", i));
  deleted.forEach((i) => plan("delete", i));
  const after: SandboxAccount = { ...account, changes: [...log, ...planned] };
  const ids = (kind: SandboxChangeKind) => planned.filter((c) => c.kind === kind).map((c) => model.externalId(c.index, after));
  const external_ids = { added: ids("add"), edited: ids("edit"), deleted: ids("delete") };
  return {
    planned,
    result: {
      success: true,
      added: external_ids.added.length,
      edited: external_ids.edited.length,
      deleted: external_ids.deleted.length,
      external_ids,
    },
  };
}
