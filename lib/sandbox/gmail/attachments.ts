// Attachments of the Gmail sandbox's multipart/mixed messages. Pure and deterministic, like
// data.ts. As Gmail does (Schema$MessagePartBody: "When present, contains the ID of an external
// attachment that can be retrieved in a separate messages.attachments.get request"), an
// attachment part carries `body.attachmentId` + `body.size` and no inline `data`; its bytes come
// from users.messages.attachments.get, answered as a MessagePartBody { attachmentId, size, data }
// with `data` in base64url (developers.google.com/gmail/api/reference/rest/v1/users.messages.attachments/get).
import { base64url, mix } from "./data";

export interface AttachmentSpec {
  mimeType: string;
  filename: string;
  /** The bytes' length (MessagePartBody.size: "Number of bytes for the message part data"). */
  size: number;
  /** The text of a text-like attachment (null: binary). */
  text: string | null;
}

const utf8 = new TextEncoder();

function csvOf(i: number): string {
  const rows = ["region,quarter,revenue_eur,notes"];
  const n = 4 + (mix(i + 3) % 5);
  for (let r = 0; r < n; r++) rows.push(`${["north", "south", "east", "west"][r % 4]},Q${1 + (r % 4)},${1000 + (mix(i * 31 + r) % 90_000)},"row ${r} of message ${i}"`);
  return rows.join("\r\n") + "\r\n";
}

function notesOf(i: number): string {
  return `Meeting notes (message ${i})\n\n- Agreed: ship the sandbox attachments first.\n- Open: who reviews the quarterly figures?\n- Next step: send the minutes to everyone by Friday.\n`;
}

function jsonOf(i: number): string {
  return JSON.stringify({ message: i, status: "draft", owners: ["ada", "grace"], figures: { budget: 1000 + (mix(i) % 9000), currency: "EUR" } }, null, 2) + "\n";
}

/**
 * The attachment of message i's multipart/mixed body: a PDF, a PNG (binary) or a CSV, a text note
 * or a JSON file (text-like). `forceText`: the item_errors fault's messages always carry a CSV.
 */
export function attachmentSpecOf(i: number, forceText = false): AttachmentSpec {
  const pick = forceText ? 1 : mix(i ^ 0xa77a) % 5;
  switch (pick) {
    case 1: {
      const text = csvOf(i);
      return { mimeType: "text/csv", filename: `figures-${i}.csv`, size: utf8.encode(text).length, text };
    }
    case 2: {
      const text = notesOf(i);
      return { mimeType: "text/plain", filename: "notes.txt", size: utf8.encode(text).length, text };
    }
    case 3: {
      const text = jsonOf(i);
      return { mimeType: "application/json", filename: `data-${i}.json`, size: utf8.encode(text).length, text };
    }
    case 4:
      return { mimeType: "image/png", filename: `photo-${i}.png`, size: 8_000 + (mix(i) % 30_000), text: null };
    default:
      return { mimeType: "application/pdf", filename: `report-${i}.pdf`, size: 20_000 + (mix(i) % 80_000), text: null };
  }
}

/** The bytes of an attachment: its text, or `size` bytes that start like a file of its type. */
export function attachmentBytes(spec: AttachmentSpec, i: number): Uint8Array {
  if (spec.text !== null) return utf8.encode(spec.text);
  const out = new Uint8Array(spec.size);
  const magic = spec.mimeType === "image/png" ? [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] : [...utf8.encode("%PDF-1.4\n")];
  out.set(magic.slice(0, spec.size));
  for (let k = magic.length; k < spec.size; k++) out[k] = mix(i * 131 + k) & 0xff;
  return out;
}

/** Gmail's attachment ids are long opaque strings ("ANGjdJ…"); ours name the message and part. */
export function attachmentIdOf(messageId: string, partId: string, i: number, size: number): string {
  return `ANGjdJ_${messageId}_${partId.replace(/\./g, "_")}_${mix(i ^ size).toString(36)}`;
}

/** messages.attachments.get's answer (Schema$MessagePartBody). */
export function attachmentBody(attachmentId: string, spec: AttachmentSpec, i: number): { attachmentId: string; size: number; data: string } {
  return { attachmentId, size: spec.size, data: base64url(attachmentBytes(spec, i), false) };
}
