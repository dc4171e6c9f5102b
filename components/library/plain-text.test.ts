import { describe, expect, it } from "vitest";
import { plainText, stripMarkdown } from "./plain-text";

const words = (v: { text: string; highlights: [number, number][] }) => v.highlights.map(([s, e]) => v.text.slice(s, e));

describe("stripMarkdown", () => {
  it("removes fences, bold, headings, inline code and links, keeping the words", () => {
    const out = stripMarkdown({ text: '## Summary The **Sync** ran. ```json {"a": 1} ``` See [the docs](https://x.test/d) and `npm test`.', highlights: [] });
    expect(out.text).toBe('Summary The Sync ran. {"a": 1} See the docs and npm test.');
  });

  it("moves highlight ranges with the words", () => {
    const text = "## Summary the **Sync** ran";
    const s = text.indexOf("Sync");
    const sum = text.indexOf("Summary");
    const out = stripMarkdown({ text, highlights: [[sum, sum + 7], [s, s + 4]] });
    expect(out.text).toBe("Summary the Sync ran");
    expect(words(out)).toEqual(["Summary", "Sync"]);
  });

  it("a highlight that covered only markup disappears; plain text is untouched", () => {
    expect(stripMarkdown({ text: "a ``` b", highlights: [[2, 5]] })).toEqual({ text: "a b", highlights: [] });
    expect(stripMarkdown({ text: "snake_case and 2 * 3", highlights: [[0, 10]] })).toEqual({ text: "snake_case and 2 * 3", highlights: [[0, 10]] });
  });

  it("plainText keeps line breaks and indentation", () => {
    expect(plainText("# Title\n\n```ts\n  const a = 1;\n```\n- item **one**")).toBe("Title\n\n\n  const a = 1;\n\n- item one");
  });
});
