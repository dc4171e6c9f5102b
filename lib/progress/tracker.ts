// Holds one run's live progress in memory and turns changes into events per the stream
// contract: stage/status changes and milestones at once, everything else coalesced.
import { COALESCE_MS, hasChanged, mustEmitNow, percentOf } from "@/lib/progress/rules";
import { isTerminal, type ProgressData, type SyncEventName, type TerminalStatus } from "@/lib/contract";

export type EventSink = (seq: number, name: SyncEventName, data: ProgressData) => Promise<void>;

export interface TrackerOptions {
  coalesceMs?: number;
  now?: () => number;
  /** Waits before each retry of an event write that failed (a database blip); [] = no retry. */
  retryDelaysMs?: readonly number[];
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

  constructor(
    initial: ProgressData,
    lastSeq: number,
    private readonly sink: EventSink,
    opts: TrackerOptions = {},
  ) {
    this.state = { ...initial };
    this.lastEmitted = { ...initial };
    this.seq = lastSeq;
    this.coalesceMs = opts.coalesceMs ?? COALESCE_MS;
    this.now = opts.now ?? Date.now;
    this.retryDelaysMs = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  get snapshot(): ProgressData {
    return { ...this.state };
  }

  get finished(): boolean {
    return isTerminal(this.state.status);
  }

  update(patch: Partial<Omit<ProgressData, "sync_id" | "connector_type" | "started_at">>): void {
    if (this.finished) return;
    const next: ProgressData = { ...this.state, ...patch };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete next[key as keyof ProgressData];
    }
    next.percent_complete = percentOf(next);
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

  /** Ends the run with its terminal event; nothing is emitted after it. */
  finish(status: TerminalStatus, patch: Partial<ProgressData> = {}): Promise<void> {
    if (this.finished) return this.flush();
    const next: ProgressData = { ...this.state, ...patch, status, finished_at: new Date(this.now()).toISOString() };
    delete next.retry_at;
    if (status === "complete") delete next.current_item;
    next.percent_complete = percentOf(next);
    this.state = next;
    this.emit(status);
    return this.flush();
  }

  /** Emits the current state as `name` right away (e.g. "started" or a resumed run's first state). */
  emit(name: SyncEventName): void {
    this.clearTimer();
    this.seq += 1;
    const seq = this.seq;
    const data = { ...this.state };
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
