// Follows one sync outside React: an EventSource on /api/sync-progress/{id}/stream,
// falling back to polling GET /api/sync-progress/{id} while the stream is down.
// useSyncProgress wraps it; tests drive it with a fake EventSource and fake timers.
import { apiFetch, errorWords, syncProgressUrl } from "@/components/api-client";
import type { ProgressData, SyncEventName } from "@/lib/contract";
import {
  isServerErrorEvent,
  isTerminalStatus,
  parseProgress,
  reopenDelayMs,
  type SyncProgressAction,
} from "./progress-reducer";

export const POLL_INTERVAL_MS = 2000;

const STREAM_EVENTS: readonly SyncEventName[] = ["started", "progress", "complete", "cancelled"];

/** The part of EventSource the tracker uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: never, ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}

export interface TrackerEnv {
  createEventSource: (url: string) => EventSourceLike;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
}

const CLOSED = 2; // EventSource.CLOSED

function browserEnv(): TrackerEnv {
  return {
    createEventSource: (url) => new EventSource(url) as unknown as EventSourceLike,
    fetch: apiFetch,
  };
}

async function readErrorMessage(res: Response): Promise<string | null> {
  return errorWords(await res.json().catch(() => null));
}

export interface SyncProgressTracker {
  /** Feed a ProgressData obtained elsewhere (e.g. the answer to cancel). */
  applySnapshot(data: ProgressData): void;
  /** Closes the stream, stops polling, clears every timer. */
  stop(): void;
}

export function trackSyncProgress(
  syncId: string,
  dispatch: (action: SyncProgressAction) => void,
  env: TrackerEnv = browserEnv(),
): SyncProgressTracker {
  const base = syncProgressUrl(syncId);
  let disposed = false;
  let finished = false;
  let es: EventSourceLike | null = null;
  let reopenTimer: ReturnType<typeof setTimeout> | null = null;
  let pollTimer: ReturnType<typeof setTimeout> | null = null;
  let pollAbort: AbortController | null = null;
  let polling = false;
  let pollGen = 0; // bumps on start/stop so a stale poll chain never reschedules itself
  let attempts = 0;

  const closeStream = () => {
    if (es) {
      es.close();
      es = null;
    }
  };
  const stopPolling = () => {
    polling = false;
    pollGen++;
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
    pollAbort?.abort();
    pollAbort = null;
  };
  const stopAll = () => {
    closeStream();
    stopPolling();
    if (reopenTimer) clearTimeout(reopenTimer);
    reopenTimer = null;
  };

  const accept = (kind: "event" | "snapshot", name: SyncEventName, data: ProgressData) => {
    if (disposed || finished || data.sync_id !== syncId) return;
    dispatch(kind === "event" ? { type: "event", name, data } : { type: "snapshot", data });
    if (isTerminalStatus(data.status) || (kind === "event" && isTerminalStatus(name))) {
      finished = true;
      stopAll(); // without close() EventSource would reconnect after the server ends the stream
    }
  };

  const fail = (message: string) => {
    if (disposed || finished) return;
    finished = true;
    stopAll();
    dispatch({ type: "fatal", message });
  };

  const live = (gen: number) => !disposed && !finished && polling && gen === pollGen;

  const poll = async (gen: number) => {
    if (!live(gen)) return;
    pollTimer = null;
    const ctrl = new AbortController();
    pollAbort = ctrl;
    try {
      const res = await env.fetch(base, { cache: "no-store", headers: { accept: "application/json" }, signal: ctrl.signal });
      if (!live(gen)) return;
      if (res.status === 401) {
        fail("Your session has expired. Sign in again to follow this sync.");
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        fail((await readErrorMessage(res)) ?? (res.status === 404 ? "This sync could not be found." : `Could not load this sync (HTTP ${res.status}).`));
        return;
      }
      if (res.ok) {
        const body = (await res.json().catch(() => null)) as { progress?: unknown } | null;
        const data = parseProgress(body && typeof body === "object" && "progress" in body ? body.progress : body);
        if (data && live(gen)) accept("snapshot", "progress", data);
      }
    } catch {
      /* network trouble or aborted: try again below */
    } finally {
      if (pollAbort === ctrl) pollAbort = null;
    }
    if (live(gen) && !pollTimer) pollTimer = setTimeout(() => void poll(gen), POLL_INTERVAL_MS);
  };

  const startPolling = () => {
    if (polling || disposed || finished) return;
    polling = true;
    const gen = ++pollGen;
    void poll(gen);
  };

  const scheduleReopen = () => {
    if (reopenTimer || disposed || finished) return;
    reopenTimer = setTimeout(open, reopenDelayMs(attempts++));
  };

  function open() {
    reopenTimer = null;
    if (disposed || finished) return;
    let source: EventSourceLike;
    try {
      source = env.createEventSource(`${base}/stream`);
    } catch {
      startPolling();
      scheduleReopen();
      return;
    }
    es = source;

    source.onopen = () => {
      if (es !== source) return;
      attempts = 0;
      stopPolling(); // the stream starts with the current state
      dispatch({ type: "open" });
    };

    for (const name of STREAM_EVENTS) {
      source.addEventListener(name, (ev: MessageEvent) => {
        if (es !== source) return;
        const data = parseProgress(ev.data);
        if (data) accept("event", name, data);
      });
    }

    // One listener sees both kinds of "error": the server's event (MessageEvent with
    // ProgressData) and the browser's connection trouble (plain Event, no data).
    source.addEventListener("error", (ev: Event) => {
      if (es !== source || disposed || finished) return;
      if (isServerErrorEvent(ev)) {
        const data = parseProgress(ev.data);
        if (data) {
          accept("event", "error", data);
          return;
        }
        // data we cannot read: treat as trouble, polling will tell the real state
      }
      dispatch({ type: "connection_error", readyState: source.readyState });
      startPolling();
      if (source.readyState === CLOSED) {
        // The browser gave up (e.g. the server answered 4xx/5xx): it will not retry by itself.
        source.close();
        es = null;
        scheduleReopen();
      }
      // else CONNECTING: the browser reconnects by itself, sending Last-Event-ID.
    });
  }

  open();

  return {
    applySnapshot: (data) => accept("snapshot", data.status === "error" ? "error" : "progress", data),
    stop: () => {
      disposed = true;
      stopAll();
    },
  };
}
