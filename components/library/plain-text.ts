// Markdown marks removed from a snippet, its highlight ranges kept on the same words. Synced
// items are often markdown (GitHub issues, Slack messages, .md files in Box); a person reading a
// search result wants the words, not "```json", "**Sync**" or "## Summary".
import type { HighlightedText, Range } from "@/lib/contract/api";

/** Each rule finds markup in the text; `drop` says which parts of a match to remove. */
interface Rule {
  re: RegExp;
  drop: (m: RegExpExecArray) => Range[];
}

const at = (m: RegExpExecArray, offset: number, length: number): Range => [m.index + offset, m.index + offset + length];

const RULES: Rule[] = [
  // Code fences with their language: ```json, ~~~
  { re: /(```|~~~)[\w+-]*/g, drop: (m) => [at(m, 0, m[0].length)] },
  // Headings and block quotes at a line start (or after collapsed whitespace): "## ", "> "
  { re: /(^|\s)(#{1,6}|>)(?=\s)/g, drop: (m) => [at(m, m[1]!.length, m[2]!.length)] },
  // Images and links: keep the words in the brackets, drop the rest: ![alt](url), [text](url)
  {
    re: /!?\[([^\]\n]*)\]\(([^)\s]*)\)/g,
    drop: (m) => {
      const lead = m[0].startsWith("!") ? 2 : 1;
      const textEnd = lead + m[1]!.length;
      return [at(m, 0, lead), at(m, textEnd, m[0].length - textEnd)];
    },
  },
  // Bold and strike: **x**, __x__, ~~x~~
  { re: /(\*\*|__|~~)(?=\S)([^\n]*?\S)\1/g, drop: (m) => [at(m, 0, 2), at(m, m[0].length - 2, 2)] },
  // Inline code: `x`
  { re: /`([^`\n]+)`/g, drop: (m) => [at(m, 0, 1), at(m, m[0].length - 1, 1)] },
  // Horizontal rules: --- or *** on their own
  { re: /(^|\s)(-{3,}|\*{3,})(?=\s|$)/g, drop: (m) => [at(m, m[1]!.length, m[2]!.length)] },
];

/** The text without markdown marks; every highlight range moved to the same words. */
export function stripMarkdown(value: HighlightedText, opts: { collapse?: boolean } = {}): HighlightedText {
  const collapse = opts.collapse ?? true;
  const { text } = value;
  const drop = new Uint8Array(text.length);
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) {
      const parts = rule.drop(m);
      // Markup an earlier rule already took (the backticks of a fence) is not matched again.
      if (parts.some(([s, e]) => drop.subarray(s, e).includes(1))) {
        rule.re.lastIndex = m.index + 1;
        continue;
      }
      for (const [s, e] of parts) drop.fill(1, Math.max(0, s), Math.min(text.length, e));
      if (m[0].length === 0) rule.re.lastIndex++;
    }
  }
  // newIndex[i]: where original index i lands in the output (for i == length too).
  const newIndex = new Int32Array(text.length + 1);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    newIndex[i] = out.length;
    if (!drop[i]) out += text[i];
  }
  newIndex[text.length] = out.length;

  // Collapse the runs of spaces the removals left behind, moving the ranges with it.
  const collapsedIndex = new Int32Array(out.length + 1);
  let clean = "";
  for (let i = 0; i < out.length; i++) {
    collapsedIndex[i] = clean.length;
    const ch = out[i]!;
    const space = ch === " " || ch === "\t";
    if (collapse && space && (clean.length === 0 || clean.endsWith(" ") || clean.endsWith("\n"))) continue;
    clean += collapse && space ? " " : ch;
  }
  collapsedIndex[out.length] = clean.length;
  const trimmedStart = clean.length - clean.trimStart().length;
  const final = clean.trim();

  const map = (i: number) => Math.min(final.length, Math.max(0, collapsedIndex[newIndex[Math.min(Math.max(i, 0), text.length)]!]! - trimmedStart));
  const highlights: Range[] = [];
  for (const [s, e] of value.highlights) {
    const ns = map(s);
    const ne = map(e);
    if (ne > ns) highlights.push([ns, ne]);
  }
  return { text: final, highlights };
}

/** The same for text without highlights (a document's full text). Keeps its line breaks. */
export function plainText(text: string): string {
  return stripMarkdown({ text, highlights: [] }, { collapse: false }).text;
}
