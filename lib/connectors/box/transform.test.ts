import { describe, expect, it } from "vitest";
import { fileExtension, fileText, isTextExtension, makeFile, sandboxUser } from "@/lib/sandbox/box/data";
import { decodeEntities, extensionOf, htmlToText, isTextLike, parseFileRecord, textFromBytes, toDocument, type BoxFileRecord } from "./transform";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "Box sent this file record in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


const base = {
  type: "file",
  id: "1300000000042",
  etag: "1",
  name: "Quarterly report 43.md",
  size: 1234,
  extension: "md",
  path_collection: {
    total_count: 3,
    entries: [
      { type: "folder", id: "0", name: "All Files" },
      { type: "folder", id: "210000000001", name: "Q3 — Planning" },
      { type: "folder", id: "210000000008", name: "Финансы" },
    ],
  },
  parent: { type: "folder", id: "210000000008", name: "Финансы" },
  owned_by: { type: "user", id: "7", name: "Zoë Ångström", login: "zoe@example.com" },
  created_at: "2025-06-02T09:00:05-08:00",
  modified_at: "2025-06-03T10:00:00-08:00",
  content_created_at: "2025-05-30T08:00:00-08:00",
  content_modified_at: "2025-06-02T09:00:00-08:00",
  item_status: "active",
};

describe("parseFileRecord", () => {
  const good: Array<[string, unknown, Partial<BoxFileRecord>]> = [
    [
      "a full record",
      base,
      {
        id: "1300000000042",
        name: "Quarterly report 43.md",
        extension: "md",
        size: 1234,
        etag: "1",
        path: "/Q3 — Planning/Финансы",
        folderId: "210000000008",
        author: "Zoë Ångström",
        createdAt: new Date("2025-05-30T16:00:00Z"),
        updatedAt: new Date("2025-06-03T18:00:00Z"),
        contentModifiedAt: new Date("2025-06-02T17:00:00Z"),
        status: "active",
      },
    ],
    ["a file in the root", { ...base, path_collection: { total_count: 1, entries: [{ type: "folder", id: "0", name: "All Files" }] }, parent: { id: "0", name: "All Files" } }, { path: "/", folderId: "0" }],
    ["no extension field: from the name", { ...base, extension: undefined, name: "Notes.TXT" }, { extension: "txt" }],
    ["no extension at all", { ...base, extension: null, name: "README" }, { extension: "" }],
    ["only the mini fields and modified_at", { type: "file", id: "9", name: "a.csv", modified_at: "2026-01-01T00:00:00Z" }, { path: "/", size: 0, etag: null, folderId: null, author: undefined, createdAt: new Date("2026-01-01T00:00:00Z") }],
    ["an owner without a name", { ...base, owned_by: { type: "user", id: "1", name: "", login: "x@example.com" } }, { author: "x@example.com" }],
    ["a trashed file", { ...base, item_status: "trashed" }, { status: "trashed" }],
  ];

  it.each(good)("maps %s", (_name, raw, expected) => {
    const result = parseFileRecord(raw);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.file).toMatchObject(expected);
  });

  const broken: Array<[string, unknown, { externalId: string; title?: string; reason: string; detail: string }]> = [
    ["name: null (the sandbox's item_errors)", { ...base, name: null }, { externalId: base.id, reason: UNREADABLE, detail: "Box sent a malformed file record: name should be a string, got null" }],
    ["a folder", { ...base, type: "folder" }, { externalId: base.id, title: base.name, reason: UNREADABLE, detail: 'Box sent a malformed file record: type: Invalid input: expected "file"' }],
    ["a size that is text", { ...base, size: "12" }, { externalId: base.id, title: base.name, reason: UNREADABLE, detail: 'Box sent a malformed file record: size should be a number, got "12"' }],
    ["an unparseable date", { ...base, modified_at: "yesterday" }, { externalId: base.id, title: base.name, reason: UNREADABLE, detail: "Box sent a malformed file record: modified_at: not a valid date" }],
    ["no timestamps at all", { type: "file", id: "9", name: "a.csv" }, { externalId: "9", title: "a.csv", reason: UNREADABLE, detail: "Box sent a malformed file record: it has no usable timestamps" }],
    ["a numeric id", { ...base, id: 42 }, { externalId: "42", title: base.name, reason: UNREADABLE, detail: "Box sent a malformed file record: id should be a string, got 42" }],
    ["not an object", "oops", { externalId: "unknown", reason: UNREADABLE, detail: 'Box sent a malformed file record: file should be an object, got "oops"' }],
  ];

  it.each(broken)("fails readably on %s", (_name, raw, failure) => {
    expect(parseFileRecord(raw)).toEqual({ ok: false, failure });
  });

  it("accepts every file the sandbox serves", () => {
    for (let i = 0; i < 300; i++) {
      const raw = JSON.parse(JSON.stringify(makeFile(i, sandboxUser()))) as unknown;
      const result = parseFileRecord(raw);
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.file.id).toBe(String(1_300_000_000_000 + i));
        expect(result.file.extension).toBe(fileExtension(i));
      }
    }
  });
});

describe("toDocument", () => {
  const parsed = parseFileRecord(base);
  if (!parsed.ok) throw new Error("fixture");
  const file = parsed.file;

  it("maps a text file", () => {
    expect(toDocument(file, { text: "# Hello" })).toEqual({
      externalId: "1300000000042",
      kind: "file",
      title: "Quarterly report 43.md",
      text: "# Hello",
      url: "https://app.box.com/file/1300000000042",
      author: "Zoë Ångström",
      metadata: {
        path: "/Q3 — Planning/Финансы",
        size: 1234,
        extension: "md",
        folderId: "210000000008",
        etag: "1",
        contentModifiedAt: "2025-06-02T17:00:00.000Z",
      },
      createdAt: new Date("2025-05-30T16:00:00Z"),
      updatedAt: new Date("2025-06-03T18:00:00Z"),
    });
  });

  it("maps a binary file with empty text, and notes truncation", () => {
    expect(toDocument({ ...file, extension: "pdf" }).text).toBe("");
    const doc = toDocument(file, { text: "x", truncated: { shownBytes: 1_048_576, totalBytes: 1_572_864 } });
    expect(doc.metadata).toMatchObject({ textTruncated: true, note: "Text truncated to the first 1 MB of 1.5 MB" });
    expect("author" in toDocument({ ...file, author: undefined })).toBe(false);
  });
});

describe("text", () => {
  it.each([
    ["txt", true], ["md", true], ["CSV", true], ["json", true], ["html", true], ["htm", true],
    ["pdf", false], ["docx", false], ["png", false], ["", false],
  ] as const)("isTextLike(%s) = %s", (ext, want) => {
    expect(isTextLike(ext)).toBe(want);
  });

  it.each([
    ["report.final.PDF", undefined, "pdf"],
    ["noext", undefined, ""],
    [".hidden", undefined, ""],
    ["trailing.", undefined, ""],
    ["x.txt", ".MD", "md"],
  ] as const)("extensionOf(%s, %s) = %s", (name, given, want) => {
    expect(extensionOf(name, given)).toBe(want);
  });

  it("decodes UTF-8 and marks truncation, dropping a character cut in half", () => {
    const bytes = new TextEncoder().encode("héllo 東京");
    expect(textFromBytes(bytes, "txt", bytes.byteLength)).toEqual({ text: "héllo 東京" });
    const cut = bytes.subarray(0, bytes.byteLength - 1); // the last character loses a byte
    expect(textFromBytes(cut, "txt", bytes.byteLength)).toEqual({ text: "héllo 東", truncated: { shownBytes: cut.byteLength, totalBytes: bytes.byteLength } });
    expect(textFromBytes(new TextEncoder().encode("\uFEFFbom\u0000"), "csv", 9).text).toBe("bom");
  });

  it.each([
    ["&amp;&lt;&gt;&quot;&#39;&apos;", `&<>"''`],
    ["caf&eacute; &#233;&#xE9; &#x1F600;", "café éé 😀"],
    ["&nbsp;&mdash;&hellip;&euro;", " —…€"],
    ["&unknown; &amp", "&unknown; &"],
    ["&#0; &#xD800; &#x110000;", "\uFFFD \uFFFD \uFFFD"],
  ])("decodeEntities(%s)", (input, want) => {
    expect(decodeEntities(input)).toBe(want);
  });

  it.each([
    ["<p>One</p><p>Two</p>", "One\n\nTwo"],
    ["<b>bo</b>ld and <i>it</i>alic", "bold and italic"],
    ["line<br>break<br/>again", "line\nbreak\nagain"],
    ["<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>", "• a\n• b"],
    ["<script>var x = '<p>';</script><style>p{}</style>kept", "kept"],
    ["<!-- hidden <p>x</p> -->shown", "shown"],
    ["<table><tr><td>a</td><td>b</td></tr></table>", "a b"],
    ["&lt;not a tag&gt; 1 < 2", "<not a tag> 1 < 2"],
    ["source\n   line   breaks", "source line breaks"],
    ["<p>unclosed <b", "unclosed"],
  ])("htmlToText(%j)", (html, want) => {
    expect(htmlToText(html)).toBe(want);
  });

  it("turns every sandbox HTML file into its readable text", () => {
    let seen = 0;
    for (let i = 0; i < 200; i++) {
      if (fileExtension(i) !== "html" || !isTextExtension(fileExtension(i))) continue;
      seen++;
      const text = htmlToText(fileText(i));
      expect(text).toContain(`Heading & more for sandbox file ${i + 1}`);
      expect(text).toContain("Fish & chips cost £5 – café élève <tag> 😀\nsecond line");
      expect(text).not.toMatch(/window\.secret|display: none|a comment/);
    }
    expect(seen).toBeGreaterThan(10);
  });
});
