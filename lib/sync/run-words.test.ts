import { describe, expect, it } from "vitest";
import { completionWords, hadChanges, rateLimitedStage } from "@/lib/sync/run-words";
import { SyncError, describeError, forPeople } from "@/lib/sync/errors";

describe("completion words", () => {
  it.each([
    [{ processed: 0, failed: 0, found: 0, notes: [] }, "Already up to date"],
    [{ processed: 1200, failed: 0, found: 1200, notes: [] }, "Synced 1,200 items"],
    [{ processed: 36, failed: 4, found: 40, notes: [] }, "Synced 36 items, 4 items failed"],
    [{ processed: 100, failed: 0, found: 103, notes: [] }, "Synced 100 items. 3 items found at first were gone by the time they were read."],
    [{ processed: 5, failed: 0, found: 5, notes: ["Stopped at 200 channels (SLACK_MAX_CHANNELS)"] }, "Synced 5 items. Stopped at 200 channels (SLACK_MAX_CHANNELS)."],
    [{ processed: 0, failed: 0, found: 0, notes: ["Stopped after 2 pages (SYNC_MAX_PAGES)"] }, "Already up to date. Stopped after 2 pages (SYNC_MAX_PAGES)."],
  ])("%o -> %s", (facts, words) => {
    expect(completionWords({ provider: "Slack", ...facts })).toBe(words);
  });

  it.each([
    [{ processed: 9, failed: 0, found: 9, notes: [], changes: { added: 3, updated: 6, removed: 3 } }, "Synced 9 items: 3 new, 6 updated, 3 removed"],
    [{ processed: 0, failed: 0, found: 0, notes: [], changes: { added: 0, updated: 0, removed: 2 } }, "0 new, 0 updated, 2 removed"],
    [{ processed: 12, failed: 0, found: 12, notes: [], changes: { added: 0, updated: 0, removed: 0 } }, "Already up to date"],
    [{ processed: 4, failed: 1, found: 5, notes: [], changes: { added: 4, updated: 0, removed: 0 } }, "Synced 4 items, 1 item failed: 4 new, 0 updated, 0 removed"],
  ])("with the library's changes: %o -> %s", (facts, words) => {
    expect(completionWords({ provider: "Gmail", ...facts })).toBe(words);
  });

  it("nothing handled is no change; a failure is one", () => {
    expect(hadChanges({ processed: 0, failed: 0 })).toBe(false);
    expect(hadChanges({ processed: 0, failed: 1 })).toBe(true);
  });

  it("with the library's changes, items read again unchanged are no change; a removal is one", () => {
    expect(hadChanges({ processed: 40, failed: 0, changes: { added: 0, updated: 0, removed: 0 } })).toBe(false);
    expect(hadChanges({ processed: 0, failed: 0, changes: { added: 0, updated: 0, removed: 1 } })).toBe(true);
    expect(hadChanges({ processed: 1, failed: 0, changes: { added: 0, updated: 1, removed: 0 } })).toBe(true);
  });

  it("the rate-limit stage carries no seconds: retry_at is the one countdown", () => {
    expect(rateLimitedStage("Slack")).not.toMatch(/\d/);
  });
});

describe("errors for people", () => {
  it.each([
    [new SyncError("provider", "GitHub kept failing (HTTP 502) after 4 attempts; try again later.", 502), /^GitHub is having trouble right now\./],
    [new SyncError("malformed", "GitHub sent an answer we could not read (broken JSON), 4 attempts."), /could not read/],
    [new SyncError("timeout", "GitHub did not answer within 30 s, 4 attempts."), /^GitHub did not answer in time\./],
    [new SyncError("network", "GitHub could not be reached (ECONNREFUSED), 4 attempts."), /^GitHub could not be reached\./],
    [new SyncError("auth", "GitHub rejected the saved credentials (HTTP 401). Reconnect GitHub.", 401), /Reconnect GitHub/],
  ])("%s: words in the message, the technical part in detail", (error, words) => {
    const seen = forPeople(error, "GitHub");
    expect(seen.kind).toBe(error.kind);
    expect(seen.message).toMatch(words);
    expect(seen.message).not.toMatch(/HTTP \d{3}|\d+ attempts|broken JSON/);
    expect(seen.detail).toBe(error.message);
  });

  it("keeps messages already written for people, and ones thrown with their own detail", () => {
    const stalled = new SyncError("stalled", "No progress for 120 s: GitHub stopped answering. Try again later.");
    expect(forPeople(stalled, "GitHub")).toBe(stalled);
    const own = new SyncError("rate_limit", "GitHub's rate limit resets in about 42 min…", 429, "HTTP 429");
    expect(forPeople(own, "GitHub")).toBe(own);
  });

  it("an HTTP status from an SDK becomes words with the status as detail", () => {
    const e = describeError(Object.assign(new Error("Request failed"), { status: 401 }), "Box");
    expect(e).toMatchObject({ kind: "auth", detail: "HTTP 401" });
    expect(e.message).toMatch(/Reconnect Box/);
    expect(describeError(Object.assign(new Error("x"), { status: 418 }), "Box")).toMatchObject({ kind: "provider", detail: "HTTP 418" });
  });
});
