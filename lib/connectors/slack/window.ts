// Deletions in the re-read window (see SlackCursor.recent): conversations.history returns every
// message of a ts range, newest first ("The original message will no longer return in history
// calls" once deleted, Slack's message_deleted doc). So a message the last run remembered, whose
// ts lies in a range this run has fully read, and which did not come back, was deleted.
import { compareTs } from "./transform";
import type { RecentEntry } from "./types";

/** A range of ts this run has fully read: from `lower` (null: the channel's beginning) up to `upper` (exclusive; null: now). */
export interface ReadRange {
  lower: string | null;
  lowerInclusive: boolean;
  upper: string | null;
}

export function inRange(ts: string, range: ReadRange): boolean {
  if (range.upper !== null && compareTs(ts, range.upper) >= 0) return false;
  if (range.lower === null) return true;
  const c = compareTs(ts, range.lower);
  return range.lowerInclusive ? c >= 0 : c > 0;
}

/** The remembered messages of `range` that this read did not return (`returned`: ts as Slack sent them). */
export function goneFromRange(remembered: readonly RecentEntry[], returned: ReadonlySet<string>, range: ReadRange): string[] {
  return remembered.filter(([ts]) => inRange(ts, range) && !returned.has(ts)).map(([ts]) => ts);
}
