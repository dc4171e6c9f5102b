import { describe, expect, it } from "vitest";
import { crossedMilestone, mustEmitNow, percentOf } from "@/lib/progress/rules";
import type { ProgressData } from "@/lib/contract";

const base: ProgressData = {
  sync_id: "sync_x",
  connector_type: "github",
  status: "syncing",
  stage: "Fetching…",
  total_items: 200,
  processed_items: 0,
  failed_items: 0,
  percent_complete: 0,
  started_at: "2026-01-01T00:00:00.000Z",
};

describe("percentOf", () => {
  it.each([
    [{ total_items: 0, processed_items: 0, failed_items: 0, status: "syncing" }, 0],
    [{ total_items: 200, processed_items: 50, failed_items: 0, status: "syncing" }, 25],
    [{ total_items: 200, processed_items: 49, failed_items: 1, status: "syncing" }, 25],
    [{ total_items: 3, processed_items: 1, failed_items: 0, status: "syncing" }, 33.3],
    [{ total_items: 10, processed_items: 10, failed_items: 0, status: "syncing" }, 99],
    [{ total_items: 10, processed_items: 12, failed_items: 0, status: "syncing" }, 99],
    [{ total_items: 0, processed_items: 0, failed_items: 0, status: "complete" }, 100],
  ] as const)("%o -> %d", (p, expected) => {
    expect(percentOf(p)).toBe(expected);
  });
});

describe("crossedMilestone", () => {
  it.each([
    [0, 9.9, undefined],
    [9.9, 10, 10],
    [0, 30, 25],
    [25, 26, undefined],
    [74, 91, 90],
    [90, 99.9, undefined],
  ])("%d -> %d crosses %s", (a, b, m) => {
    expect(crossedMilestone(a, b)).toBe(m);
  });
});

describe("mustEmitNow", () => {
  it("is false for a plain counter move", () => {
    expect(mustEmitNow(base, { ...base, processed_items: 3, percent_complete: 1.5 })).toBe(false);
  });
  it.each([
    ["status", { status: "rate_limited" as const }],
    ["stage", { stage: "Counting…" }],
    ["total", { total_items: 250 }],
    ["milestone", { processed_items: 20, percent_complete: 10 }],
    ["retry_at", { retry_at: "2026-01-01T00:01:00.000Z" }],
  ])("is true for a %s change", (_, patch) => {
    expect(mustEmitNow(base, { ...base, ...patch })).toBe(true);
  });
});
