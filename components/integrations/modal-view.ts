// What the sync modal says, from one ProgressData: pure (no React, no timers), so every rule is
// unit-tested. The rules: numbers never contradict each other (found is never less than
// processed + failed, the percent is computed from the same numbers); "counting…" instead of a 0
// while nothing is counted; the countdown and the stage words both from retry_at; the title
// follows the state; one sentence per fact.
import type { ProgressData } from "@/lib/contract";
import { secondsUntil, type SyncPhase } from "./progress-reducer";
import { connectorLabel, formatCount, formatTimeLeft, plural } from "./labels";

export interface ModalView {
  title: string;
  /** The running stage line (null once the run has ended: the outcome says it instead). */
  stage: string | null;
  /** Nothing counted yet, or the provider has not said how many there are: show "counting…". */
  counting: boolean;
  /** What to show in the Found tile: max(total_items, processed + failed). */
  found: number;
  processed: number;
  failed: number;
  /** Whole percent of found that is done (processed + failed); null: the bar is indeterminate. */
  percent: number | null;
  /** "about 3 min left" (only from a numeric eta_s, only while running). */
  timeLeft: string | null;
  /** The one sentence that says how the run ended; null while running. */
  outcome: string | null;
}

const UP_TO_DATE = /up to date/i;

export function titleFor(phase: SyncPhase | null, label: string, lost: boolean): string {
  switch (phase) {
    case "complete":
      return `${label} synced`;
    case "error":
      return `${label} sync failed`;
    case "cancelled":
      return "Sync cancelled";
    default:
      return lost && !phase ? `${label} sync` : `Syncing ${label}`;
  }
}

/** What the run changed in the library, when the server says ("3 new, 2 updated, 1 removed"). */
export function changesLine(p: Pick<ProgressData, "added_items" | "updated_items" | "removed_items">): string | null {
  if (p.added_items === undefined && p.updated_items === undefined && p.removed_items === undefined) return null;
  return `${formatCount(p.added_items ?? 0)} new, ${formatCount(p.updated_items ?? 0)} updated, ${formatCount(p.removed_items ?? 0)} removed`;
}

function changedAnything(p: ProgressData): boolean {
  return (p.added_items ?? 0) + (p.updated_items ?? 0) + (p.removed_items ?? 0) > 0;
}

/** True when a completed run brought nothing new (the server may also say so in its stage). */
export function isUpToDate(p: ProgressData): boolean {
  if (p.status !== "complete" || p.failed_items > 0 || changedAnything(p)) return false;
  return UP_TO_DATE.test(p.stage) || p.processed_items === 0 || changesLine(p) !== null;
}

function outcomeFor(p: ProgressData, found: number): string | null {
  const done = p.processed_items + p.failed_items;
  switch (p.status) {
    case "complete": {
      if (isUpToDate(p)) return "Already up to date — nothing new since the last sync.";
      const changes = changesLine(p);
      const tail = changes ? ` (${changes})` : "";
      if (p.failed_items > 0)
        return `${plural(p.processed_items, "item", "items")} synced${tail}; ${plural(p.failed_items, "item", "items")} could not be synced.`;
      if (p.processed_items === 0 && changes) return `Library updated: ${changes}.`;
      return `${plural(p.processed_items, "item", "items")} synced${tail}.`;
    }
    case "cancelled":
      return done > 0 ? `Stopped after ${formatCount(done)} of ${plural(found, "item", "items")}.` : "Stopped before any item was synced.";
    case "error":
      return p.error_message || "The sync stopped because of a problem.";
    default:
      return null;
  }
}

export function modalView(
  progress: ProgressData | null,
  phase: SyncPhase | null,
  opts: { connectorType: string; now: number; lost?: boolean },
): ModalView {
  const label = connectorLabel(opts.connectorType);
  const title = titleFor(phase, label, Boolean(opts.lost));
  if (!progress) {
    return {
      title,
      stage: opts.lost ? null : "Connecting…",
      counting: true,
      found: 0,
      processed: 0,
      failed: 0,
      percent: null,
      timeLeft: null,
      outcome: null,
    };
  }
  const processed = Math.max(0, progress.processed_items);
  const failed = Math.max(0, progress.failed_items);
  const done = processed + failed;
  const found = Math.max(progress.total_items, done);
  const terminal = phase === "complete" || phase === "error" || phase === "cancelled";
  const counting = !terminal && (found === 0 || progress.counting === true);

  let percent: number | null;
  if (counting) percent = null;
  else if (found === 0) percent = phase === "complete" ? 100 : 0;
  else {
    percent = Math.floor((done / found) * 100);
    // 100 only at the end of a complete run; a running one that has done everything is finishing.
    if (phase !== "complete") percent = Math.min(99, percent);
  }

  let stage: string | null = null;
  if (!terminal) {
    const wait = phase === "rate_limited" ? secondsUntil(progress.retry_at, opts.now) : null;
    if (wait !== null) stage = wait > 0 ? `Rate limited by ${label} — resuming in ${wait} s` : "Resuming…";
    else stage = progress.stage || "Working…";
  }

  return {
    title,
    stage,
    counting,
    found,
    processed,
    failed,
    percent,
    timeLeft: terminal ? null : formatTimeLeft(progress.eta_s),
    outcome: outcomeFor(progress, found),
  };
}
