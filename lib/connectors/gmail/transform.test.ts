import { describe, expect, it } from "vitest";
import type { gmail_v1 } from "@googleapis/gmail";
import { attachmentSpecOf } from "@/lib/sandbox/gmail/attachments";
import { makeMessage, messageFacts, bodyKindOf, type BodyKind } from "@/lib/sandbox/gmail/data";
import {
  NO_SUBJECT,
  decodeBase64Url,
  decodeCharset,
  decodeEntities,
  decodeMimeWords,
  gmailThreadUrl,
  htmlToText,
  messageText,
  transformMessage,
} from "./transform";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "Gmail sent this email in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


type Part = gmail_v1.Schema$MessagePart;

const b64 = (s: string, pad = false) => {
  const out = Buffer.from(s, "utf8").toString("base64url");
  return pad ? out + "=".repeat((4 - (out.length % 4)) % 4) : out;
};
const text = (mimeType: string, s: string, extra: Partial<Part> = {}): Part => ({
  partId: "",
  mimeType,
  filename: "",
  headers: [{ name: "Content-Type", value: `${mimeType}; charset="UTF-8"` }],
  body: { size: Buffer.byteLength(s), data: b64(s) },
  ...extra,
});
const multi = (subtype: string, parts: Part[]): Part => ({ mimeType: `multipart/${subtype}`, filename: "", headers: [], body: { size: 0 }, parts });
const pdf: Part = { mimeType: "application/pdf", filename: "report.pdf", headers: [], body: { attachmentId: "ANGjdJ_x", size: 1234 } };

function message(payload: Part | undefined, headers: Array<[string, string]> = [["Subject", "Hello"], ["From", "Ada <ada@example.com>"], ["To", "me@example.com"]], extra: Partial<gmail_v1.Schema$Message> = {}): gmail_v1.Schema$Message {
  return {
    id: "18c0ffee00000001",
    threadId: "18c0ffee00000000",
    labelIds: ["INBOX", "UNREAD"],
    snippet: "Hi &amp; welcome",
    historyId: "4242",
    internalDate: "1736150400000",
    sizeEstimate: 1000,
    ...(payload ? { payload: { ...payload, headers: [...headers.map(([name, value]) => ({ name, value })), ...(payload.headers ?? [])] } } : {}),
    ...extra,
  };
}

function ok(raw: unknown) {
  const r = transformMessage(raw);
  if (!r.ok) throw new Error(`expected a document, got failure: ${r.failure.reason}`);
  return r;
}

describe("gmail transform: the document", () => {
  it("maps a message to an email document", () => {
    const r = ok(message(multi("alternative", [text("text/plain", "Plain body\r\nline 2"), text("text/html", "<p>HTML body</p>")])));
    expect(r.label).toBe("Email: Hello");
    expect(r.document).toEqual({
      externalId: "18c0ffee00000001",
      kind: "email",
      title: "Hello",
      text: "Plain body\nline 2",
      url: "https://mail.google.com/mail/u/0/#all/18c0ffee00000000",
      author: "Ada <ada@example.com>",
      metadata: { threadId: "18c0ffee00000000", labels: ["INBOX", "UNREAD"], to: "me@example.com", snippet: "Hi & welcome", historyId: "4242" },
      createdAt: new Date("2025-01-06T08:00:00.000Z"),
      updatedAt: new Date("2025-01-06T08:00:00.000Z"),
    });
    expect(gmailThreadUrl("abc")).toBe("https://mail.google.com/mail/u/0/#all/abc");
  });

  it.each<[string, Part, string]>([
    ["text/plain only", text("text/plain", "  just text  "), "just text"],
    ["HTML only", text("text/html", "<html><head><style>p{}</style></head><body><p>Hello <b>there</b></p><p>Bye</p><script>x()</script></body></html>"), "Hello there\n\nBye"],
    ["alternative prefers text/plain even when HTML comes first", multi("alternative", [text("text/html", "<p>H</p>"), text("text/plain", "P")]), "P"],
    ["mixed > alternative + attachment", multi("mixed", [multi("alternative", [text("text/plain", "inner plain"), text("text/html", "<p>inner html</p>")]), pdf]), "inner plain\n\nAttachment: report.pdf (application/pdf, 1 KB)"],
    ["alternative > plain + related(html, image)", multi("alternative", [text("text/plain", "the plain one"), multi("related", [text("text/html", "<p>html</p>"), { ...pdf, mimeType: "image/png", filename: "logo.png" }])]), "the plain one\n\nAttachment: logo.png (image/png, 1 KB)"],
    ["alternative > related(html) only: HTML converted", multi("alternative", [multi("related", [text("text/html", "<div>from&nbsp;html</div>")])]), "from html"],
    ["mixed with two inline text parts: both, in order", multi("mixed", [text("text/plain", "first"), pdf, text("text/plain", "second")]), "first\n\nsecond\n\nAttachment: report.pdf (application/pdf, 1 KB)"],
    ["a text/plain attachment is not the body", multi("mixed", [text("text/html", "<p>real</p>"), text("text/plain", "attached notes", { filename: "notes.txt" })]), "real\n\nAttachment: notes.txt\nattached notes"],
    ["Content-Disposition: attachment is not the body", multi("mixed", [text("text/plain", "body"), text("text/plain", "file", { headers: [{ name: "Content-Disposition", value: "attachment; filename=a.txt" }] })]), "body\n\nAttachment: a.txt\nfile"],
    ["empty body", { mimeType: "text/plain", filename: "", headers: [], body: { size: 0 } }, ""],
    ["only an attachment: named", multi("mixed", [pdf]), "Attachment: report.pdf (application/pdf, 1 KB)"],
    ["an inline image of the HTML is not an attachment", multi("related", [text("text/html", "<p>hi</p>"), { ...pdf, mimeType: "image/png", filename: "logo.png", headers: [{ name: "Content-Disposition", value: "inline; filename=logo.png" }, { name: "Content-ID", value: "<ii_1>" }] }]), "hi"],
    ["no text at all, one binary file", { ...pdf }, "Attachment: report.pdf (application/pdf, 1 KB)"],
    ["unicode and emoji survive base64url", text("text/plain", "Grüße 👋 東京 — “quotes” ½"), "Grüße 👋 東京 — “quotes” ½"],
  ])("text: %s", (_name, payload, expected) => {
    expect(ok(message(payload)).document.text).toBe(expected);
  });

  it("decodes base64url with and without padding, and the characters - and _", () => {
    // "\xfb\xff\xbe" encodes to "-_--" in base64url ("+/++" in base64).
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbe, 0x3f]);
    expect(Buffer.from(bytes).toString("base64url")).toBe("-_--Pw");
    expect([...decodeBase64Url("-_--Pw")]).toEqual([...bytes]);
    expect([...decodeBase64Url("-_--Pw==")]).toEqual([...bytes]);
    expect([...decodeBase64Url("+/++Pw==")]).toEqual([...bytes]);
    expect(new TextDecoder().decode(decodeBase64Url(b64("héllo wörld?>", true)))).toBe("héllo wörld?>");
    expect(() => decodeBase64Url("not base64!")).toThrow("not valid base64url");
    expect(() => decodeBase64Url("abcde")).toThrow("truncated");
  });

  it("decodes the part's charset (ISO-8859-1, windows-1252), falling back to UTF-8", () => {
    const latin1 = Buffer.from("café £5 ½", "latin1").toString("base64url");
    const part: Part = { mimeType: "text/plain", headers: [{ name: "Content-Type", value: "text/plain; charset=ISO-8859-1" }], body: { data: latin1 } };
    expect(ok(message(part)).document.text).toBe("café £5 ½");
    expect(decodeCharset(Uint8Array.from([0x93, 0x41, 0x94]), "windows-1252")).toBe("“A”");
    expect(decodeCharset(new TextEncoder().encode("ok ✓"), "x-unknown-charset")).toBe("ok ✓");
    expect(decodeCharset(new TextEncoder().encode("ok"), undefined)).toBe("ok");
  });

  it.each<[string, Array<[string, string]>, { title: string; author?: string; to: string | null }]>([
    ["missing Subject", [["From", "a@example.com"]], { title: NO_SUBJECT, author: "a@example.com", to: null }],
    ["blank Subject", [["Subject", "   "], ["From", "a@example.com"], ["To", "b@example.com"]], { title: NO_SUBJECT, author: "a@example.com", to: "b@example.com" }],
    ["no From", [["Subject", "Hi"]], { title: "Hi", to: null }],
    ["unicode subject", [["Subject", "Ünïcödé 🎉 日本語"]], { title: "Ünïcödé 🎉 日本語", to: null }],
    ["encoded words (B, Q, adjacent)", [["Subject", "=?UTF-8?B?8J+OiSBQYXJ0eQ==?= =?ISO-8859-1?Q?_caf=E9?="], ["From", "=?utf-8?q?Jos=C3=A9?= <jose@example.com>"]], { title: "🎉 Party café", author: "José <jose@example.com>", to: null }],
    ["header names are case-insensitive", [["subject", "lower"], ["FROM", "x@example.com"], ["to", "y@example.com"]], { title: "lower", author: "x@example.com", to: "y@example.com" }],
  ])("headers: %s", (_name, headers, want) => {
    const doc = ok(message(text("text/plain", "x"), headers)).document;
    expect(doc.title).toBe(want.title);
    expect(doc.author).toBe(want.author);
    expect((doc.metadata as { to: string | null }).to).toBe(want.to);
  });

  it("uses the Date header when internalDate is missing", () => {
    const doc = ok(message(text("text/plain", "x"), [["Date", "Tue, 7 Jan 2025 10:14:03 +0100 (CET)"]], { internalDate: null })).document;
    expect(doc.createdAt.toISOString()).toBe("2025-01-07T09:14:03.000Z");
  });

  it.each<[string, unknown, { externalId: string; reason: string; detail: string; title?: string }]>([
    ["not an object", "<html>", { externalId: "unknown", reason: UNREADABLE, detail: "Gmail sent a malformed email: not a JSON object" }],
    ["no id", { threadId: "t" }, { externalId: "unknown", reason: UNREADABLE, detail: "Gmail sent a malformed email: it has no id" }],
    ["no payload", message(undefined), { externalId: "18c0ffee00000001", reason: UNREADABLE, detail: "Gmail sent the email without its content (no payload)" }],
    [
      "body not base64url",
      message({ mimeType: "text/plain", body: { size: 3, data: "this is *not* base64url!" } }),
      { externalId: "18c0ffee00000001", title: "Hello", reason: UNREADABLE, detail: "Could not decode the email: the body (text/plain): not valid base64url" },
    ],
    [
      "a nested part not base64url",
      message(multi("alternative", [text("text/plain", "ok", { partId: "0" }), text("text/html", "x", { partId: "1" })].map((p, k) => (k === 0 ? { ...p, body: { data: "%%%" } } : p)))),
      { externalId: "18c0ffee00000001", title: "Hello", reason: UNREADABLE, detail: "Could not decode the email: part 0 (text/plain): not valid base64url" },
    ],
    ["no date at all", message(text("text/plain", "x"), [["Subject", "S"]], { internalDate: null }), { externalId: "18c0ffee00000001", title: "S", reason: UNREADABLE, detail: "Gmail sent the email without a valid date (internalDate)" }],
  ])("failure: %s", (_name, raw, failure) => {
    expect(transformMessage(raw)).toEqual({ ok: false, failure });
  });

  it("turns every sandbox body kind into the text the sandbox wrote", () => {
    const seen = new Set<BodyKind>();
    for (let i = 0; i < 400; i++) {
      const kind = bodyKindOf(i);
      if (kind === "large" && seen.has("large")) continue;
      seen.add(kind);
      const f = messageFacts(i);
      const r = ok(makeMessage(i, { format: "full" }));
      expect(r.document.title).toBe(f.subject?.trim() || NO_SUBJECT);
      if (kind === "html") {
        // Converted from HTML: every line of the plain version, no markup or script.
        const t = r.document.text;
        for (const line of f.plain.split("\n").filter((l) => l.trim() && !l.startsWith(">"))) expect(t).toContain(line.trim());
        expect(t).not.toMatch(/<\/?(p|div|a|br|script|style|html|img|blockquote)\b|__track|margin:|tracking pixel/);
      } else if (kind === "mixed") {
        // The attachment is named (its text comes from messages.attachments.get, not given here).
        const spec = attachmentSpecOf(i);
        const size = spec.size < 1024 ? `${spec.size} B` : `${Math.round(spec.size / 1024)} KB`;
        expect(r.document.text).toBe(`${f.plain.trim()}\n\nAttachment: ${spec.filename} (${spec.mimeType}, ${size})`);
      } else {
        // "related": the inline logo is part of the HTML's layout, not an attachment.
        expect(r.document.text).toBe(f.plain.trim());
      }
    }
    expect(seen.size).toBe(8);
  });
});

describe("gmail transform: htmlToText", () => {
  it.each<[string, string, string]>([
    ["paragraphs and inline markup", "<p>Hello&nbsp;<b>world</b></p><p>Second <i>one</i></p>", "Hello world\n\nSecond one"],
    ["divs are lines", "<div>a</div><div>b</div><div><div>c</div></div>", "a\nb\nc"],
    ["br", "line1<br>line2<br/>line3<BR />line4", "line1\nline2\nline3\nline4"],
    ["lists", "<ul><li>one</li><li>two <b>2</b></li></ul><ol><li>x</li></ol>", "- one\n- two 2\n- x"],
    ["headings", "<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore"],
    ["drops script, style, head, comments, templates", "<head><title>T</title><style>p{color:red}</style></head><!-- c --><script>var a = '<p>no</p>';</script><p>yes</p><template><p>no</p></template>", "yes"],
    ["upper-case tags", "<P>A</P><SCRIPT>x</SCRIPT><DIV>B</DIV>", "A\n\nB"],
    ["an unclosed script drops the rest", "<p>kept</p><script>never closed <p>lost</p>", "kept"],
    ["collapses whitespace like a browser", "<p>a   \n\t  b</p>\n\n   <p>  c  </p>", "a b\n\nc"],
    ["keeps <pre>", "<p>code:</p><pre>  x = 1\n    y\t= 2</pre><p>after</p>", "code:\n\n  x = 1\n    y\t= 2\n\nafter"],
    ["links show where they go", '<a href="https://x.example/a">the docs</a> and <a href="https://y.example">https://y.example</a> and <a href="mailto:a@b.example">mail me</a>', "the docs (https://x.example/a) and https://y.example and mail me (a@b.example)"],
    ["links without text show the url, javascript: links only their text", '<a href="https://z.example/p"></a> <a href="javascript:void(0)">click</a>', "https://z.example/p click"],
    ["tables: a row per line, cells separated", "<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>", "a b\nc d"],
    ["images: their alt text", '<p>Logo: <img src="x.png" alt="ACME Corp"> <img src="pixel.gif" alt=""></p>', "Logo: ACME Corp"],
    ["a stray < or > is text", "<p>1 < 2 and 3 > 2</p>", "1 < 2 and 3 > 2"],
    ["blockquotes", "<p>Reply</p><blockquote>quoted<br>text</blockquote>", "Reply\n\nquoted\ntext"],
    ["attributes with > inside quotes", '<p title="a > b">text</p>', "text"],
    ["doctype and processing instructions", '<!DOCTYPE html><?xml version="1.0"?><p>x</p>', "x"],
    ["no more than one blank line", "<p>a</p><p></p><p></p><div></div><p>b</p>", "a\n\nb"],
  ])("%s", (_name, html, expected) => {
    expect(htmlToText(html)).toBe(expected);
  });

  it("decodes entities: named, numeric, hex, windows-1252 range, invalid ones", () => {
    expect(decodeEntities("&amp; &lt;tag&gt; &quot;q&quot; &#39;s &apos; &#x1F600; &#128512; &eacute;&Uuml; &hellip; &mdash; &euro;")).toBe(
      "& <tag> \"q\" 's ' 😀 😀 éÜ … — €",
    );
    expect(decodeEntities("&#150; &#153; &#0; &#xD800; &#99999999;")).toBe("– ™ \uFFFD \uFFFD \uFFFD");
    expect(decodeEntities("&bogus; &amp &copy 2 ?a=1&copy=2 &nbsp;")).toBe("&bogus; & © 2 ?a=1&copy=2 \u00a0");
    expect(htmlToText('<a href="https://x.example/?a=1&amp;b=2&copy=3">go</a>')).toBe("go (https://x.example/?a=1&b=2&copy=3)");
  });

  it("decodes RFC 2047 encoded words", () => {
    expect(decodeMimeWords("=?UTF-8?B?SGVsbG8=?=")).toBe("Hello");
    expect(decodeMimeWords("=?iso-8859-1?q?caf=E9_cr=E8me?=")).toBe("café crème");
    expect(decodeMimeWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c =?UTF-8?Q?d?=")).toBe("ab c d");
    expect(decodeMimeWords("plain = text ?= stays")).toBe("plain = text ?= stays");
    expect(decodeMimeWords("=?x-unknown?B?b2s=?=")).toBe("ok");
  });

  it("messageText: prefers plain anywhere inside an alternative", () => {
    expect(messageText(multi("alternative", [multi("related", [text("text/html", "<p>h</p>")]), multi("mixed", [text("text/plain", "deep plain")])]))).toBe("deep plain");
  });
});
