import { describe, expect, it } from "vitest";
import { DEFAULT_NEXT_PATH, safeNextPath } from "@/lib/http/next-path";

const ORIGIN = "https://brain.example.com";

/** What `?next=<encoded>` gives URLSearchParams.get in the browser. */
const fromQuery = (encoded: string) => new URLSearchParams(`next=${encoded}`).get("next");

describe("safeNextPath", () => {
  it.each([
    "/%09/evil.example/x",
    "/%0a/evil.example/x",
    "/%0d/evil.example/x",
    "/%09%5Cevil.example",
    "/%09%5C/evil.example",
    "//evil.example/x",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%0A/evil.example",
    "/\\\\evil.example",
    "",
    "integrations",
    "http:%2F%2Fevil.example",
  ])("sends %s to the default", (encoded) => {
    expect(safeNextPath(fromQuery(encoded), ORIGIN)).toBe(DEFAULT_NEXT_PATH);
  });

  it("keeps a same-origin path with its query and fragment", () => {
    expect(safeNextPath(fromQuery("%2Flibrary%3Fq%3Dreport%23top"), ORIGIN)).toBe("/library?q=report#top");
    expect(safeNextPath("/integrations?sync=github", ORIGIN)).toBe("/integrations?sync=github");
  });

  it("never hands back a path the browser would read as another host", () => {
    for (const raw of ["/.//evil.example/x", "/./\\/evil.example", "/a/..//evil.example"]) {
      const out = safeNextPath(raw, ORIGIN);
      expect(out.startsWith("//")).toBe(false);
      expect(new URL(out, ORIGIN).origin).toBe(ORIGIN);
    }
  });

  it("takes the fallback given and refuses a null or absurdly long value", () => {
    expect(safeNextPath(null, ORIGIN, "/")).toBe("/");
    expect(safeNextPath(`/${"a".repeat(3000)}`, ORIGIN)).toBe(DEFAULT_NEXT_PATH);
  });
});
