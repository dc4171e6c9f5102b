import { describe, expect, it } from "vitest";
import { DEFAULT_NOTIFY_ON, kindForStatus, parseNotes, wantsEmail } from "@/lib/notify/outbox";
import { messageIdFor } from "@/lib/notify/sender";

describe("which runs send which email", () => {
  it.each([
    ["complete", "sync_complete"],
    ["error", "sync_failed"],
    ["cancelled", null],
    ["syncing", null],
  ])("%s -> %s", (status, kind) => expect(kindForStatus(status)).toBe(kind));

  it.each([
    ["all", "sync_complete", true],
    ["all", "sync_failed", true],
    ["failures", "sync_complete", false],
    ["failures", "sync_failed", true],
    ["never", "sync_complete", false],
    ["never", "sync_failed", false],
    ["changes", "sync_complete", true],
    ["changes", "sync_failed", true],
  ] as const)("preference %s, %s -> %s", (pref, kind, wanted) => expect(wantsEmail(pref, kind)).toBe(wanted));

  // A sync that found nothing new ("Already up to date").
  it.each([
    ["changes", "sync_complete", false],
    ["changes", "sync_failed", true],
    ["all", "sync_complete", true],
    ["failures", "sync_complete", false],
    ["never", "sync_failed", false],
  ] as const)("nothing new: preference %s, %s -> %s", (pref, kind, wanted) => expect(wantsEmail(pref, kind, false)).toBe(wanted));

  it("defaults to emails only when something changed or failed", () => {
    expect(DEFAULT_NOTIFY_ON).toBe("changes");
  });
});

describe("run notes", () => {
  it.each<[string | null, string[]]>([
    [null, []],
    ["", []],
    ["not json", []],
    ['{"a":1}', []],
    ['["Stopped after 1,000 pages", 3, ""]', ["Stopped after 1,000 pages"]],
  ])("%j -> %j", (raw, notes) => expect(parseNotes(raw)).toEqual(notes));
});

describe("Message-ID", () => {
  it("is derived from the notification, the same on every attempt", () => {
    const n = { id: "cmabc123def456ghi789jkl0", kind: "sync_complete" };
    expect(messageIdFor(n, "noreply@2ndbrain.ai")).toBe("<cmabc123def456ghi789jkl0.sync_complete@2ndbrain.ai>");
    expect(messageIdFor(n, "noreply@2ndbrain.ai")).toBe(messageIdFor({ ...n }, "noreply@2ndbrain.ai"));
    expect(messageIdFor(n, "weird")).toBe("<cmabc123def456ghi789jkl0.sync_complete@2nd-brain.local>");
  });
});
