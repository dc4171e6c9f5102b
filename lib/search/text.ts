// The text side of search, pure: user words into query tokens and expressions (never syntax),
// highlight ranges into plain text, snippets, and the opaque paging cursors.
import type { HighlightedText, Range } from "@/lib/contract/api";
import { badRequest } from "@/lib/api/errors";

export const MAX_TOKENS = 12;
export const SNIPPET_CHARS = 200;
// Private-use characters as highlight markers: they cannot come from the query, and any
// that happen to be in a document are stripped before the markers are parsed.
export const MARK_OPEN = "\uE000";
export const MARK_CLOSE = "\uE001";

/** Word tokens of the user's text (letters, marks, digits); everything else separates them. */
export function queryTokens(q: string | undefined): string[] {
  if (!q) return [];
  const words = q.normalize("NFC").match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  return words.slice(0, MAX_TOKENS);
}

/** FTS5 MATCH expression: every token quoted (so no operators), AND-ed, last one a prefix. */
export function ftsMatchExpression(tokens: string[]): string | null {
  if (tokens.length === 0) return null;
  return tokens.map((t, i) => `"${t.replace(/"/g, '""')}"${i === tokens.length - 1 ? "*" : ""}`).join(" ");
}

/** to_tsquery expression: tokens are letters/digits only, AND-ed, last one a prefix. */
export function tsQueryExpression(tokens: string[]): string | null {
  const clean = tokens.map((t) => t.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase()).filter(Boolean);
  if (clean.length === 0) return null;
  return clean.map((t, i) => (i === clean.length - 1 ? `${t}:*` : t)).join(" & ");
}

/** Text with MARK_OPEN…MARK_CLOSE markers -> plain text + ranges. */
export function parseMarked(marked: string): HighlightedText {
  let text = "";
  const highlights: Range[] = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === MARK_OPEN) {
      start = text.length;
    } else if (ch === MARK_CLOSE) {
      if (start >= 0 && text.length > start) highlights.push([start, text.length]);
      start = -1;
    } else {
      text += ch;
    }
  }
  return { text, highlights };
}

/** Ranges where any token starts a word (case- and accent-insensitive enough for display). */
export function highlightTokens(text: string, tokens: string[]): Range[] {
  if (tokens.length === 0 || text === "") return [];
  const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const needles = tokens.map(fold).filter(Boolean);
  const ranges: Range[] = [];
  for (const m of text.matchAll(/[\p{L}\p{M}\p{N}]+/gu)) {
    const word = fold(m[0]);
    if (needles.some((n) => word.startsWith(n)) && m.index !== undefined) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

export function stripMarkers(s: string): string {
  return s.replace(/[\uE000\uE001]/g, "");
}

export function excerpt(text: string, tokens: string[]): HighlightedText {
  const clean = stripMarkers(text).replace(/\s+/g, " ").trim();
  let from = 0;
  if (tokens.length) {
    const first = highlightTokens(clean, tokens)[0];
    if (first && first[0] > SNIPPET_CHARS / 2) from = first[0] - 40;
  }
  let out = clean.slice(from, from + SNIPPET_CHARS);
  if (from > 0) out = `…${out}`;
  if (from + SNIPPET_CHARS < clean.length) out = `${out}…`;
  return { text: out, highlights: highlightTokens(out, tokens) };
}

export function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" || typeof value === "bigint") return new Date(Number(value)).toISOString();
  const d = new Date(String(value));
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
}

// ---------------------------------------------------------------- cursors

/** Keyset positions. Ranked: score and document id; on SQLite also the FTS5 rowid (`f`), its tie-break. */
export type Cursor = { t: "date"; u: string; id: string } | { t: "rank"; r: number; id: string; f?: number };

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

export function decodeCursor(raw: string | undefined, want: Cursor["t"]): Cursor | null {
  if (!raw) return null;
  try {
    const c = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Partial<Record<string, unknown>>;
    if (c.t !== want || typeof c.id !== "string") throw new Error("shape");
    if (want === "date" && typeof c.u === "string" && !Number.isNaN(Date.parse(c.u))) return { t: "date", u: c.u, id: c.id };
    if (want === "rank" && typeof c.r === "number" && Number.isFinite(c.r)) {
      if (c.f !== undefined && !(typeof c.f === "number" && Number.isSafeInteger(c.f))) throw new Error("shape");
      return { t: "rank", r: c.r, id: c.id, ...(typeof c.f === "number" ? { f: c.f } : {}) };
    }
  } catch {
    // fall through
  }
  throw badRequest("cursor: not a cursor from this search (start again without it)");
}

// ---------------------------------------------------------------- the interface

/** Collapses whitespace in a snippet while keeping its ranges pointing at the same words. */
export function trimSnippet(h: HighlightedText): HighlightedText {
  let text = "";
  const map: number[] = [];
  let prevSpace = false;
  for (let i = 0; i < h.text.length; i++) {
    const ch = h.text[i]!;
    const space = /\s/.test(ch);
    map[i] = text.length;
    if (space && (prevSpace || text.length === 0)) continue;
    text += space ? " " : ch;
    prevSpace = space;
  }
  map[h.text.length] = text.length;
  return { text, highlights: h.highlights.map(([s, e]) => [map[s] ?? 0, map[e] ?? text.length] as Range).filter(([s, e]) => e > s) };
}
