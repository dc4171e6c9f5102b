// Pure rules of the progress contract: percent, milestones, when an event must go out now.
import type { ProgressData } from "@/lib/contract";

export const MILESTONES = [10, 25, 50, 75, 90] as const;
/** Ordinary progress is coalesced to at most one event per this many ms (about 4 a second). */
export const COALESCE_MS = 250;

/** The highest percent a run that has not completed may show. */
export const MAX_UNFINISHED_PERCENT = 99;

/**
 * (processed + failed) / total. 100 only for a complete run; a run still going (or one that
 * failed or was cancelled) is capped at 99, however close it came.
 */
export function percentOf(p: Pick<ProgressData, "status" | "total_items" | "processed_items" | "failed_items">): number {
  if (p.status === "complete") return 100;
  if (p.total_items <= 0) return 0;
  const done = p.processed_items + p.failed_items;
  const pct = Math.min(MAX_UNFINISHED_PERCENT, (done / p.total_items) * 100);
  return Math.round(pct * 10) / 10;
}

/**
 * The one place counts are made consistent before any event is built: found (total_items) is
 * never less than processed + failed (a provider that reports no total, or reports it late,
 * shows what was listed so far), and the percent follows from the clamped numbers.
 */
export function withTruthfulCounts(p: ProgressData): ProgressData {
  const done = p.processed_items + p.failed_items;
  const next = p.total_items < done ? { ...p, total_items: done } : { ...p };
  next.percent_complete = percentOf(next);
  return next;
}

/** The highest milestone crossed moving from `before` to `after` percent, if any. */
export function crossedMilestone(before: number, after: number): number | undefined {
  return [...MILESTONES].reverse().find((m) => before < m && after >= m);
}

/**
 * True when the change from the last emitted state to `next` must be sent at once
 * instead of being coalesced: status or stage change, a milestone, the total becoming
 * known or changing, or a first failure.
 */
export function mustEmitNow(last: ProgressData, next: ProgressData): boolean {
  return (
    last.status !== next.status ||
    last.stage !== next.stage ||
    totalNews(last, next) ||
    last.error_message !== next.error_message ||
    last.retry_at !== next.retry_at ||
    crossedMilestone(last.percent_complete, next.percent_complete) !== undefined
  );
}

/**
 * A total worth an event of its own: it became known, or a listing moved it ahead of what is
 * handled. Found merely keeping up with processed + failed (a provider that reports no total:
 * withTruthfulCounts) moves with every item and is coalesced like the counters.
 */
function totalNews(last: ProgressData, next: ProgressData): boolean {
  if (last.total_items === next.total_items) return false;
  return last.total_items === 0 || next.total_items > next.processed_items + next.failed_items;
}

/** True when `next` differs from `last` in anything a viewer can see. */
export function hasChanged(last: ProgressData, next: ProgressData): boolean {
  return (
    mustEmitNow(last, next) ||
    last.processed_items !== next.processed_items ||
    last.failed_items !== next.failed_items ||
    last.total_items !== next.total_items ||
    last.current_item !== next.current_item ||
    last.added_items !== next.added_items ||
    last.updated_items !== next.updated_items ||
    last.removed_items !== next.removed_items ||
    last.percent_complete !== next.percent_complete
  );
}
