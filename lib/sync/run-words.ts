// The words a person reads about a run's state, in one place so the modal's stage, the history
// and the email say the same thing. Pure: no database, no clock.

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** A sync that handled nothing: the connection already had everything. */
export const UP_TO_DATE = "Already up to date";

/**
 * The stage while a rate limit is waited out. No seconds in it: `retry_at` is the one source
 * of every countdown (the modal counts down from it), so the words can never disagree with it.
 */
export function rateLimitedStage(provider: string): string {
  return `Rate limited by ${provider}; the sync resumes by itself when ${provider} allows it`;
}

/** A continued run whose checkpoint no longer matches the provider's data. */
export const STALE_CHECKPOINT_STAGE = "The provider's data changed since the last sync; listing again from the start";

export interface CompletionFacts {
  provider: string;
  processed: number;
  failed: number;
  /** total_items at the end: what the run found. */
  found: number;
  /** Limits that stopped the run early ("Stopped at 200 channels (SLACK_MAX_CHANNELS)"). */
  notes: readonly string[];
  /** What the run changed in the library; absent for runs from before these counters. */
  changes?: LibraryChanges;
}

export interface LibraryChanges {
  added: number;
  updated: number;
  removed: number;
}

/**
 * Whether a complete run brought anything: nothing new means no "changes" email. With the
 * library counters, items read again unchanged are not a change; without them (older runs),
 * anything handled counts.
 */
export function hadChanges(facts: Pick<CompletionFacts, "processed" | "failed" | "changes">): boolean {
  const c = facts.changes;
  if (c) return c.added + c.updated + c.removed + facts.failed > 0;
  return facts.processed + facts.failed > 0;
}

/** "3 new, 2 updated, 1 removed": what a run changed in the library. */
export function changesWords(c: LibraryChanges): string {
  return `${c.added.toLocaleString("en-US")} new, ${c.updated.toLocaleString("en-US")} updated, ${c.removed.toLocaleString("en-US")} removed`;
}

/**
 * One sentence per fact: "Synced 1,200 items, 3 failed.", "Already up to date.", plus why the
 * counts do not add up when they do not, and the limits that stopped it.
 */
export function completionWords(facts: CompletionFacts): string {
  const { processed, failed, found, notes, changes } = facts;
  const parts: string[] = [];
  if (!hadChanges(facts)) parts.push(UP_TO_DATE);
  else if (processed + failed === 0 && changes) parts.push(changesWords(changes));
  else parts.push(`Synced ${count(processed, "item", "items")}${failed ? `, ${count(failed, "item", "items")} failed` : ""}${changes ? `: ${changesWords(changes)}` : ""}`);
  const missing = found - processed - failed;
  if (missing > 0) parts.push(`${count(missing, "item", "items")} found at first ${missing === 1 ? "was" : "were"} gone by the time ${missing === 1 ? "it was" : "they were"} read`);
  const sentences = parts.map((p) => `${p}.`);
  if (notes.length) sentences.push(`${notes.join("; ")}.`);
  // A single plain fact reads best without a full stop ("Already up to date").
  return sentences.length === 1 ? parts[0]! : sentences.join(" ");
}
