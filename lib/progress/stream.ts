// Tails a run's persisted event log as Server-Sent Events.
//
// One hub per run and process fans the events out to every stream of that run open here: it
// holds the one bus subscription, makes the one database read when the bus left a gap (or was
// silent for pollMs: a missed wake-up, or a run executing in another process without Redis),
// and encodes each event once into bytes that every stream enqueues as they are. It keeps the
// last RING_SIZE events, so a stream that joins late or reconnects with a recent Last-Event-ID
// catches up from memory; an older Last-Event-ID is replayed from the database by that stream
// alone, which then joins the live feed. Every stream still holds its own cursor (the seq it
// sent last): nothing is sent twice or skipped, whatever order things happen in. The database
// log stays the source of truth, so any instance can serve any run.
import { db } from "@/lib/db";
import type { SyncRun } from "@/lib/generated/prisma/client";
import { progressBus, type BusEvent } from "@/lib/progress/bus";
import { toProgressData } from "@/lib/progress/store";
import { PING, PING_INTERVAL_MS, formatEvent, formatRetry } from "@/lib/progress/sse";
import { TERMINAL_STATUSES, isTerminal } from "@/lib/contract";
import { processSingleton } from "@/lib/platform/singleton";
import { logger, type Logger } from "@/lib/platform/logger";

export interface StreamOptions {
  runId: string;
  /** Replay every event after this seq; null = start with the current state. */
  after: number | null;
  signal: AbortSignal;
  /** The run row as the route just read it (saves a read); absent: read here. */
  run?: Pick<SyncRun, "id" | "lastSeq" | "status"> & Partial<SyncRun>;
  pingMs?: number;
  /** Re-reads the log this often even without a wake-up (a missed one costs at most this). */
  pollMs?: number;
  /**
   * Ends the stream (without a terminal event) after this long, before a platform's maxDuration
   * cuts it: the client reconnects with Last-Event-ID and misses nothing.
   */
  maxOpenMs?: number;
  /** Called once when the stream ends, however it ends (gives its stream slot back). */
  release?: () => void;
}

const TERMINAL_NAMES = new Set<string>(TERMINAL_STATUSES);
/**
 * A missing seq with later ones stored is given this long to appear (events are written in
 * order, so it should never happen); after that, or at once when the run's terminal event is
 * already stored, streams go on past it instead of waiting for it for ever.
 */
export const HOLE_GRACE_MS = 10_000;
const RING_SIZE = 512;
const READ_BATCH = 500;
const encoder = new TextEncoder();
const PING_BYTES = encoder.encode(PING);
const RETRY_BYTES = encoder.encode(formatRetry());

interface EventRow {
  seq: number;
  name: string;
  data: string;
}

/** The stored events after `afterSeq`, oldest first, with the JSON as stored (the bus sends the same string). */
async function readEvents(runId: string, afterSeq: number, limit = READ_BATCH): Promise<EventRow[]> {
  return db().syncEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
    select: { seq: true, name: true, data: true },
  });
}

function encodeEvent(e: EventRow): Uint8Array {
  return encoder.encode(formatEvent({ id: e.seq, event: e.name, data: e.data }));
}

interface Subscriber {
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

interface RingEntry {
  seq: number;
  bytes: Uint8Array;
  terminal: boolean;
}

class RunHub {
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

function hubFor(runId: string, pollMs: number, pingMs: number): RunHub {
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

/** Where a stream's bytes go: a web ReadableStream (the Next route) or a Node response (lib/progress/node-stream.ts). */
export interface StreamSink {
  /** Returns false when the sink cannot take more (closed): the stream then ends. */
  write(bytes: Uint8Array): boolean;
  /** The stream's end after its terminal event (or a run that no longer exists). */
  close(): void;
  error(error: unknown): void;
}

/**
 * Tails the run's log into `sink` until the terminal event, `opts.signal` aborts, or the sink
 * refuses a write. Returns a function that detaches the stream (idempotent).
 */
export function attachProgressStream(opts: StreamOptions, sink: StreamSink): () => void {
  const pingMs = opts.pingMs ?? PING_INTERVAL_MS;
  const pollMs = opts.pollMs ?? 5000;
  const { runId, after, signal } = opts;
  // The run row the route read is used once, at the start: a stream open for a whole sync
  // must not keep its own copy (a thousand streams of one run would hold a thousand).
  let given: StreamOptions["run"] | undefined = opts.run;
  let closed = false;
  let hub: RunHub | undefined;
  let sub: Subscriber | undefined;

  let limit: ReturnType<typeof setTimeout> | undefined;

  const cleanup = () => {
    if (closed) return;
    closed = true;
    if (limit) clearTimeout(limit);
    signal.removeEventListener("abort", cleanup);
    if (hub && sub) hub.leave(sub);
    opts.release?.();
  };
  const write = (bytes: Uint8Array) => {
    if (closed) return;
    let ok: boolean;
    try {
      ok = sink.write(bytes);
    } catch {
      ok = false;
    }
    if (!ok) return cleanup();
    if (sub) sub.lastWrite = Date.now();
  };
  const finish = () => {
    if (closed) return;
    cleanup();
    try {
      sink.close();
    } catch {
      // already closed by the reader
    }
  };
  const fail = (error: unknown) => {
    if (closed) return;
    logger.child({ run_id: runId }).error({ err: error }, "[stream] progress stream failed");
    cleanup();
    try {
      sink.error(error);
    } catch {
      // already closed
    }
  };
  signal.addEventListener("abort", cleanup, { once: true });
  if (signal.aborted) {
    cleanup();
    return cleanup;
  }
  write(RETRY_BYTES);
  if (opts.maxOpenMs) {
    limit = setTimeout(finish, opts.maxOpenMs);
    limit.unref?.();
  }

  const begin = async () => {
    const known = given;
    given = undefined;
    const run = known && (after !== null || known.startedAt !== undefined) ? known : await db().syncRun.findUnique({ where: { id: runId } });
    if (closed) return;
    if (!run) return finish();
    let cursor: number;
    if (after === null) {
      const data = toProgressData(run as SyncRun);
      const name = isTerminal(data.status) ? data.status : run.lastSeq <= 1 ? "started" : "progress";
      write(encoder.encode(formatEvent({ id: run.lastSeq, event: name, data: JSON.stringify(data) })));
      if (isTerminal(data.status)) return finish();
      cursor = run.lastSeq;
    } else {
      cursor = after;
      // Resuming after the terminal event: there is nothing more to send.
      if (isTerminal(run.status) && run.lastSeq <= cursor) return finish();
    }
    if (closed) return;
    sub = { cursor, catchingUp: false, lastWrite: Date.now(), pingMs, write, finish, fail, closed: () => closed };
    hub = hubFor(runId, pollMs, pingMs);
    hub.join(sub, run.lastSeq);
  };
  begin().catch(fail);
  return cleanup;
}

/** The stream as a web ReadableStream (the Next.js route's body). */
export function progressStream(opts: StreamOptions): ReadableStream<Uint8Array> {
  let detach: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      detach = attachProgressStream(opts, {
        write(bytes) {
          controller.enqueue(bytes);
          return true;
        },
        close: () => controller.close(),
        error: (error) => controller.error(error),
      });
    },
    cancel() {
      detach?.();
    },
  });
}
