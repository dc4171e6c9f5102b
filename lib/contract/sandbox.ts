// The sandbox scenario of DESIGN.md (PUT /api/integrations/{type}/sandbox). Client-safe; the
// route validates it with lib/sync/types.ts sandboxScenarioSchema.
export const SANDBOX_FAULTS = [
  "none",
  "hang",
  "slow",
  "rate_limit",
  "server_error",
  "malformed",
  "expired_token",
  "expired_cursor",
  "item_errors",
] as const;
export type SandboxFault = (typeof SANDBOX_FAULTS)[number];

export interface SandboxScenario {
  items: number;
  latency_ms: number;
  fault: SandboxFault;
}

export const DEFAULT_SANDBOX_SCENARIO: SandboxScenario = { items: 250, latency_ms: 120, fault: "none" };

// ---------------------------------------------------------------- changes (issue 18)

/** What POST /api/integrations/{type}/sandbox/changes does to the caller's sandbox dataset. */
export type SandboxChangeKind = "add" | "edit" | "delete";

/**
 * One change of a sandbox dataset, in the order they happened (seq grows by one per change of
 * the account). Items are numbered as each sandbox numbers them (its pure data functions):
 * 0..scenario.items-1 are the seeded ones, and the k-th "add" (k = 0, 1, …) is item
 * scenario.items + k. An "edit" changes the item's title or text (it gains the word "edited");
 * a "delete" removes it. Each sandbox reports them through its change feed as the real API does.
 */
export interface SandboxChange {
  seq: number;
  kind: SandboxChangeKind;
  index: number;
  /** When it happened (ms since the epoch). */
  at: number;
}

/** The most changes of each kind one request may ask for. */
export const SANDBOX_CHANGES_MAX_PER_KIND = 100;

export interface SandboxChangesRequest {
  add?: number;
  edit?: number;
  delete?: number;
}

export interface SandboxChangesResult {
  success: true;
  /** How many items each kind touched (fewer than asked only when too few items were left). */
  added: number;
  edited: number;
  deleted: number;
  /** The external ids touched, as GET /api/documents shows them (`external_id`). */
  external_ids: { added: string[]; edited: string[]; deleted: string[] };
}

/** A pure view of the change log for the sandboxes' data functions. */
export interface SandboxChangeView {
  /** Items in the dataset (seeded + added), deleted ones included. */
  count: number;
  /** The latest edit of an item, by index (absent: never edited). */
  edits: ReadonlyMap<number, { times: number; at: number; seq: number }>;
  /** Deleted items by index, with when. */
  deletes: ReadonlyMap<number, { at: number; seq: number }>;
  /** When each added item arrived, by index. */
  adds: ReadonlyMap<number, { at: number; seq: number }>;
  /** The log itself, oldest first. */
  log: readonly SandboxChange[];
}

export function sandboxChangeView(scenario: Pick<SandboxScenario, "items">, changes: readonly SandboxChange[]): SandboxChangeView {
  const edits = new Map<number, { times: number; at: number; seq: number }>();
  const deletes = new Map<number, { at: number; seq: number }>();
  const adds = new Map<number, { at: number; seq: number }>();
  const log = [...changes].sort((a, b) => a.seq - b.seq);
  for (const c of log) {
    if (c.kind === "add") adds.set(c.index, { at: c.at, seq: c.seq });
    else if (c.kind === "edit") edits.set(c.index, { times: (edits.get(c.index)?.times ?? 0) + 1, at: c.at, seq: c.seq });
    else deletes.set(c.index, { at: c.at, seq: c.seq });
  }
  return { count: scenario.items + adds.size, edits, deletes, adds, log };
}
