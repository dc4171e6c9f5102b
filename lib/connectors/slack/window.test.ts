import { describe, expect, it } from "vitest";
import { goneFromRange, inRange } from "./window";
import type { RecentEntry } from "./types";

const remembered: RecentEntry[] = ["1767225900.000001", "1767225800.000001", "1767225700.000001", "1767225600.000001"].map((ts) => [ts, "0||"]);

describe("deletions in the re-read window", () => {
  it("a remembered message in a fully read range that did not come back was deleted; outside the range nothing is concluded", () => {
    const returned = new Set(["1767225900.000001", "1767225700.000001"]);
    // The chunk read everything from 1767225700.000001 (inclusive) up to now.
    expect(goneFromRange(remembered, returned, { lower: "1767225700.000001", lowerInclusive: true, upper: null })).toEqual(["1767225800.000001"]);
    // Down to the read's exclusive lower bound just below the oldest remembered one.
    expect(goneFromRange(remembered, returned, { lower: "1767225600.000000", lowerInclusive: false, upper: null })).toEqual([
      "1767225800.000001",
      "1767225600.000001",
    ]);
    // Below an upper bound (a later chunk of the same read).
    expect(goneFromRange(remembered, new Set(), { lower: null, lowerInclusive: false, upper: "1767225700.000001" })).toEqual(["1767225600.000001"]);
  });

  it("compares ts numerically", () => {
    expect(inRange("999999999.999999", { lower: "1000000000.000000", lowerInclusive: true, upper: null })).toBe(false);
    expect(inRange("1000000000.5", { lower: "1000000000.000000", lowerInclusive: false, upper: "1000000000.600000" })).toBe(true);
  });
});
