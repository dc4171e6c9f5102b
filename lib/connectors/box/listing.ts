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
