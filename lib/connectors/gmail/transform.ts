// Pure: one Gmail message (messages.get?format=full, with the text of its text-like attachments)
// -> DocumentInput. The byte and MIME work is in ./charset.ts, ./mime.ts and ./html-text.ts.
import { unreadableItem } from "@/lib/connectors/kit/malformed-reason";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { DecodeError, decodeMimeWords, headerOf, type Header } from "./charset";
import { decodeEntities, htmlToText } from "./html-text";
import { attachmentText, attachmentsOf, isObject, isTextAttachment, messageText, type AttachmentRef } from "./mime";

export { DecodeError, decodeBase64Url, decodeCharset, decodeMimeWords } from "./charset";
export { decodeEntities, htmlToText } from "./html-text";
export { attachmentsOf, attachmentText, isTextAttachment, messageText, type AttachmentRef } from "./mime";

export type TransformResult = { ok: true; document: DocumentInput; label: string } | { ok: false; failure: ItemFailure };

export const NO_SUBJECT = "(no subject)";

/** Where an email opens in Gmail: the conversation, found in "All Mail". */
export function gmailThreadUrl(threadId: string): string {
  return `https://mail.google.com/mail/u/0/#all/${encodeURIComponent(threadId)}`;
}

function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The attachments as they read in the document, after the body: a text-like one with its text
 * (`texts`, by partId: what messages.attachments.get gave, or its inline data), any other named
 * only. Throws DecodeError for inline data that is not base64url.
 */
export function attachmentsSection(attachments: readonly AttachmentRef[], texts: ReadonlyMap<string, string>): string {
  return attachments
    .map((a) => {
      // Fetched with messages.attachments.get, or small enough to have come inline.
      const text = texts.get(a.partId) ?? (a.data !== undefined && isTextAttachment(a) ? attachmentText(a.data, a.charset) : undefined);
      if (text === undefined) return `Attachment: ${a.filename} (${a.mimeType}, ${sizeWords(a.size)})`;
      const readable = a.mimeType.toLowerCase() === "text/html" ? htmlToText(text) : text;
      return readable ? `Attachment: ${a.filename}\n${readable}` : `Attachment: ${a.filename} (empty)`;
    })
    .join("\n\n");
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

/**
 * A messages.get?format=full answer -> a document, or a failure with a reason a person can read.
 * `attachmentTexts`: the text of its text-like attachments by partId (the others are named).
 */
export function transformMessage(raw: unknown, attachmentTexts: ReadonlyMap<string, string> = new Map()): TransformResult {
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
    const files = attachmentsSection(attachmentsOf(payload), attachmentTexts);
    if (files) text = text ? `${text}\n\n${files}` : files;
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
