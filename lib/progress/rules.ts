// Pure rules of the progress contract: percent, milestones, when an event must go out now.
import type { ProgressData } from "@/lib/contract";

export const MILESTONES = [10, 25, 50, 75, 90] as const;
/** Ordinary progress is coalesced to at most one event per this many ms (about 4 a second). */
export const COALESCE_MS = 250;

export function percentOf(p: Pick<ProgressData, "status" | "total_items" | "processed_items" | "failed_items">): number {
  if (p.status === "complete") return 100;
  if (p.total_items <= 0) return 0;
  const done = p.processed_items + p.failed_items;
  // Never claim 100% before the run says it is complete.
  const pct = Math.min(99.9, (done / p.total_items) * 100);
  return Math.round(pct * 10) / 10;
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
    last.total_items !== next.total_items ||
    last.error_message !== next.error_message ||
    last.retry_at !== next.retry_at ||
    crossedMilestone(last.percent_complete, next.percent_complete) !== undefined
  );
}

/** True when `next` differs from `last` in anything a viewer can see. */
export function hasChanged(last: ProgressData, next: ProgressData): boolean {
  return (
    mustEmitNow(last, next) ||
    last.processed_items !== next.processed_items ||
    last.failed_items !== next.failed_items ||
    last.current_item !== next.current_item ||
    last.percent_complete !== next.percent_complete
  );
}
