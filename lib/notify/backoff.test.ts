import { describe, expect, it } from "vitest";
import { RETRY_CAP_MS, retryDelayMs } from "@/lib/notify/backoff";

const middle = () => 0.5; // no jitter
const MIN = 60_000;

describe("retry schedule", () => {
  it("doubles from 30 s and stops growing at 30 min", () => {
    const schedule = Array.from({ length: 10 }, (_, i) => retryDelayMs(i + 1, 30_000, middle));
    expect(schedule).toEqual([30_000, MIN, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 30 * MIN, 30 * MIN, 30 * MIN, 30 * MIN]);
  });

  it("spreads each delay by ±20 %, never past the cap", () => {
    expect(retryDelayMs(1, 30_000, () => 0)).toBe(24_000);
    expect(retryDelayMs(1, 30_000, () => 0.999999)).toBe(36_000);
    expect(retryDelayMs(20, 30_000, () => 0.999999)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(20, 30_000, () => 0)).toBe(0.8 * RETRY_CAP_MS);
    for (let i = 0; i < 200; i += 1) {
      const d = retryDelayMs(3, 1000);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });

  it("follows a small base for tests (NOTIFY_RETRY_BASE_MS)", () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, 200, middle))).toEqual([200, 400, 800]);
  });

  it("does not overflow on absurd attempt counts", () => {
    expect(retryDelayMs(10_000, 30_000, middle)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(0, 30_000, middle)).toBe(30_000);
  });
});
