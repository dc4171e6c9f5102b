import { describe, expect, it } from "vitest";
import type { ProgressData } from "../../lib/contract";
import {
  initialSyncProgressState,
  isServerErrorEvent,
  parseProgress,
  phaseOf,
  reopenDelayMs,
  secondsUntil,
  syncProgressReducer,
  type SyncProgressAction,
  type SyncProgressState,
} from "./progress-reducer";
import { formatRelative, plural } from "./labels";

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

function run(...actions: SyncProgressAction[]): SyncProgressState {
  return actions.reduce(syncProgressReducer, syncProgressReducer(initialSyncProgressState, { type: "reset", syncId: "s1" }));
}

describe("isServerErrorEvent", () => {
  it("treats a MessageEvent-like with data as the server's error event", () => {
    expect(isServerErrorEvent({ data: JSON.stringify(pd({ status: "error" })) })).toBe(true);
  });
  it("treats the browser's plain error Event (no data) as connection trouble", () => {
    expect(isServerErrorEvent(new Event("error"))).toBe(false);
    expect(isServerErrorEvent({ data: "" })).toBe(false);
    expect(isServerErrorEvent({ data: undefined })).toBe(false);
  });
});

describe("parseProgress", () => {
  it("parses JSON strings and objects", () => {
    expect(parseProgress(JSON.stringify(pd()))?.processed_items).toBe(10);
    expect(parseProgress(pd({ status: "complete" }))?.status).toBe("complete");
  });
  it("rejects junk", () => {
    expect(parseProgress("not json")).toBeNull();
    expect(parseProgress("{}")).toBeNull();
    expect(parseProgress({ sync_id: "s1", status: "weird" })).toBeNull();
    expect(parseProgress(null)).toBeNull();
  });
  it("fills numeric defaults and clamps percent", () => {
    const p = parseProgress({ sync_id: "s1", status: "queued", percent_complete: 140 });
    expect(p).toMatchObject({ total_items: 0, processed_items: 0, failed_items: 0, percent_complete: 100, stage: "" });
  });
});

describe("phaseOf", () => {
  it("narrows statuses", () => {
    expect(phaseOf("queued")).toBe("running");
    expect(phaseOf("embedding")).toBe("running");
    expect(phaseOf("rate_limited")).toBe("rate_limited");
    expect(phaseOf("complete")).toBe("complete");
    expect(phaseOf("error")).toBe("error");
    expect(phaseOf("cancelled")).toBe("cancelled");
    expect(phaseOf(undefined)).toBeNull();
  });
});

describe("syncProgressReducer", () => {
  it("starts connecting, opens, follows progress", () => {
    const s = run({ type: "open" }, { type: "event", name: "started", data: pd({ processed_items: 0 }) }, { type: "event", name: "progress", data: pd() });
    expect(s.connection).toBe("open");
    expect(s.progress?.processed_items).toBe(10);
    expect(s.finished).toBe(false);
  });

  it("a terminal event finishes and closes", () => {
    const s = run({ type: "open" }, { type: "event", name: "complete", data: pd({ status: "complete", processed_items: 100, percent_complete: 100 }) });
    expect(s.finished).toBe(true);
    expect(s.connection).toBe("closed");
    expect(s.progress?.status).toBe("complete");
  });

  it("the server's error event is terminal", () => {
    const s = run({ type: "event", name: "error", data: pd({ status: "error", error_message: "boom" }) });
    expect(s.finished).toBe(true);
    expect(s.progress?.error_message).toBe("boom");
  });

  it("a terminal event name wins over a lagging payload status", () => {
    const s = run({ type: "event", name: "cancelled", data: pd({ status: "syncing" }) });
    expect(s.finished).toBe(true);
    expect(s.progress?.status).toBe("cancelled");
  });

  it("connection trouble means reconnecting, and keeps the last progress", () => {
    const s = run({ type: "open" }, { type: "event", name: "progress", data: pd() }, { type: "connection_error", readyState: 0 });
    expect(s.connection).toBe("reconnecting");
    expect(s.progress?.processed_items).toBe(10);
    expect(s.finished).toBe(false);
    const reopened = syncProgressReducer(s, { type: "open" });
    expect(reopened.connection).toBe("open");
  });

  it("nothing changes after a terminal state", () => {
    const done = run({ type: "event", name: "complete", data: pd({ status: "complete", processed_items: 100 }) });
    expect(syncProgressReducer(done, { type: "event", name: "progress", data: pd() })).toBe(done);
    expect(syncProgressReducer(done, { type: "snapshot", data: pd() })).toBe(done);
    expect(syncProgressReducer(done, { type: "connection_error", readyState: 2 })).toBe(done);
    expect(syncProgressReducer(done, { type: "open" })).toBe(done);
  });

  it("ignores a snapshot older than what the stream showed, accepts newer and terminal ones", () => {
    const s = run({ type: "event", name: "progress", data: pd({ processed_items: 50 }) });
    expect(syncProgressReducer(s, { type: "snapshot", data: pd({ processed_items: 40 }) })).toBe(s);
    expect(syncProgressReducer(s, { type: "snapshot", data: pd({ processed_items: 60 }) }).progress?.processed_items).toBe(60);
    const t = syncProgressReducer(s, { type: "snapshot", data: pd({ status: "error", processed_items: 0, error_message: "x" }) });
    expect(t.finished).toBe(true);
  });

  it("ignores data for another sync", () => {
    const s = run({ type: "event", name: "progress", data: pd({ sync_id: "other" }) });
    expect(s.progress).toBeNull();
  });

  it("fatal stops tracking without a terminal status", () => {
    const s = run({ type: "fatal", message: "This sync could not be found." });
    expect(s.fatal).toMatch(/not be found/);
    expect(s.connection).toBe("closed");
    expect(s.finished).toBe(false);
  });

  it("reset clears everything for a new sync id", () => {
    const s = run({ type: "event", name: "complete", data: pd({ status: "complete" }) });
    const r = syncProgressReducer(s, { type: "reset", syncId: "s2" });
    expect(r).toEqual({ ...initialSyncProgressState, syncId: "s2" });
  });
});

describe("helpers", () => {
  it("secondsUntil", () => {
    const now = Date.parse("2026-01-01T00:00:00.000Z");
    expect(secondsUntil("2026-01-01T00:00:11.200Z", now)).toBe(12);
    expect(secondsUntil("2025-12-31T23:59:00.000Z", now)).toBe(0);
    expect(secondsUntil(undefined, now)).toBeNull();
    expect(secondsUntil("nope", now)).toBeNull();
  });
  it("reopenDelayMs backs off and caps", () => {
    expect(reopenDelayMs(0)).toBe(1000);
    expect(reopenDelayMs(3)).toBe(8000);
    expect(reopenDelayMs(20)).toBe(30000);
  });
  it("formatRelative and plural", () => {
    const now = Date.parse("2026-01-01T12:00:00.000Z");
    expect(formatRelative("2026-01-01T11:59:50.000Z", now)).toBe("just now");
    expect(formatRelative("2026-01-01T11:58:00.000Z", now)).toBe("2 minutes ago");
    expect(formatRelative("2026-01-01T09:00:00.000Z", now)).toBe("3 hours ago");
    expect(formatRelative("2025-12-30T12:00:00.000Z", now)).toBe("2 days ago");
    expect(plural(1234, "item", "items")).toBe("1,234 items");
    expect(plural(1, "item", "items")).toBe("1 item");
  });
});
