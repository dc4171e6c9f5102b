// A Box file record -> a document, with the text of text-like files (downloaded up to a cap).
import { unreadableItem } from "@/lib/connectors/kit/malformed-reason";
import { DownloadFileHeaders } from "box-typescript-sdk-gen/lib/managers/downloads.generated";
import { BoxApiError, BoxSdkError } from "box-typescript-sdk-gen/lib/box/errors";
import type { Readable } from "node:stream";
import type { BoxClient } from "box-typescript-sdk-gen";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { boxErrorCode, boxErrorStatus } from "./client";
import { FILE_FIELDS, fileLabel, isTextLike, parseFileRecord, textFromBytes, toDocument, type BoxFileRecord, type FileText } from "./transform";

export type FileOutcome =
  | { kind: "doc"; document: DocumentInput; label: string }
  | { kind: "fail"; failure: ItemFailure }
  | { kind: "skip" };

/** What reading files needs: the client, the run's signal, and the text cap. */
export interface FileReader {
  box: BoxClient;
  signal: AbortSignal;
  maxTextBytes: number;
}

async function readCapped(stream: Readable, cap: number): Promise<{ bytes: Uint8Array; more: boolean }> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  let more = false;
  for await (const chunk of stream) {
    const b = chunk instanceof Uint8Array ? chunk : Buffer.from(chunk as string);
    if (n + b.byteLength > cap) {
      chunks.push(b.subarray(0, cap - n));
      n = cap;
      more = true;
      break; // leaving the loop destroys the stream
    }
    chunks.push(b);
    n += b.byteLength;
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return { bytes: out, more };
}

/** Why a file could not be read, in words (reason) and as Box said it (detail). */
function downloadFailure(status: number, code: string | undefined): { reason: string; detail: string } {
  const detail = `HTTP ${status}${code ? ` ${code}` : ""}`;
  if (status === 403) return { reason: "Box did not let this account read the file, so it was skipped. Ask its owner for access to include it.", detail };
  if (status === 404) return { reason: "The file was deleted or moved in Box during the sync, so it was skipped. The next sync picks it up where it is now.", detail };
  return { reason: "Box would not hand over this file's content, so it was skipped. The next sync tries again.", detail };
}

export async function fileFromRecord(r: FileReader, raw: unknown): Promise<FileOutcome> {
  const parsed = parseFileRecord(raw);
  if (!parsed.ok) return { kind: "fail", failure: parsed.failure };
  const file = parsed.file;
  if (file.status !== "active") return { kind: "skip" }; // trashed or deleted: nothing to index
  let content: FileText | undefined;
  if (isTextLike(file.extension) && file.size > 0) {
    const text = await downloadText(r, file);
    if (!text.ok) return { kind: "fail", failure: { externalId: file.id, title: file.name, reason: text.reason, detail: text.detail } };
    content = text.content;
  }
  return { kind: "doc", document: toDocument(file, content), label: fileLabel(file.name) };
}

async function downloadText(r: FileReader, file: BoxFileRecord): Promise<{ ok: true; content: FileText } | { ok: false; reason: string; detail: string }> {
  // Only the part we keep: a Range request when the file is larger than the cap.
  const range = file.size > r.maxTextBytes ? `bytes=0-${r.maxTextBytes - 1}` : undefined;
  let stream: Readable | undefined;
  try {
    stream = (await r.box.downloads.downloadFile(file.id, {
      headers: new DownloadFileHeaders(range ? { range } : {}),
      cancellationToken: r.signal,
    })) as Readable | undefined;
  } catch (err) {
    const status = boxErrorStatus(err);
    if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 429) {
      return { ok: false, ...downloadFailure(status, boxErrorCode(err)) };
    }
    throw err;
  }
  if (!stream) return { ok: false, reason: "Box is still preparing this file, so it could not be read yet; a later sync reads it.", detail: "HTTP 202" };
  const { bytes, more } = await readCapped(stream, r.maxTextBytes);
  const total = Math.max(file.size, bytes.byteLength + (more ? 1 : 0));
  return { ok: true, content: textFromBytes(bytes, file.extension, total) };
}

/** GET /files/{id} and its text: a file the change stream named. */
export async function fileById(r: FileReader, id: string): Promise<FileOutcome> {
  let raw: unknown;
  try {
    const res = await r.box.files.getFileById(id, { queryParams: { fields: [...FILE_FIELDS] }, cancellationToken: r.signal });
    raw = res.rawData;
  } catch (err) {
    const status = boxErrorStatus(err);
    if (status === 404) return { kind: "skip" }; // deleted since the event: nothing to fetch
    if (status === 403) return { kind: "fail", failure: { externalId: id, ...downloadFailure(403, boxErrorCode(err)) } };
    if (err instanceof BoxSdkError && !(err instanceof BoxApiError)) {
      return { kind: "fail", failure: { externalId: id, ...unreadableItem("Box", "file record", `Box sent a malformed file record: ${err.message}`) } };
    }
    throw err;
  }
  return fileFromRecord(r, raw);
}
