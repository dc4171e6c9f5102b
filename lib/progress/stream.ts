// Tails a run's persisted event log as Server-Sent Events. The stream holds nothing but a
// cursor: events come from the bus when contiguous, from the database otherwise (replay
// after Last-Event-ID, gaps, a missed wake-up), so any instance can serve any run.
import { db } from "@/lib/db";
import { progressBus, type BusEvent } from "@/lib/progress/bus";
import { eventsAfter, toProgressData } from "@/lib/progress/store";
import { PING, PING_INTERVAL_MS, formatEvent, formatRetry } from "@/lib/progress/sse";
import { TERMINAL_STATUSES, isTerminal } from "@/lib/sync/types";

export interface StreamOptions {
  runId: string;
  /** Replay every event after this seq; null = start with the current state. */
  after: number | null;
  signal: AbortSignal;
  pingMs?: number;
  /** Re-reads the log this often even without a wake-up (a missed one costs at most this). */
  pollMs?: number;
}

const TERMINAL_NAMES = new Set<string>(TERMINAL_STATUSES);

export function progressStream(opts: StreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pingMs = opts.pingMs ?? PING_INTERVAL_MS;
  const pollMs = opts.pollMs ?? 5000;
  let cursor = opts.after ?? 0;
  let closed = false;
  let pending: BusEvent[] = [];
  let wake: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const cleanup = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    opts.signal.removeEventListener("abort", onAbort);
    wake?.();
  };
  const onAbort = () => cleanup();

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const finish = () => {
        if (closed) return;
        cleanup();
        controller.close();
      };
      opts.signal.addEventListener("abort", onAbort, { once: true });
      if (opts.signal.aborted) return cleanup();
      // Subscribe before reading, so nothing recorded in between is missed.
      unsubscribe = progressBus().subscribe(opts.runId, (event) => {
        pending.push(event);
        wake?.();
      });
      send(formatRetry());

      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, ms);
        }).finally(() => {
          wake = undefined;
          if (timer) clearTimeout(timer);
          timer = undefined;
        });

      const loop = async () => {
        if (opts.after === null) {
          const run = await db().syncRun.findUnique({ where: { id: opts.runId } });
          if (!run) return finish();
          const data = toProgressData(run);
          const name = isTerminal(data.status) ? data.status : run.lastSeq <= 1 ? "started" : "progress";
          cursor = run.lastSeq;
          send(formatEvent({ id: run.lastSeq, event: name, data: JSON.stringify(data) }));
          if (isTerminal(data.status)) return finish();
        } else {
          // Resuming after the terminal event: there is nothing more to send.
          const run = await db().syncRun.findUnique({ where: { id: opts.runId }, select: { status: true, lastSeq: true } });
          if (!run || (isTerminal(run.status) && run.lastSeq <= cursor)) return finish();
        }
        let lastWrite = Date.now();
        while (!closed) {
          const fromBus = pending;
          pending = [];
          let sentTerminal = false;
          let gap = false;
          for (const e of fromBus) {
            if (e.seq <= cursor) continue;
            if (e.seq !== cursor + 1) {
              gap = true;
              break;
            }
            send(formatEvent({ id: e.seq, event: e.name, data: e.data }));
            cursor = e.seq;
            lastWrite = Date.now();
            if (TERMINAL_NAMES.has(e.name)) sentTerminal = true;
          }
          if (gap || fromBus.length === 0) {
            for (const e of await eventsAfter(opts.runId, cursor)) {
              send(formatEvent({ id: e.seq, event: e.name, data: JSON.stringify(e.data) }));
              cursor = e.seq;
              lastWrite = Date.now();
              if (TERMINAL_NAMES.has(e.name)) sentTerminal = true;
            }
          }
          if (sentTerminal) return finish();
          if (closed) return;
          if (Date.now() - lastWrite >= pingMs) {
            send(PING);
            lastWrite = Date.now();
          }
          if (pending.length === 0) await sleep(Math.min(pollMs, Math.max(10, pingMs - (Date.now() - lastWrite))));
        }
      };
      loop().catch((error: unknown) => {
        if (closed) return;
        console.error("[stream] progress stream failed", error);
        cleanup();
        controller.error(error);
      });
    },
    cancel() {
      cleanup();
    },
  });
}
