import { describe, expect, it } from "vitest";
import { makeIssue } from "@/lib/sandbox/github/data";
import { rawItemKey, transformIssue } from "./transform";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "GitHub sent this item in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


const REPO = "octo/widgets";

const base = {
  id: 101,
  number: 7,
  title: "Fix <b>bold</b> titles 🚀",
  body: "Some **markdown**",
  html_url: "https://github.com/octo/widgets/issues/7",
  state: "open",
  user: { login: "ada", id: 1 },
  labels: [{ id: 1, name: "bug", color: "d73a4a" }, "good first issue"],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T03:04:05Z",
};

describe("transformIssue", () => {
  const good: Array<[string, unknown, Record<string, unknown>]> = [
    [
      "an issue",
      base,
      {
        externalId: "octo/widgets#7",
        kind: "issue",
        title: "Fix <b>bold</b> titles 🚀",
        text: "Some **markdown**",
        url: "https://github.com/octo/widgets/issues/7",
        author: "ada",
        metadata: { repo: REPO, number: 7, state: "open", labels: ["bug", "good first issue"] },
        createdAt: new Date("2026-01-01T00:00:00Z"),
        updatedAt: new Date("2026-01-02T03:04:05Z"),
      },
    ],
    [
      "a pull request with a null body",
      { ...base, number: 8, body: null, state: "closed", html_url: "https://github.com/octo/widgets/pull/8", pull_request: { url: "u", html_url: "h", diff_url: null, patch_url: null } },
      { externalId: "octo/widgets#8", kind: "pull_request", text: "", url: "https://github.com/octo/widgets/pull/8", metadata: { repo: REPO, number: 8, state: "closed", labels: ["bug", "good first issue"] } },
    ],
    ["a missing body and labels", { ...base, body: undefined, labels: undefined }, { text: "", metadata: { repo: REPO, number: 7, state: "open", labels: [] } }],
    ["pull_request: null is an issue", { ...base, pull_request: null }, { kind: "issue" }],
    ["a deleted author (user: null)", { ...base, user: null }, { title: base.title }],
  ];

  it.each(good)("maps %s", (_name, raw, expected) => {
    const result = transformIssue(raw, REPO);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.document).toMatchObject(expected);
    expect(result.label).toBe(`${result.document.kind === "pull_request" ? "Pull request" : "Issue"}: ${result.document.title}`);
  });

  it("omits the author when the user is null", () => {
    const result = transformIssue({ ...base, user: null }, REPO);
    expect(result.ok && "author" in result.document).toBe(false);
  });

  const broken: Array<[string, unknown, string, RegExp]> = [
    ["title: null, user: null (the sandbox's item_errors)", { ...base, title: null, user: null }, "octo/widgets#7", /title should be a string, got null/],
    ["a number that is not a number", { ...base, number: "7" }, "octo/widgets#id:101", /number should be a number, got "7"/],
    ["an unparseable updated_at", { ...base, updated_at: "yesterday" }, "octo/widgets#7", /updated_at: not a valid date/],
    ["a missing html_url", { ...base, html_url: undefined }, "octo/widgets#7", /html_url should be .*got nothing/],
    ["not an object", "oops", "octo/widgets#unknown", /malformed item: item should be an? object, got "oops"/],
    ["null", null, "octo/widgets#unknown", /item should be an? object, got null/],
  ];

  it.each(broken)("fails readably on %s", (_name, raw, externalId, reason) => {
    const result = transformIssue(raw, REPO);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.externalId).toBe(externalId);
    expect(result.failure.reason).toBe(UNREADABLE);
    expect(result.failure.detail).toMatch(/^GitHub sent a malformed item: /);
    expect(result.failure.detail).toMatch(reason);
  });

  it("keeps the title of a broken item when it has one", () => {
    const result = transformIssue({ ...base, created_at: 5 }, REPO);
    expect(result).toEqual({
      ok: false,
      failure: { externalId: "octo/widgets#7", title: base.title, reason: UNREADABLE, detail: "GitHub sent a malformed item: created_at should be a string, got 5" },
    });
  });

  it("accepts every item the sandbox serves", () => {
    for (let r = 0; r < 200; r++) {
      const raw = JSON.parse(JSON.stringify(makeIssue("sandbox-user", 3, r))) as unknown;
      const result = transformIssue(raw, "sandbox-user/ember-4");
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.document.externalId).toBe(`sandbox-user/ember-4#${r + 1}`);
    }
  });

  it("rawItemKey matches the externalId of good items", () => {
    expect(rawItemKey(base, REPO)).toBe("octo/widgets#7");
    expect(rawItemKey({ id: "x" }, REPO)).toBe("octo/widgets#id:x");
  });
});
