// The per-run hub behind every progress stream of a process (lib/progress/stream.ts): one bus
// subscription per run, one database read when the bus left a gap (or was silent for pollMs),
// each event encoded once into the bytes every stream enqueues, and a ring of the last RING_SIZE
// events for streams that join late or reconnect with a recent Last-Event-ID.
import { db } from "@/lib/db";
import { progressBus, type BusEvent } from "@/lib/progress/bus";
import { PING, formatEvent, formatRetry } from "@/lib/progress/sse";
import { TERMINAL_STATUSES } from "@/lib/contract";
import { processSingleton } from "@/lib/platform/singleton";
import { logger, type Logger } from "@/lib/platform/logger";

export const TERMINAL_NAMES = new Set<string>(TERMINAL_STATUSES);
/**
 * A missing seq with later ones stored is given this long to appear (events are written in
 * order, so it should never happen); after that, or at once when the run's terminal event is
 * already stored, streams go on past it instead of waiting for it for ever.
 */
export const HOLE_GRACE_MS = 10_000;
export const RING_SIZE = 512;
export const READ_BATCH = 500;
export const encoder = new TextEncoder();
export const PING_BYTES = encoder.encode(PING);
export const RETRY_BYTES = encoder.encode(formatRetry());

export interface EventRow {
  seq: number;
  name: string;
  data: string;
}

/** The stored events after `afterSeq`, oldest first, with the JSON as stored (the bus sends the same string). */
export async function readEvents(runId: string, afterSeq: number, limit = READ_BATCH): Promise<EventRow[]> {
  return db().syncEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
    select: { seq: true, name: true, data: true },
  });
}

export function encodeEvent(e: EventRow): Uint8Array {
  return encoder.encode(formatEvent({ id: e.seq, event: e.name, data: e.data }));
}

export interface Subscriber {
  /** The seq this stream sent last. */
  cursor: number;
  /** Reading its own replay from the database: the hub does not write to it meanwhile. */
  catchingUp: boolean;
  lastWrite: number;
  pingMs: number;
  write(bytes: Uint8Array): void;
  /** Ends the stream (after its terminal event). */
  finish(): void;
  fail(error: unknown): void;
  closed(): boolean;
}

export interface RingEntry {
  seq: number;
  bytes: Uint8Array;
  terminal: boolean;
}

export class RunHub {
  /** Highest seq the hub has, with every one before it (-1: not known yet). */
  cursor = -1;
  private ring: RingEntry[] = [];
  readonly subs = new Set<Subscriber>();
  private unsubscribe: () => void;
  private reading = false;
  private readAgain = false;
  private lastAccept = Date.now();
  private pollTimer: ReturnType<typeof setInterval>;
  private pingTimer: ReturnType<typeof setInterval>;
  private disposed = false;
  /** Missing seqs seen with later ones stored: first seq of the hole → when first seen. */
  private holes = new Map<number, number>();
  /** Holes already reported in the log. */
  private reported = new Set<number>();
  private readonly log: Logger;

  constructor(
    readonly runId: string,
    pollMs: number,
    pingMs: number,
    private readonly onDispose: () => void,
  ) {
    this.log = logger.child({ run_id: runId });
    this.unsubscribe = progressBus().subscribe(runId, (e) => this.onBus(e));
    this.pollTimer = setInterval(() => {
      if (Date.now() - this.lastAccept >= pollMs) this.refill();
    }, pollMs);
    // A write at least every pingMs on every stream: checked every third of it.
    const tick = Math.max(10, Math.floor(pingMs / 3));
    this.pingTimer = setInterval(() => this.ping(), tick);
    this.pollTimer.unref?.();
    this.pingTimer.unref?.();
  }

  /** `known`: a seq the joiner knows exists (the run's lastSeq it read). */
  join(sub: Subscriber, known: number): void {
    this.subs.add(sub);
    if (this.cursor < 0) {
      // New hub: from what the joiner read; anything recorded before the bus subscription
      // is read once from the database (and every later gap the same way).
      this.cursor = known;
      this.refill();
    } else if (known > this.cursor) {
      this.refill();
    }
    this.catchUp(sub);
  }

  leave(sub: Subscriber): void {
    this.subs.delete(sub);
    if (this.subs.size === 0) this.dispose();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    clearInterval(this.pollTimer);
    clearInterval(this.pingTimer);
    this.onDispose();
  }

  private onBus(e: BusEvent): void {
    if (e.seq <= this.cursor) return;
    if (e.seq === this.cursor + 1) this.accept(e);
    else this.refill(); // a gap: the database has what is missing
  }

  private accept(e: EventRow): void {
    if (e.seq !== this.cursor + 1) return;
    const entry: RingEntry = { seq: e.seq, bytes: encodeEvent(e), terminal: TERMINAL_NAMES.has(e.name) };
    this.ring.push(entry);
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    this.cursor = e.seq;
    this.lastAccept = Date.now();
    for (const sub of this.subs) {
      if (sub.catchingUp || sub.closed()) continue;
      if (sub.cursor === e.seq - 1) {
        sub.write(entry.bytes);
        sub.cursor = e.seq;
        if (entry.terminal) sub.finish();
      } else if (sub.cursor < e.seq - 1) {
        this.catchUp(sub);
      }
    }
  }

  /** Reads what the hub is missing from the database (one read at a time for all streams). */
  refill(): void {
    if (this.disposed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void (async () => {
      try {
        do {
          this.readAgain = false;
          for (;;) {
            const rows = await readEvents(this.runId, this.cursor);
            if (rows[0] && rows[0].seq > this.cursor + 1 && this.holeIsLost(this.cursor + 1, rows)) this.cursor = rows[0].seq - 1;
            for (const r of rows) this.accept(r);
            if (rows.length < READ_BATCH || this.disposed) break;
          }
        } while (this.readAgain && !this.disposed);
      } catch (error) {
        // The next poll (or wake-up) tries again; the streams stay open meanwhile.
        this.log.error({ err: error }, "[stream] reading progress events failed");
      } finally {
        this.reading = false;
      }
    })();
  }

  /** Brings one stream up to the hub: from the ring when it reaches back far enough, else from the database. */
  catchUp(sub: Subscriber): void {
    if (sub.catchingUp) return;
    sub.catchingUp = true;
    void (async () => {
      try {
        for (;;) {
          if (sub.closed()) return;
          if (sub.cursor >= this.cursor) return;
          const first = this.ring[0];
          if (first && first.seq <= sub.cursor + 1) {
            for (const e of this.ring) {
              if (e.seq <= sub.cursor) continue;
              sub.write(e.bytes);
              sub.cursor = e.seq;
              if (e.terminal) return sub.finish();
            }
            return;
          }
          const rows = await readEvents(this.runId, sub.cursor);
          if (rows.length === 0) return;
          for (let i = 0; i < rows.length; i += 1) {
            const r = rows[i]!;
            if (sub.closed()) return;
            if (r.seq !== sub.cursor + 1) {
              if (!this.holeIsLost(sub.cursor + 1, rows.slice(i))) {
                // Looked at again once the hole's grace has passed.
                const retry = setTimeout(() => this.catchUp(sub), HOLE_GRACE_MS);
                retry.unref?.();
                return;
              }
              sub.cursor = r.seq - 1;
            }
            sub.write(encodeEvent(r));
            sub.cursor = r.seq;
            if (TERMINAL_NAMES.has(r.name)) return sub.finish();
          }
        }
      } catch (error) {
        sub.fail(error);
      } finally {
        sub.catchingUp = false;
      }
    })();
  }

  /**
   * Whether the missing seqs from `missing` up to `after[0]` will never come: the run's terminal
   * event is already stored, or they have been missing for HOLE_GRACE_MS.
   */
  holeIsLost(missing: number, after: EventRow[]): boolean {
    const first = this.holes.get(missing);
    const now = Date.now();
    if (first === undefined) this.holes.set(missing, now);
    const lost = after.some((r) => TERMINAL_NAMES.has(r.name)) || (first !== undefined && now - first >= HOLE_GRACE_MS);
    if (lost && !this.reported.has(missing)) {
      this.reported.add(missing);
      this.log.warn(`[stream] run ${this.runId}: events ${missing}..${after[0]!.seq - 1} are missing from its log; streams go on without them`);
    }
    return lost;
  }

  private ping(): void {
    const now = Date.now();
    for (const sub of this.subs) {
      if (sub.closed()) continue;
      if (now - sub.lastWrite >= (sub.pingMs * 2) / 3) sub.write(PING_BYTES);
    }
  }
}

// Shared by every bundle of the process (tests/chaos/inspect.mjs reads it under this key).
const runHubs = () => processSingleton("progress-hubs", () => new Map<string, RunHub>());

export function hubFor(runId: string, pollMs: number, pingMs: number): RunHub {
  const hubs = runHubs();
  let hub = hubs.get(runId);
  if (!hub) {
    const created: RunHub = new RunHub(runId, pollMs, pingMs, () => {
      if (hubs.get(runId) === created) hubs.delete(runId);
    });
    hubs.set(runId, created);
    hub = created;
  }
  return hub;
}

/** Streams open in this process, per run (diagnostics and tests). */
export function openStreams(runId: string): number {
  return runHubs().get(runId)?.subs.size ?? 0;
}
