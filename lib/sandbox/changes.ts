// POST /api/integrations/{type}/sandbox/changes: applies added, edited and deleted items to the
// caller's sandbox dataset now. The change log (lib/sandbox/changes-store.ts) is what every
// sandbox applies over its seeded data and reports through its change feed as the real API does
// (Gmail history, Slack message_changed / message_deleted, Box events, GitHub `since` + 404/410).
import { z } from "zod";
import { db } from "@/lib/db";
import { ApiError } from "@/lib/api/errors";
import { SANDBOX_CHANGES_MAX_PER_KIND, type ConnectorType, type SandboxChangesRequest, type SandboxChangesResult } from "@/lib/contract";
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import { loadSandboxChanges } from "@/lib/sandbox/changes-store";
import { CHANGE_MODELS, planSandboxChanges } from "@/lib/sandbox/change-plan";


/** The longest change log one sandbox dataset keeps; setting the scenario again starts afresh. */
export const SANDBOX_CHANGE_LOG_MAX = 5_000;

const count = z.number().int().min(0).max(SANDBOX_CHANGES_MAX_PER_KIND, `at most ${SANDBOX_CHANGES_MAX_PER_KIND} of each kind at a time`);
export const sandboxChangesSchema = z
  .object({ add: count.optional(), edit: count.optional(), delete: count.optional() })
  .strict()
  .refine((r) => (r.add ?? 0) + (r.edit ?? 0) + (r.delete ?? 0) > 0, "ask for at least one change: { \"add\": n, \"edit\": n, \"delete\": n }") satisfies z.ZodType<SandboxChangesRequest>;

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
  for (let attempt = 0; ; attempt++) {
    const log = await loadSandboxChanges(account.key, provider);
    const asked = (request.add ?? 0) + (request.edit ?? 0) + (request.delete ?? 0);
    if (log.length + asked > SANDBOX_CHANGE_LOG_MAX) {
      throw new ApiError(409, `This sandbox already holds ${log.length} changes (at most ${SANDBOX_CHANGE_LOG_MAX}); set its scenario again to start from a fresh dataset.`);
    }
    const { planned, result } = planSandboxChanges(CHANGE_MODELS[provider], account, log, request, Date.now());
    try {
      await db().sandboxChange.createMany({
        data: planned.map((c) => ({ accountKey: account.key, provider, seq: c.seq, kind: c.kind, itemIndex: c.index, createdAt: new Date(c.at) })),
      });
    } catch (error) {
      if ((error as { code?: unknown })?.code === "P2002" && attempt < 4) continue;
      throw error;
    }
    return result;
  }
}
