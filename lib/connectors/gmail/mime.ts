// The MIME tree of a messages.get?format=full answer: which part holds the email's text (text/plain
// first, else the HTML made readable) and which parts are attachments.
import { DecodeError, decodeBase64Url, decodeCharset, headerOf, paramOf, type Header } from "./charset";
import { htmlToText } from "./html-text";


export interface Part {
  partId?: string | null;
  mimeType?: string | null;
  filename?: string | null;
  headers?: Header[] | null;
  body?: { data?: string | null; size?: number | null; attachmentId?: string | null } | null;
  parts?: Part[] | null;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describePart(part: Part): string {
  const id = typeof part.partId === "string" && part.partId !== "" ? `part ${part.partId}` : "the body";
  return `${id} (${part.mimeType ?? "no type"})`;
}

export function isAttachment(part: Part): boolean {
  if (typeof part.filename === "string" && part.filename !== "") return true;
  return /^\s*attachment\b/i.test(headerOf(part.headers, "Content-Disposition") ?? "");
}

export function decodePart(part: Part): string {
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

export function mimeOf(part: Part): string {
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


// ---------------------------------------------------------------- attachments

/** An attachment part of a message: its bytes come from messages.attachments.get (or inline `data`). */
export interface AttachmentRef {
  partId: string;
  filename: string;
  mimeType: string;
  /** Bytes, as Gmail says (MessagePartBody.size). */
  size: number;
  attachmentId?: string;
  /** Small attachments may come inline, base64url, like a body. */
  data?: string;
  charset?: string;
}

/** Text-like types whose text goes into the document (beside text/*). */
const TEXT_TYPES = new Set(["application/json", "application/xml", "application/csv", "application/x-yaml", "application/yaml", "application/x-ndjson", "application/javascript", "application/sql"]);

/** Whether an attachment's bytes are text a person would search (CSV, notes, JSON…), not a binary file. */
export function isTextAttachment(a: Pick<AttachmentRef, "mimeType" | "filename">): boolean {
  const type = a.mimeType.toLowerCase();
  if (type.startsWith("text/")) return true;
  if (TEXT_TYPES.has(type) || /\+(json|xml)$/.test(type)) return true;
  // Mailers often send text files as application/octet-stream: trust a text extension then.
  return type === "application/octet-stream" && /\.(txt|csv|tsv|md|markdown|json|xml|ya?ml|log|ini|cfg)$/i.test(a.filename);
}

/**
 * The attachments of a message, in MIME order: parts with a file name (or "attachment"
 * disposition), except inline images referenced by the HTML (Content-ID + inline disposition),
 * which are part of the body's layout, not files the person attached.
 */
export function attachmentsOf(payload: unknown, depth = 0, out: AttachmentRef[] = []): AttachmentRef[] {
  if (depth > 20 || !isObject(payload)) return out;
  const part = payload as Part;
  if (Array.isArray(part.parts)) for (const p of part.parts) attachmentsOf(p, depth + 1, out);
  if (!isAttachment(part)) return out;
  const disposition = headerOf(part.headers, "Content-Disposition") ?? "";
  if (/^\s*inline\b/i.test(disposition) && headerOf(part.headers, "Content-ID")) return out;
  const body = isObject(part.body) ? part.body : {};
  const filename = (typeof part.filename === "string" && part.filename) || paramOf(disposition, "filename") || "attachment";
  out.push({
    partId: typeof part.partId === "string" ? part.partId : "",
    filename,
    mimeType: mimeOf(part) || "application/octet-stream",
    size: typeof body.size === "number" && body.size >= 0 ? body.size : 0,
    ...(typeof body.attachmentId === "string" && body.attachmentId ? { attachmentId: body.attachmentId } : {}),
    ...(typeof body.data === "string" && body.data ? { data: body.data } : {}),
    ...(paramOf(headerOf(part.headers, "Content-Type"), "charset") ? { charset: paramOf(headerOf(part.headers, "Content-Type"), "charset") } : {}),
  });
  return out;
}

/** An attachment's bytes (base64url, from the part or messages.attachments.get) as text. Throws DecodeError. */
export function attachmentText(data: string, charset: string | undefined): string {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(data);
  } catch (err) {
    throw new DecodeError(`an attachment: ${(err as Error).message}`);
  }
  return decodeCharset(bytes, charset).replace(/\r\n?/g, "\n").replace(/^\uFEFF/, "").trim();
}
