import { describe, expect, it } from "vitest";
import { backoffMs, githubSecondaryWaitMs, parseRetryAfter, rateLimitWaitMs } from "@/lib/sync/retry";
import { formatDuration, formatSeconds } from "@/lib/sync/errors";

const now = Date.parse("2026-01-01T00:00:00Z");

describe("backoffMs", () => {
  it("is full jitter over an exponential ceiling with a cap", () => {
    expect(backoffMs(1, { random: () => 1 })).toBe(1000);
    expect(backoffMs(3, { random: () => 1 })).toBe(4000);
    expect(backoffMs(10, { random: () => 1 })).toBe(10_000);
    expect(backoffMs(3, { random: () => 0.5 })).toBe(2000);
    expect(backoffMs(3, { random: () => 0 })).toBe(0);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("12", now)).toBe(12_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("rateLimitWaitMs", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it("honours Retry-After on 429", () => {
    expect(rateLimitWaitMs(429, h({ "retry-after": "7" }), now)).toBe(7000);
  });
  it("reads GitHub's exhausted quota on 403 from x-ratelimit-reset", () => {
    const reset = String(now / 1000 + 20);
    expect(rateLimitWaitMs(403, h({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }), now)).toBe(20_500);
  });
  it("does not treat a plain 403 or a 500 as a rate limit", () => {
    expect(rateLimitWaitMs(403, h({ "x-ratelimit-remaining": "12" }), now)).toBeUndefined();
    expect(rateLimitWaitMs(500, h({ "retry-after": "3" }), now)).toBeUndefined();
  });
  it("waits a default when a 429 says nothing, and at least a second", () => {
    expect(rateLimitWaitMs(429, h({}), now)).toBe(30_000);
    expect(rateLimitWaitMs(429, h({ "retry-after": "0" }), now)).toBe(1000);
  });
});


describe("formatSeconds / formatDuration", () => {
  it.each([
    [300, "0.3 s"],
    [1000, "1 s"],
    [1500, "1.5 s"],
    [45_000, "45 s"],
  ])("formatSeconds(%d) = %s", (ms, text) => expect(formatSeconds(ms)).toBe(text));
  it.each([
    [1500, "1.5 s"],
    [60_000, "1 min"],
    [3_600_000, "1 h"],
    [7_500_000, "2 h 5 min"],
  ])("formatDuration(%d) = %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe("githubSecondaryWaitMs", () => {
  const body = JSON.stringify({ message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/rest" });
  it("waits a minute on GitHub's secondary limit without retry-after (403 or 429)", () => {
    expect(githubSecondaryWaitMs(403, body)).toBe(60_000);
    expect(githubSecondaryWaitMs(429, body)).toBe(60_000);
  });
  it("leaves other 403s and bodies alone", () => {
    expect(githubSecondaryWaitMs(403, JSON.stringify({ message: "Resource not accessible by integration" }))).toBeUndefined();
    expect(githubSecondaryWaitMs(500, body)).toBeUndefined();
    expect(githubSecondaryWaitMs(403, undefined)).toBeUndefined();
  });
});
