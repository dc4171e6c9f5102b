// A Box file record -> a document, with the text of text-like files (downloaded up to a cap).
import { unreadableItem } from "@/lib/connectors/kit/malformed-reason";
import { DownloadFileHeaders } from "box-typescript-sdk-gen/lib/managers/downloads.generated";
import { GetFileByIdHeaders } from "box-typescript-sdk-gen/lib/managers/files.generated";
import { BoxApiError, BoxSdkError } from "box-typescript-sdk-gen/lib/box/errors";
import type { Readable } from "node:stream";
import type { BoxClient } from "box-typescript-sdk-gen";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { BoxNotModified, BoxNotReady, boxErrorCode, boxErrorStatus } from "./client";
import { FILE_FIELDS, fileLabel, isTextLike, parseFileRecord, textFromBytes, toDocument, type BoxFileRecord, type FileText } from "./transform";

export type FileOutcome =
  | { kind: "doc"; document: DocumentInput; label: string }
  | { kind: "fail"; failure: ItemFailure }
  /** Gone from Box (trashed, deleted): it leaves the library. */
  | { kind: "gone"; id: string }
  | { kind: "skip" };

/** What reading files needs: the client, the run's signal, and the text cap. */
export interface FileReader {
  box: BoxClient;
  signal: AbortSignal;
  maxTextBytes: number;
  /** Etags of files read in this run: asked again, a file is read only if it changed since (If-None-Match). */
  etags?: Map<string, string>;
  /** Downloads Box answers 202 "not ready": tries in all (default 3), and the longest wait between two (default 10 s). */
  notReadyTries?: number;
  notReadyMaxWaitS?: number;
}

/** Waits `ms`, or until the run is aborted (then throws its reason). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    };
    const abort = () => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
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
  return { reason: "Box would not hand over this file's content, so it was skipped. The next sync tries again.", detail };
}

/** A 404 (not found, or "trashed") on a file: it is gone from Box, and from the library. */
function isGone(status: number | undefined): boolean {
  return status === 404;
}

export async function fileFromRecord(r: FileReader, raw: unknown): Promise<FileOutcome> {
  const parsed = parseFileRecord(raw);
  if (!parsed.ok) return { kind: "fail", failure: parsed.failure };
  const file = parsed.file;
  if (file.status !== "active") return { kind: "gone", id: file.id }; // trashed or deleted: out of the library
  let content: FileText | undefined;
  if (isTextLike(file.extension) && file.size > 0) {
    const text = await downloadText(r, file);
    if (text === "gone") return { kind: "gone", id: file.id };
    if (!text.ok) return { kind: "fail", failure: { externalId: file.id, title: file.name, reason: text.reason, detail: text.detail } };
    content = text.content;
  }
  if (file.etag) r.etags?.set(file.id, file.etag);
  return { kind: "doc", document: toDocument(file, content), label: fileLabel(file.name) };
}

const NOT_READY_REASON = "Box was still preparing this file's content, so it could not be read and was skipped. It is read again when the file next changes in Box.";

async function downloadText(r: FileReader, file: BoxFileRecord): Promise<{ ok: true; content: FileText } | { ok: false; reason: string; detail: string } | "gone"> {
  // Only the part we keep: a Range request when the file is larger than the cap.
  const range = file.size > r.maxTextBytes ? `bytes=0-${r.maxTextBytes - 1}` : undefined;
  const tries = Math.max(1, r.notReadyTries ?? 3);
  let stream: Readable | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      stream = (await r.box.downloads.downloadFile(file.id, {
        headers: new DownloadFileHeaders(range ? { range } : {}),
        cancellationToken: r.signal,
      })) as Readable | undefined;
      break;
    } catch (err) {
      if (err instanceof BoxNotReady) {
        // 202 + Retry-After: a new upload Box is still processing. Wait as asked (bounded), then again.
        if (attempt < tries) {
          await wait(Math.min(err.retryAfterS, r.notReadyMaxWaitS ?? 10) * 1000, r.signal);
          continue;
        }
        return { ok: false, reason: NOT_READY_REASON, detail: `HTTP 202 (Retry-After ${err.retryAfterS} s) on ${tries} tries` };
      }
      const status = boxErrorStatus(err);
      if (isGone(status)) return "gone";
      if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 429) {
        return { ok: false, ...downloadFailure(status, boxErrorCode(err)) };
      }
      throw err;
    }
  }
  if (!stream) return { ok: false, reason: NOT_READY_REASON, detail: "HTTP 202" };
  const { bytes, more } = await readCapped(stream, r.maxTextBytes);
  const total = Math.max(file.size, bytes.byteLength + (more ? 1 : 0));
  return { ok: true, content: textFromBytes(bytes, file.extension, total) };
}

/**
 * GET /files/{id} and its text: a file the change stream named. A file already read in this run
 * is asked with If-None-Match: unchanged since (304), it is not read again.
 */
export async function fileById(r: FileReader, id: string): Promise<FileOutcome> {
  let raw: unknown;
  const etag = r.etags?.get(id);
  try {
    const res = await r.box.files.getFileById(id, {
      queryParams: { fields: [...FILE_FIELDS] },
      ...(etag ? { headers: new GetFileByIdHeaders({ ifNoneMatch: etag }) } : {}),
      cancellationToken: r.signal,
    });
    raw = res.rawData;
  } catch (err) {
    if (err instanceof BoxNotModified) return { kind: "skip" };
    const status = boxErrorStatus(err);
    if (isGone(status)) return { kind: "gone", id }; // trashed or deleted since the event: out of the library
    if (status === 403) return { kind: "fail", failure: { externalId: id, ...downloadFailure(403, boxErrorCode(err)) } };
    if (err instanceof BoxSdkError && !(err instanceof BoxApiError)) {
      return { kind: "fail", failure: { externalId: id, ...unreadableItem("Box", "file record", `Box sent a malformed file record: ${err.message}`) } };
    }
    throw err;
  }
  return fileFromRecord(r, raw);
}
