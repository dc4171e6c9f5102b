// HTML emails to readable text: entities, and a small careful converter that keeps what a reader
// sees (blocks as line breaks, lists, links) and drops what they do not (scripts, styles, head).
import { WIN1252 } from "./charset";


const LATIN1_ENTITIES =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest " +
  "Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig " +
  "agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml";

const NAMED_ENTITIES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  LATIN1_ENTITIES.split(" ").forEach((name, k) => map.set(name, String.fromCharCode(160 + k)));
  const extra: Record<string, number> = {
    amp: 38, lt: 60, gt: 62, quot: 34, apos: 39, OElig: 338, oelig: 339, Scaron: 352, scaron: 353, Yuml: 376, fnof: 402,
    circ: 710, tilde: 732, ensp: 8194, emsp: 8195, thinsp: 8201, zwnj: 8204, zwj: 8205, lrm: 8206, rlm: 8207,
    ndash: 8211, mdash: 8212, lsquo: 8216, rsquo: 8217, sbquo: 8218, ldquo: 8220, rdquo: 8221, bdquo: 8222,
    dagger: 8224, Dagger: 8225, bull: 8226, hellip: 8230, permil: 8240, prime: 8242, Prime: 8243, lsaquo: 8249,
    rsaquo: 8250, oline: 8254, euro: 8364, trade: 8482, larr: 8592, uarr: 8593, rarr: 8594, darr: 8595, harr: 8596,
    minus: 8722, le: 8804, ge: 8805, ne: 8800, infin: 8734, hearts: 9829, check: 10003, star: 9734, starf: 9733,
    Alpha: 913, Beta: 914, Gamma: 915, Delta: 916, alpha: 945, beta: 946, gamma: 947, delta: 948, pi: 960, mu: 956,
  };
  for (const [name, cp] of Object.entries(extra)) map.set(name, String.fromCodePoint(cp));
  return map;
})();

/** The few entities browsers still accept without the ";". */
const LEGACY_NO_SEMICOLON = new Set(["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"]);

export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*)(;?)/g, (whole, ref: string, semi: string, offset: number) => {
    if (ref.startsWith("#")) {
      const hex = ref[1] === "x" || ref[1] === "X";
      const digits = ref.slice(hex ? 2 : 1);
      let cp = digits.length > 8 ? Infinity : parseInt(digits, hex ? 16 : 10);
      if (WIN1252[cp] !== undefined) cp = WIN1252[cp]!;
      if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\uFFFD";
      return String.fromCodePoint(cp);
    }
    const named = NAMED_ENTITIES.get(ref);
    if (named === undefined) return whole;
    if (semi === ";") return named;
    // "&copy=2" in a URL's query is not "©=2" (the HTML spec's rule for attributes).
    if (LEGACY_NO_SEMICOLON.has(ref) && s[offset + whole.length] !== "=") return named;
    return whole;
  });
}

/** Elements whose content is never text a reader sees. */
const SKIP_CONTENT = new Set(["script", "style", "head", "title", "noscript", "template", "svg", "math", "object", "iframe", "select"]);
/** Elements that start and end a line. */
const BLOCK = new Set([
  "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
  "footer", "form", "header", "hgroup", "li", "main", "nav", "ol", "section", "summary", "ul", "tr", "table", "tbody",
  "thead", "tfoot", "caption", "option",
]);
/** Blocks that also get a blank line around them. */
const PARAGRAPH = new Set(["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"]);

// Sentinels for whitespace inside <pre> (kept through the whitespace clean-up) and for line breaks.
const PRE_SPACE = "\u0001";
const PRE_TAB = "\u0002";
const NL = "\n";

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, "i").exec(attrs);
  const raw = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  return raw === undefined ? undefined : decodeEntities(raw);
}

/**
 * Readable text from an HTML email: scripts, styles and the head dropped, block elements and <br>
 * as line breaks (paragraphs and headings as blank lines), list items as "- ", table cells
 * separated by spaces, links as "text (url)" when the url adds something, entities decoded,
 * whitespace collapsed as a browser would (kept inside <pre>).
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let preDepth = 0;
  const links: Array<{ href: string | undefined; start: number }> = [];
  // Line breaks are asked for (a block wants 1, a paragraph 2) and written only before the next
  // visible text, so nested and adjacent blocks give one break, not one per tag.
  let pending = 0;
  let trailing = 0; // newlines already written since the last visible text
  let started = false;
  const visible = (t: string) => {
    if (started && pending > trailing) out.push(NL.repeat(pending - trailing));
    pending = 0;
    trailing = 0;
    started = true;
    out.push(t);
  };
  const breakLine = (n: number) => {
    pending = Math.max(pending, n);
  };
  const token = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<![^>]*>?|<\?[^>]*>?|<(\/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|[^<]+|</g;
  let m: RegExpExecArray | null;
  const lower = html.toLowerCase();

  while ((m = token.exec(html)) !== null) {
    const whole = m[0];
    const name = m[2]?.toLowerCase();
    if (name === undefined) {
      if (whole.startsWith("<!--") || whole.startsWith("<!") || whole.startsWith("<?")) continue;
      // Text (or a stray "<").
      let text = decodeEntities(whole);
      if (preDepth > 0) {
        text = text.replace(/\r\n?/g, NL);
        const lines = text.split(NL);
        lines.forEach((line, k) => {
          if (k > 0) {
            if (started) out.push(NL);
            trailing++;
          }
          if (line) visible(line.replace(/ /g, PRE_SPACE).replace(/\t/g, PRE_TAB));
        });
        continue;
      }
      text = text.replace(/[\t\n\f\r ]+/g, " ");
      if (text.trim()) visible(text);
      else if (text && started) out.push(" ");
      continue;
    }
    const closing = m[1] === "/";
    const attrs = m[3] ?? "";
    const selfClosing = /\/\s*$/.test(attrs);

    if (!closing && SKIP_CONTENT.has(name) && !selfClosing) {
      const end = lower.indexOf(`</${name}`, token.lastIndex);
      if (end < 0) break;
      const close = html.indexOf(">", end);
      token.lastIndex = close < 0 ? html.length : close + 1;
      continue;
    }
    if (name === "br") {
      if (started && pending > trailing) out.push(NL.repeat(pending - trailing));
      if (pending > trailing) trailing = pending;
      pending = 0;
      if (started) out.push(NL);
      trailing++;
      continue;
    }
    if (name === "pre") preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
    if (PARAGRAPH.has(name)) {
      breakLine(2);
      continue;
    }
    if (BLOCK.has(name)) {
      breakLine(1);
      if (name === "li" && !closing) visible("- ");
      continue;
    }
    if (name === "td" || name === "th") {
      if (closing) out.push(" ");
      continue;
    }
    if (name === "img" && !closing) {
      const alt = attr(attrs, "alt")?.trim();
      if (alt) visible(alt);
      continue;
    }
    if (name === "a") {
      if (!closing && !selfClosing) {
        links.push({ href: attr(attrs, "href"), start: out.length });
      } else if (closing) {
        const link = links.pop();
        const href = link?.href?.trim();
        if (link && href && /^(https?:|mailto:)/i.test(href)) {
          const text = out.slice(link.start).join("").replace(/\s+/g, " ").trim();
          const shown = href.replace(/^mailto:/i, "");
          if (!text) visible(shown);
          else if (!text.includes(shown) && !shown.includes(text.replace(/^https?:\/\//i, ""))) out.push(` (${shown})`);
        }
      }
      continue;
    }
    // Void and inline elements (img without alt, b, i, span, font, …): no break.
  }

  const text = out
    .join("")
    .replace(/\u00a0/g, " ")
    .split(NL)
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join(NL)
    .replace(/\n{3,}/g, "\n\n")
    .replace(new RegExp(PRE_SPACE, "g"), " ")
    .replace(new RegExp(PRE_TAB, "g"), "\t");
  return text.trim();
}

