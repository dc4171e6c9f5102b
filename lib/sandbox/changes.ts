// POST /api/integrations/{type}/sandbox/changes: applies added, edited and deleted items to the
// caller's sandbox dataset now. The change log (lib/sandbox/changes-store.ts) is what every
// sandbox applies over its seeded data and reports through its change feed as the real API does
// (Gmail history, Slack message_changed / message_deleted, Box events, GitHub `since` + 404/410).
import { randomInt } from "node:crypto";
import { z } from "zod";
import { db } from "@/lib/db";
import { ApiError } from "@/lib/api/errors";
import {
  SANDBOX_CHANGES_MAX_PER_KIND,
  sandboxChangeView,
  type ConnectorType,
  type SandboxChange,
  type SandboxChangeKind,
  type SandboxChangesRequest,
  type SandboxChangesResult,
} from "@/lib/contract";
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import type { SandboxChangeModel } from "@/lib/sandbox/change-model";
import { loadSandboxChanges } from "@/lib/sandbox/changes-store";
import { gmailChangeModel } from "@/lib/sandbox/gmail/changes";
import { slackChangeModel } from "@/lib/sandbox/slack/changes";
import { boxChangeModel } from "@/lib/sandbox/box/changes";
import { githubChangeModel } from "@/lib/sandbox/github/changes";

const MODELS: Record<ConnectorType, SandboxChangeModel> = {
  gmail: gmailChangeModel,
  slack: slackChangeModel,
  box: boxChangeModel,
  github: githubChangeModel,
};

/** The longest change log one sandbox dataset keeps; setting the scenario again starts afresh. */
export const SANDBOX_CHANGE_LOG_MAX = 5_000;

const count = z.number().int().min(0).max(SANDBOX_CHANGES_MAX_PER_KIND, `at most ${SANDBOX_CHANGES_MAX_PER_KIND} of each kind at a time`);
export const sandboxChangesSchema = z
  .object({ add: count.optional(), edit: count.optional(), delete: count.optional() })
  .strict()
  .refine((r) => (r.add ?? 0) + (r.edit ?? 0) + (r.delete ?? 0) > 0, "ask for at least one change: { \"add\": n, \"edit\": n, \"delete\": n }") satisfies z.ZodType<SandboxChangesRequest>;

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
 * Appends the asked changes to the account's log in one transaction: adds first (new items at the
 * end of the dataset), then edits and deletes of distinct live items. Two requests at once cannot
 * take the same seq (unique): the loser retries on the new log.
 */
export async function applySandboxChanges(
  provider: ConnectorType,
  account: SandboxAccount,
  request: SandboxChangesRequest,
): Promise<SandboxChangesResult> {
  const model = MODELS[provider];
  for (let attempt = 0; ; attempt++) {
    const log = await loadSandboxChanges(account.key, provider);
    const asked = (request.add ?? 0) + (request.edit ?? 0) + (request.delete ?? 0);
    if (log.length + asked > SANDBOX_CHANGE_LOG_MAX) {
      throw new ApiError(409, `This sandbox already holds ${log.length} changes (at most ${SANDBOX_CHANGE_LOG_MAX}); set its scenario again to start from a fresh dataset.`);
    }
    const view = sandboxChangeView(account.scenario, log);
    const current: SandboxAccount = { ...account, changes: log };
    const now = Date.now();
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
    try {
      await db().sandboxChange.createMany({
        data: planned.map((c) => ({ accountKey: account.key, provider, seq: c.seq, kind: c.kind, itemIndex: c.index, createdAt: new Date(c.at) })),
      });
    } catch (error) {
      if ((error as { code?: unknown })?.code === "P2002" && attempt < 4) continue;
      throw error;
    }
    const after: SandboxAccount = { ...account, changes: [...log, ...planned] };
    const ids = (kind: SandboxChangeKind) => planned.filter((c) => c.kind === kind).map((c) => model.externalId(c.index, after));
    const external_ids = { added: ids("add"), edited: ids("edit"), deleted: ids("delete") };
    return {
      success: true,
      added: external_ids.added.length,
      edited: external_ids.edited.length,
      deleted: external_ids.deleted.length,
      external_ids,
    };
  }
}
