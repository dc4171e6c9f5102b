// Fair use of one process's run slots (SYNC_WORKER_CONCURRENCY) between users. Runs are long
// and never pre-empted, so a slot given away now is gone for minutes; two rules keep one user
// from starving another:
//  1. a share: one user executes at most `share` runs in a process (SYNC_RUNS_PER_USER), and
//     more only while at least half the slots would still be free afterwards, so a lone user is
//     not held back on an idle process, but a few busy users never take every slot (4 users x 4
//     long syncs leave room at the default);
//  2. round robin: the next run to start is the waiting one of the user with the fewest runs
//     executing here, ties going to whoever has waited longest; a user's own runs in order.
// Pure functions: the in-process runner picks with them, the BullMQ worker defers a job that
// may not start yet (lib/sync/runner.ts, lib/sync/queue.ts).
import { env } from "@/lib/env";

export interface WaitingRun {
  runId: string;
  userId: string;
  /** Order of arrival (smaller: waiting longer). */
  seq: number;
}

export interface FairShare {
  /** Run slots of this process. */
  slots: number;
  /** Runs one user may always execute at once. */
  share: number;
  /** Slots kept free for users below their share: a user goes beyond it only while this many stay free. */
  reserve: number;
}

/** The default share: a fifth of the slots (at least 1), so at least 5 users always get a run in. */
export function defaultUserShare(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 5));
}

/** This process's rules, from SYNC_WORKER_CONCURRENCY and SYNC_RUNS_PER_USER. */
export function fairShare(): FairShare {
  const e = env();
  const slots = e.SYNC_WORKER_CONCURRENCY;
  const share = Math.min(slots, e.SYNC_RUNS_PER_USER ?? defaultUserShare(slots));
  return { slots, share, reserve: Math.max(share, Math.ceil(slots / 2)) };
}

/** Whether a run of `userId` may start now, with `used` of the slots taken. */
export function mayStart(userId: string, runningByUser: ReadonlyMap<string, number>, used: number, rules: FairShare): boolean {
  if (used >= rules.slots) return false;
  if ((runningByUser.get(userId) ?? 0) < rules.share) return true;
  return rules.slots - used - 1 >= rules.reserve;
}

/**
 * The run to start next, or undefined when none may start: the waiting run of the user with the
 * fewest runs executing, the longest waiting among equals, if that user may start one now.
 */
export function pickNext<R extends WaitingRun>(waiting: Iterable<R>, runningByUser: ReadonlyMap<string, number>, used: number, rules: FairShare): R | undefined {
  let best: R | undefined;
  let bestLoad = Infinity;
  for (const run of waiting) {
    const load = runningByUser.get(run.userId) ?? 0;
    if (load < bestLoad || (load === bestLoad && run.seq < best!.seq)) {
      best = run;
      bestLoad = load;
    }
  }
  return best && mayStart(best.userId, runningByUser, used, rules) ? best : undefined;
}

/** Counts runs per user from their owners' ids. */
export function countByUser(owners: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const userId of owners) counts.set(userId, (counts.get(userId) ?? 0) + 1);
  return counts;
}
