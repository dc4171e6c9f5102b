import { describe, expect, it } from "vitest";
import type { ProgressData } from "../../lib/contract";
import { phaseOf } from "./progress-reducer";
import { modalView } from "./modal-view";
import { formatRelative, formatTimeLeft, formatDay } from "./labels";

function pd(patch: Partial<ProgressData> = {}): ProgressData {
  return {
    sync_id: "s1",
    connector_type: "slack",
    status: "syncing",
    stage: "Fetching messages…",
    total_items: 300,
    processed_items: 100,
    failed_items: 20,
    percent_complete: 40,
    started_at: "2026-12-06T20:00:00.000Z",
    ...patch,
  };
}
const view = (p: ProgressData | null, now = Date.now()) => modalView(p, phaseOf(p?.status), { connectorType: p?.connector_type ?? "slack", now });

describe("modalView", () => {
  it("titles follow the state", () => {
    expect(view(pd()).title).toBe("Syncing Slack");
    expect(view(pd({ status: "complete" })).title).toBe("Slack synced");
    expect(view(pd({ status: "error" })).title).toBe("Slack sync failed");
    expect(view(pd({ status: "cancelled" })).title).toBe("Sync cancelled");
  });

  it("numbers never contradict: found = max(total, processed + failed), percent from them", () => {
    const v = view(pd({ total_items: 0, processed_items: 105, failed_items: 0, percent_complete: 0 }));
    expect(v.found).toBe(105);
    expect(v.counting).toBe(false);
    expect(v.percent).toBe(99); // all found are done, but the run is not over
    const done = view(pd({ status: "complete", total_items: 300, processed_items: 270, failed_items: 30 }));
    expect(done.percent).toBe(100);
    expect(done.outcome).toBe("270 items synced; 30 items could not be synced.");
    const failed = view(pd({ status: "error", total_items: 300, processed_items: 100, failed_items: 0, error_message: "Slack is not answering." }));
    expect(failed.percent).toBe(33);
    expect(failed.outcome).toBe("Slack is not answering.");
  });

  it("counting… while nothing is counted or the provider has given no total", () => {
    expect(view(null).counting).toBe(true);
    expect(view(pd({ total_items: 0, processed_items: 0, failed_items: 0 })).counting).toBe(true);
    const growing = view(pd({ counting: true, total_items: 260 }));
    expect(growing.counting).toBe(true);
    expect(growing.percent).toBeNull();
  });

  it("the countdown and the stage words come from retry_at alone", () => {
    const now = Date.parse("2026-12-06T20:00:00.000Z");
    const p = pd({ status: "rate_limited", stage: "Rate limited by Slack, resuming in 2 s", retry_at: "2026-12-06T20:00:04.000Z" });
    expect(view(p, now).stage).toBe("Rate limited by Slack — resuming in 4 s");
    expect(view(p, now + 1000).stage).toBe("Rate limited by Slack — resuming in 3 s");
    expect(view(p, now + 5000).stage).toBe("Resuming…");
  });

  it("time left only from a numeric eta_s, only while running", () => {
    expect(view(pd({ eta_s: 170 })).timeLeft).toBe("about 3 min left");
    expect(view(pd()).timeLeft).toBeNull();
    expect(view(pd({ status: "complete", eta_s: 10 })).timeLeft).toBeNull();
  });

  it("one sentence per outcome", () => {
    expect(view(pd({ status: "complete", processed_items: 0, failed_items: 0, total_items: 0 })).outcome).toBe(
      "Already up to date — nothing new since the last sync.",
    );
    expect(view(pd({ status: "complete", processed_items: 1, failed_items: 0, total_items: 1 })).outcome).toBe("1 item synced.");
    expect(view(pd({ status: "cancelled", processed_items: 0, failed_items: 0 })).outcome).toBe("Stopped before any item was synced.");
    expect(view(pd({ status: "complete" })).stage).toBeNull();
  });

  it("says what the run changed in the library: N new, N updated, N removed", () => {
    const changed = { status: "complete" as const, processed_items: 6, failed_items: 0, total_items: 6, added_items: 3, updated_items: 3, removed_items: 3 };
    expect(view(pd(changed)).outcome).toBe("6 items synced (3 new, 3 updated, 3 removed).");
    expect(view(pd({ ...changed, processed_items: 0, total_items: 0, added_items: 0, updated_items: 0, removed_items: 2 })).outcome).toBe(
      "Library updated: 0 new, 0 updated, 2 removed.",
    );
    // Items read again with nothing changed: up to date, not "12 items synced".
    expect(view(pd({ ...changed, processed_items: 12, total_items: 12, added_items: 0, updated_items: 0, removed_items: 0 })).outcome).toBe(
      "Already up to date — nothing new since the last sync.",
    );
    expect(view(pd({ ...changed, failed_items: 1, total_items: 7 })).outcome).toBe("6 items synced (3 new, 3 updated, 3 removed); 1 item could not be synced.");
  });
});

describe("labels", () => {
  it("relative times are never in the future", () => {
    const now = Date.parse("2026-12-06T20:00:00.000Z");
    expect(formatRelative("2026-12-06T20:00:30.000Z", now)).toBe("just now");
    expect(formatRelative("2026-12-06T19:58:00.000Z", now)).toBe("2 minutes ago");
    expect(formatRelative("2026-12-05T20:00:00.000Z", now)).toBe("1 day ago");
  });

  it("time left and the app's date format", () => {
    expect(formatTimeLeft(undefined)).toBeNull();
    expect(formatTimeLeft(20)).toBe("less than a minute left");
    expect(formatTimeLeft(3 * 3600 + 600)).toBe("about 3 h 10 min left");
    expect(formatDay("2026-12-06T12:00:00.000Z")).toBe("Dec 6, 2026");
  });
});

describe("groupFailures", async () => {
  const { groupFailures } = await import("./SyncModalParts");
  it("says each reason once, with its items and distinct details", () => {
    const same = "Slack sent this message in a form 2nd Brain could not read, so it was skipped.";
    const groups = groupFailures([
      { external_id: "a", title: "A", reason: same, detail: "text: expected string, got null" },
      { external_id: "b", title: null, reason: same, detail: "text: expected string, got null" },
      { external_id: "c", title: "C", reason: "Too large to index.", detail: null },
    ]);
    expect(groups.map((g) => [g.reason, g.items.map((i) => i.external_id), g.details])).toEqual([
      [same, ["a", "b"], ["text: expected string, got null"]],
      ["Too large to index.", ["c"], []],
    ]);
  });
});
