// The Box listings a run pages through: a folder's items (marker paging) and the change stream.
import { BoxApiError, BoxSdkError } from "box-typescript-sdk-gen/lib/box/errors";
import type { BoxClient } from "box-typescript-sdk-gen";
import { asRecord, malformed, str } from "./client";
import { FILE_FIELDS } from "./transform";

export interface RawEvent {
  eventId: string | undefined;
  eventType: string;
  sourceType: string | undefined;
  sourceId: string | undefined;
}

export interface EventsChunk {
  events: RawEvent[];
  next: string;
  size: number;
}

/** One folder listing page. */
export async function listFolder(box: BoxClient, signal: AbortSignal, limit: number, id: string, marker: string | null): Promise<{ entries: unknown[]; nextMarker: string | null }> {
  let raw: unknown;
  try {
    const res = await box.folders.getFolderItems(id, {
      queryParams: { usemarker: true, limit: limit, fields: [...FILE_FIELDS], ...(marker ? { marker } : {}) },
      cancellationToken: signal,
    });
    raw = res.rawData;
  } catch (err) {
    if (err instanceof BoxSdkError && !(err instanceof BoxApiError)) throw malformed(`a folder listing (folder ${id})`, err);
    throw err;
  }
  const body = asRecord(raw);
  if (!body || !Array.isArray(body.entries)) throw malformed(`a folder listing (folder ${id})`, new Error("no entries"));
  const next = body.next_marker;
  return { entries: body.entries, nextMarker: typeof next === "string" && next !== "" ? next : null };
}

/** The change stream's current position. */
export async function nowPosition(box: BoxClient, signal: AbortSignal): Promise<string> {
  const chunk = await readEvents(box, signal, "now", 1);
  return chunk.next;
}

export async function readEvents(box: BoxClient, signal: AbortSignal, position: string, limit: number): Promise<EventsChunk> {
  let raw: unknown;
  let typedNext: string | number | undefined;
  try {
    const res = await box.events.getEvents(
      { streamType: "changes", streamPosition: position, limit },
      undefined,
      signal,
    );
    raw = res.rawData;
    typedNext = res.nextStreamPosition;
  } catch (err) {
    if (err instanceof BoxSdkError && !(err instanceof BoxApiError)) throw malformed("a page of the change stream", err);
    throw err;
  }
  const body = asRecord(raw);
  const entries = body?.entries ?? [];
  const next = str(typedNext) ?? str(body?.next_stream_position);
  if (!body || !Array.isArray(entries) || next === undefined || !/^\d+$/.test(next)) {
    throw malformed("a page of the change stream", new Error("no next_stream_position"));
  }
  const events = entries.map((e): RawEvent => {
    const r = asRecord(e);
    const source = asRecord(r?.source);
    return { eventId: str(r?.event_id), eventType: str(r?.event_type) ?? "", sourceType: str(source?.type), sourceId: str(source?.id) };
  });
  const size = typeof body.chunk_size === "number" ? body.chunk_size : events.length;
  return { events, next, size };
}

/** Events on a file that mean "fetch it again" (Box's user event types, OpenAPI `Event.event_type`). */
export const FILE_CHANGES: ReadonlySet<string> = new Set([
  "ITEM_UPLOAD", "ITEM_CREATE", "ITEM_MODIFY", "ITEM_RENAME", "ITEM_MOVE", "ITEM_COPY",
  "ITEM_UNDELETE_VIA_TRASH", "ITEM_MAKE_CURRENT_VERSION", "ITEM_SYNC",
]);
/** Events on a file that mean "it left": out of the library. */
export const FILE_GONE: ReadonlySet<string> = new Set(["ITEM_TRASH"]);
/** Events on a folder that change its files' paths (or bring files back): re-read its subtree. */
export const FOLDER_CHANGES: ReadonlySet<string> = new Set(["ITEM_MOVE", "ITEM_RENAME", "ITEM_COPY", "ITEM_UNDELETE_VIA_TRASH"]);

export interface FileWork {
  fileId: string;
  /** The events (ids) this file's outcome answers. */
  eventIds: string[];
}

export interface ChunkPlan {
  /** Files to read again, in the order their first event came. */
  fetch: FileWork[];
  /** Files trashed (their last event in the chunk): out of the library. */
  gone: FileWork[];
  /** Folders whose subtree must be re-read. */
  folders: string[];
  /** Ids of the events that need nothing (folder creations, previews, folder changes, …). */
  otherIds: string[];
}

/**
 * What a chunk of the change stream asks for. Box delivers events at least once (the same
 * event_id again, in the chunk or the next): events in `seen` and repeats are skipped. Within the
 * chunk a file's last event decides (trashed, then restored: fetched; uploaded, then trashed: gone).
 */
export function planChunk(events: readonly RawEvent[], seen: ReadonlySet<string>): ChunkPlan {
  const ids = new Set(seen);
  const byFile = new Map<string, FileWork & { gone: boolean }>();
  const folders: string[] = [];
  const otherIds: string[] = [];
  for (const e of events) {
    if (e.eventId && ids.has(e.eventId)) continue;
    if (e.eventId) ids.add(e.eventId);
    const fetch = FILE_CHANGES.has(e.eventType);
    if (e.sourceType === "file" && e.sourceId && (fetch || FILE_GONE.has(e.eventType))) {
      const item = byFile.get(e.sourceId) ?? { fileId: e.sourceId, eventIds: [], gone: false };
      item.gone = !fetch;
      if (e.eventId) item.eventIds.push(e.eventId);
      byFile.set(e.sourceId, item);
      continue;
    }
    if (e.sourceType === "folder" && e.sourceId && FOLDER_CHANGES.has(e.eventType) && !folders.includes(e.sourceId)) folders.push(e.sourceId);
    if (e.eventId) otherIds.push(e.eventId);
  }
  const all = [...byFile.values()];
  const strip = ({ fileId, eventIds }: FileWork): FileWork => ({ fileId, eventIds });
  return { fetch: all.filter((w) => !w.gone).map(strip), gone: all.filter((w) => w.gone).map(strip), folders, otherIds };
}
