import { describe, expect, it } from "vitest";
import { ftsMatchExpression, highlightTokens, parseMarked, queryTokens, tsQueryExpression } from "./search";

describe("query building", () => {
  it("keeps only word tokens, so FTS operators and quotes are never syntax", () => {
    expect(queryTokens('"')).toEqual([]);
    expect(queryTokens("AND (")).toEqual(["AND"]);
    expect(queryTokens("*")).toEqual([]);
    expect(queryTokens('login NEAR("x" y) -z col:w ^a')).toEqual(["login", "NEAR", "x", "y", "z", "col", "w", "a"]);
    expect(queryTokens("日本語 émojis 🎉")).toEqual(["日本語", "émojis"]);
    expect(queryTokens(undefined)).toEqual([]);
  });

  it("quotes every token and makes the last a prefix", () => {
    expect(ftsMatchExpression(["AND", "login"])).toBe('"AND" "login"*');
    expect(ftsMatchExpression([])).toBeNull();
    expect(tsQueryExpression(["Login", "Pa"])).toBe("login & pa:*");
    expect(tsQueryExpression([])).toBeNull();
  });
});

describe("highlights", () => {
  it("turns markers into ranges over plain text", () => {
    const h = parseMarked("Fix \uE000login\uE001 page <b>x</b>");
    expect(h.text).toBe("Fix login page <b>x</b>");
    expect(h.highlights).toEqual([[4, 9]]);
  });

  it("finds word prefixes, accent- and case-insensitively", () => {
    expect(highlightTokens("Ünïcödé names break Login", ["unicode", "log"])).toEqual([
      [0, 7],
      [20, 25],
    ]);
  });
});
