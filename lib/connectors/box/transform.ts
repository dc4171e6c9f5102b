// Pure: a Box file record (+ its downloaded text) -> DocumentInput, and the text helpers
// (bytes -> text with a size cap, HTML -> readable text).
import { z } from "zod";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { unreadableItem } from "@/lib/connectors/kit/malformed-reason";

/** Extensions whose content is read as text (HTML is converted to readable text). */
export const TEXT_EXTENSIONS: ReadonlySet<string> = new Set(["txt", "md", "markdown", "csv", "tsv", "json", "html", "htm", "log", "xml", "yaml", "yml"]);
export const DEFAULT_MAX_TEXT_BYTES = 1_048_576; // 1 MiB

/** The fields the connector asks Box for, on listings and on single files. */
export const FILE_FIELDS = [
  "type", "id", "name", "size", "extension", "etag", "sequence_id", "sha1", "path_collection", "parent",
  "owned_by", "created_at", "modified_at", "content_created_at", "content_modified_at", "item_status",
] as const;

const timestamp = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), { message: "not a valid date" })
  .transform((s) => new Date(s));

const folderRef = z.looseObject({ id: z.string().min(1), name: z.string().nullish() });

const fileSchema = z.looseObject({
  type: z.literal("file"),
  id: z.string().regex(/^\d+$/, { message: "not a Box id" }),
  name: z.string().min(1),
  size: z.number().nonnegative().nullish(),
  extension: z.string().nullish(),
  etag: z.string().nullish(),
  path_collection: z.looseObject({ entries: z.array(folderRef) }).nullish(),
  parent: folderRef.nullish(),
  owned_by: z.looseObject({ name: z.string().nullish(), login: z.string().nullish() }).nullish(),
  created_at: timestamp.nullish(),
  modified_at: timestamp.nullish(),
  content_created_at: timestamp.nullish(),
  content_modified_at: timestamp.nullish(),
  item_status: z.string().nullish(),
});

export interface BoxFileRecord {
  id: string;
  name: string;
  /** Lower case, without the dot ("" when the name has none). */
  extension: string;
  size: number;
  etag: string | null;
  /** "/Projects/Финансы" (the root "All Files" is left out; "/" for files in the root). */
  path: string;
  folderId: string | null;
  author: string | undefined;
  createdAt: Date;
  updatedAt: Date;
  contentModifiedAt: Date | undefined;
  /** "active", "trashed", "deleted". */
  status: string;
}

export type ParseResult = { ok: true; file: BoxFileRecord } | { ok: false; failure: ItemFailure };

export interface FileText {
  text: string;
  /** Set when only the first `shownBytes` of `totalBytes` were read. */
  truncated?: { shownBytes: number; totalBytes: number };
}

function fieldOf(raw: unknown, name: string): unknown {
  return typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

/** The id of a raw record even when the rest of it is broken (so failures can be told apart). */
export function rawFileKey(raw: unknown): string {
  const id = fieldOf(raw, "id");
  return typeof id === "string" && id ? id : typeof id === "number" ? String(id) : "unknown";
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
}

function reasonFrom(error: z.ZodError, raw: unknown): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".") || "file";
    let value: unknown = raw;
    for (const key of issue.path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (issue.code === "invalid_type") {
      const expected = String(issue.expected);
      return `${path} should be ${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}, got ${describeValue(value)}`;
    }
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : "";
  return `Box sent a malformed file record: ${parts.join("; ")}${more}`;
}

export function extensionOf(name: string, given?: string | null): string {
  if (given) return given.toLowerCase().replace(/^\./, "");
  const dot = name.lastIndexOf(".");
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : "";
}

export function isTextLike(extension: string): boolean {
  return TEXT_EXTENSIONS.has(extension.toLowerCase());
}

/** Checks a raw file record (from a folder listing, GET /files/{id} or an event's source). */
export function parseFileRecord(raw: unknown): ParseResult {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const name = fieldOf(raw, "name");
    return {
      ok: false,
      failure: { externalId: rawFileKey(raw), ...(typeof name === "string" && name ? { title: name } : {}), ...unreadableItem("Box", "file record", reasonFrom(parsed.error, raw)) },
    };
  }
  const f = parsed.data;
  const createdAt = f.content_created_at ?? f.created_at ?? f.modified_at ?? f.content_modified_at;
  const updatedAt = f.modified_at ?? f.content_modified_at ?? createdAt;
  if (!createdAt || !updatedAt) {
    return { ok: false, failure: { externalId: f.id, title: f.name, ...unreadableItem("Box", "file record", "Box sent a malformed file record: it has no usable timestamps") } };
  }
  const folders = (f.path_collection?.entries ?? []).filter((e) => e.id !== "0").map((e) => e.name ?? "");
  return {
    ok: true,
    file: {
      id: f.id,
      name: f.name,
      extension: extensionOf(f.name, f.extension),
      size: f.size ?? 0,
      etag: f.etag ?? null,
      path: `/${folders.join("/")}`,
      folderId: f.parent?.id ?? f.path_collection?.entries.at(-1)?.id ?? null,
      author: f.owned_by?.name || f.owned_by?.login || undefined,
      createdAt,
      updatedAt,
      contentModifiedAt: f.content_modified_at ?? undefined,
      status: f.item_status ?? "active",
    },
  };
}

export function boxFileUrl(id: string): string {
  return `https://app.box.com/file/${encodeURIComponent(id)}`;
}

export function fileLabel(name: string): string {
  return `File: ${name}`;
}

function formatBytes(n: number): string {
  if (n >= 1_048_576) return `${Number((n / 1_048_576).toFixed(1))} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

/** The document for a file; `content` is its text (text-like files) or undefined (others). */
export function toDocument(file: BoxFileRecord, content?: FileText): DocumentInput {
  const metadata: Record<string, unknown> = {
    path: file.path,
    size: file.size,
    extension: file.extension,
    folderId: file.folderId,
    etag: file.etag,
  };
  if (file.contentModifiedAt) metadata.contentModifiedAt = file.contentModifiedAt.toISOString();
  if (content?.truncated) {
    metadata.textTruncated = true;
    metadata.note = `Text truncated to the first ${formatBytes(content.truncated.shownBytes)} of ${formatBytes(content.truncated.totalBytes)}`;
  }
  return {
    externalId: file.id,
    kind: "file",
    title: file.name,
    text: content?.text ?? "",
    url: boxFileUrl(file.id),
    ...(file.author ? { author: file.author } : {}),
    metadata,
    createdAt: file.createdAt,
    updatedAt: file.updatedAt,
  };
}

// ---------------------------------------------------------------- bytes -> text

/**
 * UTF-8 bytes -> text for a file of this extension. `totalBytes` is the file's full size:
 * when the bytes are fewer, the text is marked truncated. HTML becomes readable text.
 */
export function textFromBytes(bytes: Uint8Array, extension: string, totalBytes: number): FileText {
  let text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);
  const truncated = totalBytes > bytes.byteLength;
  // A cut inside a multi-byte character decodes to U+FFFD at the very end: drop it.
  if (truncated) text = text.replace(/\uFFFD+$/, "");
  text = text.replace(/\u0000/g, "");
  if (extension === "html" || extension === "htm") text = htmlToText(text);
  return truncated ? { text, truncated: { shownBytes: bytes.byteLength, totalBytes } } : { text };
}

// ---------------------------------------------------------------- HTML -> readable text

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", shy: "",
  mdash: "—", ndash: "–", hellip: "…", bull: "•", middot: "·", times: "×", divide: "÷", deg: "°",
  copy: "©", reg: "®", trade: "™", sect: "§", para: "¶", euro: "€", pound: "£", yen: "¥", cent: "¢",
  laquo: "«", raquo: "»", ldquo: "“", rdquo: "”", lsquo: "‘", rsquo: "’", sbquo: "‚", bdquo: "„",
  aacute: "á", agrave: "à", acirc: "â", auml: "ä", atilde: "ã", aring: "å", aelig: "æ", ccedil: "ç",
  eacute: "é", egrave: "è", ecirc: "ê", euml: "ë", iacute: "í", igrave: "ì", icirc: "î", iuml: "ï",
  ntilde: "ñ", oacute: "ó", ograve: "ò", ocirc: "ô", ouml: "ö", otilde: "õ", oslash: "ø", szlig: "ß",
  uacute: "ú", ugrave: "ù", ucirc: "û", uuml: "ü", yacute: "ý", yuml: "ÿ",
  Aacute: "Á", Agrave: "À", Auml: "Ä", Aring: "Å", Ccedil: "Ç", Eacute: "É", Ntilde: "Ñ", Ouml: "Ö", Oslash: "Ø", Uuml: "Ü",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{1,31});?/gi, (match, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\uFFFD";
      return String.fromCodePoint(code);
    }
    return Object.hasOwn(NAMED_ENTITIES, body) ? NAMED_ENTITIES[body]! : match;
  });
}

const BLOCK_TAGS =
  "address|article|aside|blockquote|body|caption|dd|details|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|html|li|main|nav|ol|p|pre|section|summary|table|tbody|thead|tfoot|title|tr|ul";

/** Readable text of an HTML document: no tags, scripts, styles or comments; entities decoded; blocks on their own lines. */
export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, " ")
    .replace(/<!doctype[^>]*>/gi, " ")
    .replace(/<(script|style|noscript|template|svg)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, " ")
    // Line breaks in the source are just spaces in HTML; tags make the lines.
    .replace(/\s+/g, " ")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n• ")
    .replace(/<\/li\s*>/gi, "")
    .replace(/<\/(td|th)\s*>/gi, "\t")
    .replace(new RegExp(`</?(?:${BLOCK_TAGS})\\b[^>]*>`, "gi"), "\n")
    .replace(/<\/?[a-z][^>]*>/gi, "")
    .replace(/<\/?[a-z][^>]*$/i, "");
  s = decodeEntities(s);
  return s
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0\r\f\v]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
