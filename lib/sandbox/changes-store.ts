// The sandboxes' change log in the database (table "sandbox_change"), so every instance serving
// a sandbox sees the same dataset. Read on every authenticated sandbox request (one indexed
// query); written by POST /api/integrations/{type}/sandbox/changes (lib/sandbox/changes.ts).
import { db } from "@/lib/db";
import type { ConnectorType, SandboxChange, SandboxChangeKind } from "@/lib/contract";

export async function loadSandboxChanges(accountKey: string, provider: ConnectorType): Promise<SandboxChange[]> {
  const rows = await db().sandboxChange.findMany({
    where: { accountKey, provider },
    orderBy: { seq: "asc" },
    select: { seq: true, kind: true, itemIndex: true, createdAt: true },
  });
  return rows.map((r) => ({ seq: r.seq, kind: r.kind as SandboxChangeKind, index: r.itemIndex, at: r.createdAt.getTime() }));
}

/** Forgets the account's changes: a new scenario is a new dataset. */
export async function clearSandboxChanges(accountKey: string, provider: ConnectorType): Promise<void> {
  await db().sandboxChange.deleteMany({ where: { accountKey, provider } });
}
