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
import { toProgressData } from "@/lib/progress/store";
import { PING_INTERVAL_MS, formatEvent } from "@/lib/progress/sse";
import { isTerminal } from "@/lib/contract";
import { logger } from "@/lib/platform/logger";
import { RETRY_BYTES, encoder, hubFor, type RunHub, type Subscriber } from "@/lib/progress/run-hub";

export { HOLE_GRACE_MS, openStreams } from "@/lib/progress/run-hub";

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
