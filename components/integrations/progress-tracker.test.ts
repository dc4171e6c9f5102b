import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProgressData } from "../../lib/contract";
import { initialSyncProgressState, syncProgressReducer, type SyncProgressAction, type SyncProgressState } from "./progress-reducer";
import { POLL_INTERVAL_MS, trackSyncProgress, type EventSourceLike, type TrackerEnv } from "./progress-tracker";

function pd(patch: Partial<ProgressData> = {}): ProgressData {
  return {
    sync_id: "s1",
    connector_type: "github",
    status: "syncing",
    stage: "Fetching issues…",
    total_items: 100,
    processed_items: 10,
    failed_items: 0,
    percent_complete: 10,
    started_at: "2026-01-01T00:00:00.000Z",
    ...patch,
  };
}

class FakeEventSource implements EventSourceLike {
  readyState = 0;
  onopen: ((this: never, ev: Event) => unknown) | null = null;
  closed = false;
  listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  constructor(public url: string) {}
  addEventListener(type: string, listener: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  // test drivers
  open() {
    this.readyState = 1;
    (this.onopen as ((ev: Event) => void) | null)?.(new Event("open"));
  }
  emit(type: string, data: ProgressData) {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  /** The browser's own error event: a plain Event without data. */
  trouble(readyState: 0 | 2) {
    this.readyState = readyState;
    for (const l of this.listeners.get("error") ?? []) l(new Event("error") as MessageEvent);
  }
}

function setup(fetchImpl?: TrackerEnv["fetch"]) {
  const sources: FakeEventSource[] = [];
  let state: SyncProgressState = syncProgressReducer(initialSyncProgressState, { type: "reset", syncId: "s1" });
  const dispatch = (a: SyncProgressAction) => {
    state = syncProgressReducer(state, a);
  };
  const fetch = vi.fn(fetchImpl ?? (async () => new Response(JSON.stringify(pd({ processed_items: 20 })), { status: 200 })));
  const tracker = trackSyncProgress("s1", dispatch, {
    createEventSource: (url) => {
      const es = new FakeEventSource(url);
      sources.push(es);
      return es;
    },
    fetch,
  });
  return { sources, fetch, tracker, state: () => state };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("trackSyncProgress", () => {
  it("opens the stream on a relative URL and follows events to a terminal one, then closes", () => {
    const { sources, state, fetch } = setup();
    expect(sources).toHaveLength(1);
    const es = sources[0]!;
    expect(es.url).toBe("/api/sync-progress/s1/stream");
    es.open();
    expect(state().connection).toBe("open");
    es.emit("started", pd({ processed_items: 0 }));
    es.emit("progress", pd({ processed_items: 50 }));
    expect(state().progress?.processed_items).toBe(50);
    es.emit("complete", pd({ status: "complete", processed_items: 100, percent_complete: 100 }));
    expect(state().finished).toBe(true);
    expect(es.closed).toBe(true);
    expect(fetch).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the server's error event (with data) is a failure, not connection trouble", () => {
    const { sources, state } = setup();
    const es = sources[0]!;
    es.open();
    es.emit("error", pd({ status: "error", error_message: "Token expired" }));
    expect(state().finished).toBe(true);
    expect(state().progress?.error_message).toBe("Token expired");
    expect(es.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the browser's error (no data) while CONNECTING means reconnecting; the browser retries itself", async () => {
    const { sources, state, fetch } = setup();
    const es = sources[0]!;
    es.open();
    es.emit("progress", pd());
    es.trouble(0);
    expect(state().connection).toBe("reconnecting");
    expect(state().finished).toBe(false);
    expect(es.closed).toBe(false); // not closed by us: EventSource reconnects with Last-Event-ID
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1); // polling meanwhile
    expect(state().progress?.processed_items).toBe(20);
    es.open(); // browser reconnected
    expect(state().connection).toBe("open");
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    expect(fetch).toHaveBeenCalledTimes(1); // polling stopped once the stream is back
    expect(sources).toHaveLength(1);
  });

  it("CLOSED without a terminal event: polls every 2 s and re-opens with backoff", async () => {
    const { sources, state, fetch } = setup();
    sources[0]!.trouble(2); // e.g. the stream route answered 503
    expect(state().connection).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000); // first re-open after 1 s
    expect(sources).toHaveLength(2);
    sources[1]!.trouble(2);
    await vi.advanceTimersByTimeAsync(1000); // 2 s since the first poll
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000); // second re-open after 2 s
    expect(sources).toHaveLength(3);
    sources[2]!.open();
    expect(state().connection).toBe("open");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(sources).toHaveLength(3);
  });

  it("a terminal snapshot from polling ends everything", async () => {
    const { sources, state } = setup(async () => new Response(JSON.stringify(pd({ status: "cancelled" })), { status: 200 }));
    sources[0]!.trouble(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(state().finished).toBe(true);
    expect(state().progress?.status).toBe("cancelled");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sources).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("404 while polling stops tracking with a readable message", async () => {
    const { sources, state } = setup(async () => new Response(JSON.stringify({ success: false, error: "Sync not found" }), { status: 404 }));
    sources[0]!.trouble(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(state().fatal).toBe("Sync not found");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sources).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop() leaves nothing behind", async () => {
    const { sources, tracker, fetch } = setup(async () => new Response("oops", { status: 500 }));
    sources[0]!.trouble(2);
    await vi.advanceTimersByTimeAsync(0);
    tracker.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(sources).toHaveLength(1);
  });

  it("applySnapshot (cancel answer) with a terminal state closes the stream", () => {
    const { sources, tracker, state } = setup();
    sources[0]!.open();
    tracker.applySnapshot(pd({ status: "cancelled" }));
    expect(state().finished).toBe(true);
    expect(sources[0]!.closed).toBe(true);
  });
});
