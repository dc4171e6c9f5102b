// Holds one run's live progress in memory and turns changes into events per the stream
// contract: stage/status changes and milestones at once, everything else coalesced.
import { COALESCE_MS, hasChanged, mustEmitNow, withTruthfulCounts } from "@/lib/progress/rules";
import type { EtaEstimator } from "@/lib/progress/eta";
import { isTerminal, type ProgressData, type SyncEventName, type TerminalStatus } from "@/lib/contract";

export type EventSink = (seq: number, name: SyncEventName, data: ProgressData) => Promise<void>;

export interface TrackerOptions {
  coalesceMs?: number;
  now?: () => number;
  /** Waits before each retry of an event write that failed (a database blip); [] = no retry. */
  retryDelaysMs?: readonly number[];
  /** Fills `eta_s` on every state while the run goes on (absent: no estimate). */
  eta?: EtaEstimator;
}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

export class ProgressTracker {
  private state: ProgressData;
  private lastEmitted: ProgressData;
  private lastEmitAt = -Infinity;
  private seq: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private readonly coalesceMs: number;
  private readonly now: () => number;
  private readonly retryDelaysMs: readonly number[];
  private readonly eta: EtaEstimator | undefined;

  constructor(
    initial: ProgressData,
    lastSeq: number,
    private readonly sink: EventSink,
    opts: TrackerOptions = {},
  ) {
    this.state = withTruthfulCounts(initial);
    this.lastEmitted = { ...this.state };
    this.seq = lastSeq;
    this.coalesceMs = opts.coalesceMs ?? COALESCE_MS;
    this.now = opts.now ?? Date.now;
    this.retryDelaysMs = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.eta = opts.eta;
  }

  get snapshot(): ProgressData {
    return { ...this.state };
  }

  get finished(): boolean {
    return isTerminal(this.state.status);
  }

  update(patch: Partial<Omit<ProgressData, "sync_id" | "connector_type" | "started_at">>): void {
    if (this.finished) return;
    let next: ProgressData = { ...this.state, ...patch };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete next[key as keyof ProgressData];
    }
    next = withTruthfulCounts(next);
    this.estimate(next);
    this.state = next;
    if (mustEmitNow(this.lastEmitted, next)) this.emit("progress");
    else if (hasChanged(this.lastEmitted, next)) this.schedule();
  }

  itemDone(label: string | undefined, failed = false): void {
    this.update({
      processed_items: this.state.processed_items + (failed ? 0 : 1),
      failed_items: this.state.failed_items + (failed ? 1 : 0),
      current_item: label ?? this.state.current_item,
    });
  }

  /** What a written page changed in the library (added / updated / removed documents). */
  changed(added: number, updated: number, removed: number): void {
    if (added === 0 && updated === 0 && removed === 0) return;
    this.update({
      added_items: (this.state.added_items ?? 0) + added,
      updated_items: (this.state.updated_items ?? 0) + updated,
      removed_items: (this.state.removed_items ?? 0) + removed,
    });
  }

  /** Ends the run with its terminal event; nothing is emitted after it. */
  finish(status: TerminalStatus, patch: Partial<ProgressData> = {}): Promise<void> {
    if (this.finished) return this.flush();
    const next = withTruthfulCounts({ ...this.state, ...patch, status, finished_at: new Date(this.now()).toISOString() });
    delete next.retry_at;
    delete next.eta_s;
    delete next.counting;
    if (status === "complete") delete next.current_item;
    this.state = next;
    this.emit(status);
    return this.flush();
  }

  /** Emits the current state as `name` right away (e.g. "started" or a resumed run's first state). */
  emit(name: SyncEventName): void {
    this.clearTimer();
    this.seq += 1;
    const seq = this.seq;
    // Clamped again here, the one place events are built: no event can break the contract.
    const data = withTruthfulCounts(this.state);
    this.lastEmitted = data;
    this.lastEmitAt = this.now();
    this.writes = this.writes
      .then(() => {
        // An earlier event could not be written: writing later ones would leave a gap in the
        // log, and streams wait for the missing seq forever. The run's end is written by
        // whoever handles the failure (from the run row's lastSeq: no gap).
        if (this.writeError === undefined) return this.write(seq, name, data);
      })
      .catch((error: unknown) => {
        this.writeError ??= error;
      });
  }

  /** One event, retried over a database blip; a retry that finds the row already there (the commit landed, its answer did not) is done. */
  private async write(seq: number, name: SyncEventName, data: ProgressData): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.sink(seq, name, data);
      } catch (error) {
        if (attempt > 0 && (error as { code?: unknown })?.code === "P2002") return;
        // The run is someone else's now (or over): writing again cannot succeed, and must not.
        if ((error as { retryable?: unknown })?.retryable === false) throw error;
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) throw error;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Waits for every event so far to be written; throws the first write failure. */
  async flush(): Promise<void> {
    if (!this.finished && this.timer && hasChanged(this.lastEmitted, this.state)) this.emit("progress");
    await this.writes;
    if (this.writeError) throw this.writeError;
  }

  /** eta_s of `next` from the estimator (an estimate never forces an event by itself). */
  private estimate(next: ProgressData): void {
    if (!this.eta) return;
    const now = this.now();
    const done = next.processed_items + next.failed_items;
    this.eta.observe(now, done);
    const eta = this.eta.estimate({
      now,
      total: next.total_items,
      done,
      counting: next.counting === true,
      retryAtMs: next.retry_at ? Date.parse(next.retry_at) : undefined,
    });
    if (eta === undefined) delete next.eta_s;
    else next.eta_s = eta;
  }

  dispose(): void {
    this.clearTimer();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastEmitAt + this.coalesceMs - this.now());
    if (wait === 0) {
      this.emit("progress");
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.finished && hasChanged(this.lastEmitted, this.state)) this.emit("progress");
    }, wait);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
