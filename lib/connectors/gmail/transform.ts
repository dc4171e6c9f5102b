// Pure: one Gmail message (messages.get?format=full) -> DocumentInput, and the helpers that
// takes: base64url bodies in their charset, MIME part selection (text/plain first, else HTML
// made readable), RFC 2047 encoded words in headers, and a small careful HTML-to-text converter.
import { unreadableItem } from "@/lib/connectors/kit/malformed-reason";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";

export type TransformResult = { ok: true; document: DocumentInput; label: string } | { ok: false; failure: ItemFailure };

export const NO_SUBJECT = "(no subject)";

/** Where an email opens in Gmail: the conversation, found in "All Mail". */
export function gmailThreadUrl(threadId: string): string {
  return `https://mail.google.com/mail/u/0/#all/${encodeURIComponent(threadId)}`;
}

export class DecodeError extends Error {}

// ---------------------------------------------------------------- base64url and charsets

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Gmail's body.data: base64url, with or without "=" padding (plain base64's +/ accepted too). */
export function decodeBase64Url(data: string): Uint8Array {
  const s = data.replace(/\s+/g, "").replace(/\+/g, "-").replace(/\//g, "_");
  if (!B64URL.test(s)) throw new DecodeError("not valid base64url");
  const bare = s.replace(/=+$/, "");
  if (bare.length % 4 === 1) throw new DecodeError("not valid base64url (truncated)");
  const buf = Buffer.from(bare, "base64url");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Bytes 0x80..0x9F of windows-1252 (and HTML's numeric references 128..159). */
const WIN1252: Record<number, number> = {
  128: 0x20ac, 130: 0x201a, 131: 0x0192, 132: 0x201e, 133: 0x2026, 134: 0x2020, 135: 0x2021, 136: 0x02c6, 137: 0x2030,
  138: 0x0160, 139: 0x2039, 140: 0x0152, 142: 0x017d, 145: 0x2018, 146: 0x2019, 147: 0x201c, 148: 0x201d, 149: 0x2022,
  150: 0x2013, 151: 0x2014, 152: 0x02dc, 153: 0x2122, 154: 0x0161, 155: 0x203a, 156: 0x0153, 158: 0x017e, 159: 0x0178,
};

/** Labels that mean windows-1252 (the WHATWG Encoding Standard maps ISO-8859-1 and ASCII to it too). */
const WINDOWS_1252_LABELS = new Set([
  "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "latin1", "l1", "ibm819", "cp819",
  "csisolatin1", "iso-ir-100", "us-ascii", "ascii", "ansi_x3.4-1968", "iso_8859-1:1987",
]);

/** Decodes bytes in a MIME charset; unknown charsets fall back to UTF-8 (with U+FFFD for bad bytes). */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase() || "utf-8";
  // Decoded here: some Node builds decode windows-1252 as plain ISO-8859-1 (0x93 -> U+0093, not “).
  if (WINDOWS_1252_LABELS.has(label)) {
    let out = "";
    for (let k = 0; k < bytes.length; k += 8192) {
      const chunk = Array.from(bytes.subarray(k, k + 8192), (b) => WIN1252[b] ?? b);
      out += String.fromCharCode(...chunk);
    }
    return out;
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(bytes);
}

// ---------------------------------------------------------------- headers

/** RFC 2047 encoded words ("=?UTF-8?B?...?=", "=?iso-8859-1?Q?caf=E9?="); whitespace between two of them is dropped. */
export function decodeMimeWords(value: string): string {
  if (!value.includes("=?")) return value;
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, "$1");
  return joined.replace(word, (whole, charset: string, enc: string, text: string) => {
    try {
      const cs = charset.split("*")[0]; // RFC 2231 language suffix
      let bytes: Uint8Array;
      if (enc.toUpperCase() === "B") {
        const buf = Buffer.from(text, "base64");
        bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } else {
        const out: number[] = [];
        const q = text.replace(/_/g, " ");
        for (let k = 0; k < q.length; k++) {
          const c = q[k]!;
          if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(q.slice(k + 1, k + 3))) {
            out.push(parseInt(q.slice(k + 1, k + 3), 16));
            k += 2;
          } else {
            out.push(...new TextEncoder().encode(c));
          }
        }
        bytes = Uint8Array.from(out);
      }
      return decodeCharset(bytes, cs);
    } catch {
      return whole;
    }
  });
}

interface Header {
  name?: string | null;
  value?: string | null;
}

function headerOf(headers: readonly Header[] | null | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of headers ?? []) {
    if (typeof h?.name === "string" && h.name.toLowerCase() === lower && typeof h.value === "string") return h.value;
  }
  return undefined;
}

function paramOf(headerValue: string | undefined, param: string): string | undefined {
  if (!headerValue) return undefined;
  const m = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(headerValue);
  return m ? (m[1] ?? m[2]) : undefined;
}

// ---------------------------------------------------------------- HTML -> text

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

// ---------------------------------------------------------------- MIME parts

interface Part {
  partId?: string | null;
  mimeType?: string | null;
  filename?: string | null;
  headers?: Header[] | null;
  body?: { data?: string | null; size?: number | null; attachmentId?: string | null } | null;
  parts?: Part[] | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describePart(part: Part): string {
  const id = typeof part.partId === "string" && part.partId !== "" ? `part ${part.partId}` : "the body";
  return `${id} (${part.mimeType ?? "no type"})`;
}

function isAttachment(part: Part): boolean {
  if (typeof part.filename === "string" && part.filename !== "") return true;
  return /^\s*attachment\b/i.test(headerOf(part.headers, "Content-Disposition") ?? "");
}

function decodePart(part: Part): string {
  const data = part.body?.data;
  if (data === undefined || data === null || data === "") return "";
  if (typeof data !== "string") throw new DecodeError(`${describePart(part)}: body.data is not a string`);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(data);
  } catch (err) {
    throw new DecodeError(`${describePart(part)}: ${(err as Error).message}`);
  }
  const charset = paramOf(headerOf(part.headers, "Content-Type"), "charset");
  return decodeCharset(bytes, charset).replace(/\r\n?/g, "\n");
}

function mimeOf(part: Part): string {
  return typeof part.mimeType === "string" ? part.mimeType.trim().toLowerCase() : "";
}

function hasPlain(part: Part, depth = 0): boolean {
  if (depth > 20 || !isObject(part)) return false;
  const type = mimeOf(part);
  if (type === "text/plain") return !isAttachment(part);
  return Array.isArray(part.parts) && part.parts.some((p) => hasPlain(p, depth + 1));
}

/** The readable text of a part: text/plain preferred, else its HTML made readable. undefined: no text in it. */
function textOf(part: Part, depth = 0): string | undefined {
  if (depth > 20) throw new DecodeError("the MIME structure is nested too deeply");
  if (!isObject(part)) throw new DecodeError("a MIME part is not an object");
  const type = mimeOf(part);
  if (type.startsWith("multipart/")) {
    const parts = Array.isArray(part.parts) ? part.parts : [];
    if (type === "multipart/alternative") {
      // Alternatives of the same content: the plain one if there is one, else the first with text.
      const preferred = parts.find((p) => hasPlain(p, depth + 1));
      if (preferred) return textOf(preferred, depth + 1);
      for (const p of parts) {
        const t = textOf(p, depth + 1);
        if (t !== undefined) return t;
      }
      return undefined;
    }
    // mixed, related, signed, …: every part with text, in order.
    const texts = parts.map((p) => textOf(p, depth + 1)).filter((t): t is string => t !== undefined && t.trim() !== "");
    return texts.length ? texts.join("\n\n") : parts.length ? "" : undefined;
  }
  if (isAttachment(part)) return undefined;
  if (type === "text/plain" || type === "") return decodePart(part).trim();
  if (type === "text/html") return htmlToText(decodePart(part));
  return undefined;
}

/** The email's text: text/plain preferred, else its HTML converted; "" for an empty body. Throws DecodeError. */
export function messageText(payload: unknown): string {
  return textOf(payload as Part) ?? "";
}

// ---------------------------------------------------------------- the message

function dateOf(internalDate: unknown, dateHeader: string | undefined): Date | undefined {
  if (typeof internalDate === "string" && /^\d{1,16}$/.test(internalDate)) return new Date(Number(internalDate));
  if (typeof internalDate === "number" && Number.isFinite(internalDate)) return new Date(internalDate);
  if (dateHeader) {
    const ms = Date.parse(dateHeader.replace(/\s*\([^)]*\)\s*$/, ""));
    if (Number.isFinite(ms)) return new Date(ms);
  }
  return undefined;
}

/** `detail`: the technical reason; the person reads unreadableItem's words. */
function fail(externalId: string, detail: string, title?: string): TransformResult {
  return { ok: false, failure: { externalId, ...(title ? { title } : {}), ...unreadableItem("Gmail", "email", detail) } };
}

/** A messages.get?format=full answer -> a document, or a failure with a reason a person can read. */
export function transformMessage(raw: unknown): TransformResult {
  if (!isObject(raw)) return fail("unknown", "Gmail sent a malformed email: not a JSON object");
  const id = typeof raw.id === "string" && raw.id ? raw.id : undefined;
  if (!id) return fail("unknown", "Gmail sent a malformed email: it has no id");
  const threadId = typeof raw.threadId === "string" && raw.threadId ? raw.threadId : id;
  const payload = raw.payload;
  if (!isObject(payload)) return fail(id, "Gmail sent the email without its content (no payload)");
  const headers = Array.isArray(payload.headers) ? (payload.headers as Header[]) : [];
  const subjectRaw = headerOf(headers, "Subject");
  const subject = subjectRaw === undefined ? "" : decodeMimeWords(subjectRaw).replace(/\s+/g, " ").trim();
  const title = subject || NO_SUBJECT;

  let text: string;
  try {
    text = messageText(payload);
  } catch (err) {
    if (err instanceof DecodeError) return fail(id, `Could not decode the email: ${err.message}`, title);
    throw err;
  }
  const date = dateOf(raw.internalDate, headerOf(headers, "Date"));
  if (!date) return fail(id, "Gmail sent the email without a valid date (internalDate)", title);

  const from = headerOf(headers, "From");
  const to = headerOf(headers, "To");
  const labels = Array.isArray(raw.labelIds) ? raw.labelIds.filter((l): l is string => typeof l === "string") : [];
  const document: DocumentInput = {
    externalId: id,
    kind: "email",
    title,
    text,
    url: gmailThreadUrl(threadId),
    ...(from ? { author: decodeMimeWords(from).trim() } : {}),
    metadata: {
      threadId,
      labels,
      to: to ? decodeMimeWords(to).trim() : null,
      snippet: typeof raw.snippet === "string" ? decodeEntities(raw.snippet) : "",
      historyId: typeof raw.historyId === "string" ? raw.historyId : null,
    },
    createdAt: date,
    updatedAt: date,
  };
  return { ok: true, document, label: `Email: ${title}` };
}
