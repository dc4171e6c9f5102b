// One email read for the library: messages.get?format=full, then messages.attachments.get for each
// text-like attachment small enough to index, then the document. A message found in Trash or Spam
// is "removed" (it leaves the library, as messages.list without includeSpamTrash leaves it out);
// one deleted before or while we read it (404 "Requested entity was not found.") is a failure
// with plain words, and removed too.
import { z } from "zod";
import { malformedReason, unreadableItem } from "@/lib/connectors/kit/malformed-reason";
import { explainGmailError as explain, isNotFound, type GmailApi } from "./client";
import { GONE_LABELS } from "./listing";
import { DecodeError } from "./charset";
import { attachmentText, attachmentsOf, isTextAttachment } from "./mime";
import { transformMessage, type TransformResult } from "./transform";

/** Text attachments above this are named only (a CSV of 512 KB is already a lot of words). */
export const MAX_ATTACHMENT_TEXT_BYTES = 512 * 1024;

/** Per id: the document or failure, or "removed" (in Trash / Spam); `gone`: deleted at Gmail (also removed). */
export type FetchResult = TransformResult | { ok: "removed"; externalId: string } | (Extract<TransformResult, { ok: false }> & { gone: true });

/** users.messages.attachments.get's answer (MessagePartBody): base64url `data`. */
const attachmentBodySchema = z.object({ data: z.string().nullish(), size: z.number().int().nonnegative().nullish(), attachmentId: z.string().nullish() });

const DELETED_DETAIL = "HTTP 404: Requested entity was not found.";

export async function readEmail(api: GmailApi, id: string, signal: AbortSignal): Promise<FetchResult> {
  let message;
  try {
    message = await api.getMessage(id, signal);
  } catch (err) {
    if (isNotFound(err)) {
      return {
        ok: false,
        gone: true,
        failure: { externalId: id, reason: "This email was deleted in Gmail after the sync listed it, so there was nothing to read. Nothing to do.", detail: DELETED_DETAIL },
      };
    }
    throw explain(err);
  }
  const labels = Array.isArray(message.labelIds) ? message.labelIds : [];
  if (labels.some((l) => typeof l === "string" && GONE_LABELS.has(l))) return { ok: "removed", externalId: typeof message.id === "string" && message.id ? message.id : id };

  const texts = new Map<string, string>();
  for (const a of attachmentsOf(message.payload)) {
    if (!a.attachmentId || a.data !== undefined || !isTextAttachment(a) || a.size > MAX_ATTACHMENT_TEXT_BYTES) continue;
    let raw: unknown;
    try {
      raw = await api.getAttachment(id, a.attachmentId, signal);
    } catch (err) {
      if (isNotFound(err)) {
        return {
          ok: false,
          gone: true,
          failure: {
            externalId: id,
            reason: `This email was deleted in Gmail while 2nd Brain was reading its attachment “${a.filename}”, so it was left out. Nothing to do.`,
            detail: `messages.attachments.get: ${DELETED_DETAIL}`,
          },
        };
      }
      throw explain(err);
    }
    const body = attachmentBodySchema.safeParse(raw);
    if (!body.success) {
      return { ok: false, failure: { externalId: id, ...unreadableItem("Gmail", "email", malformedReason(body.error, raw, `Gmail sent a malformed attachment (${a.filename})`, "attachment")) } };
    }
    try {
      texts.set(a.partId, body.data.data ? attachmentText(body.data.data, a.charset) : "");
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { ok: false, failure: { externalId: id, ...unreadableItem("Gmail", "email", `Could not decode the attachment ${a.filename}: ${err.message}`) } };
    }
  }
  const result = transformMessage(message, texts);
  if (!result.ok && result.failure.externalId === "unknown") result.failure.externalId = id;
  return result;
}
