// The Box connector's saved state: the cursor (between runs) and the checkpoint (inside a run).
// Both are stored as JSON by the engine and parsed back with these schemas; anything that does
// not parse is ignored (a full sync, or a run from the start), never trusted.
import { z } from "zod";

/** Where a folder walk stands: folders still to visit (a DFS stack) and the folder being read. */
export interface WalkState {
  /** Folder ids to visit, the next one last. */
  stack: string[];
  /** The folder being read: the listing page to (re-)read (`marker`, null = first page) and how many of its files are done. */
  current: { id: string; marker: string | null; skip: number } | null;
  /** Folders started so far in this run (for BOX_MAX_FOLDERS). */
  folders: number;
  /** Listing pages read so far in this run (for SYNC_MAX_PAGES). */
  pages: number;
}

export interface BoxCheckpoint {
  v: 1;
  /**
   * walk: reading folders (a full sync, or re-reading moved/renamed folders after the changes);
   * events: reading the change stream.
   */
  mode: "walk" | "events";
  /** walk only: a full sync, or the re-read of moved/renamed folders after the change stream. */
  purpose?: "full" | "subtrees";
  /**
   * walk: the stream position the next run starts from (read before the walk began);
   * events: the position of the chunk to read next.
   */
  streamPosition: string;
  /** Files handled (documents + failures) before this checkpoint, in this run. */
  handled: number;
  walk?: WalkState;
  /** Recently handled event ids (Box delivers events at least once). */
  seen?: string[];
  /** Folders whose subtree must be re-read after the change stream (moved, renamed, copied, restored). */
  subtrees?: string[];
  /** Change-stream chunks read so far in this run (for SYNC_MAX_PAGES). */
  chunks?: number;
}

export interface BoxCursor {
  /** The events stream position the next incremental sync starts from. */
  streamPosition: string;
  /** When it was saved (ISO): positions older than Box keeps events for are out of date. */
  savedAt: string;
  /** Event ids handled at the end of the last run (dedupe across runs). */
  seen?: string[];
}

const walkSchema = z.object({
  stack: z.array(z.string().min(1)).max(100_000),
  current: z.object({ id: z.string().min(1), marker: z.string().nullable(), skip: z.number().int().min(0) }).nullable(),
  folders: z.number().int().min(0),
  pages: z.number().int().min(0),
});

export const checkpointSchema = z.object({
  v: z.literal(1),
  mode: z.enum(["walk", "events"]),
  purpose: z.enum(["full", "subtrees"]).optional(),
  streamPosition: z.string().regex(/^\d+$/),
  handled: z.number().int().min(0),
  walk: walkSchema.optional(),
  seen: z.array(z.string()).max(10_000).optional(),
  subtrees: z.array(z.string().min(1)).max(10_000).optional(),
  chunks: z.number().int().min(0).optional(),
});

export const cursorSchema = z.object({
  streamPosition: z.string().regex(/^\d+$/),
  savedAt: z.string().refine((s) => Number.isFinite(Date.parse(s))),
  seen: z.array(z.string()).max(10_000).optional(),
});

export function parseCheckpoint(raw: unknown): BoxCheckpoint | null {
  if (raw == null) return null;
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) return null;
  if (parsed.data.mode === "walk" && !parsed.data.walk) return null;
  return parsed.data as BoxCheckpoint;
}

export function parseCursor(raw: unknown): BoxCursor | null {
  if (raw == null) return null;
  const parsed = cursorSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export interface BoxConnectorOptions {
  /** Folder items per listing request (Box's maximum is 1,000). */
  listLimit?: number;
  /** Files per yielded page (and checkpoint). */
  batchSize?: number;
  /** Text downloads in flight at once. */
  downloadConcurrency?: number;
  /** Text read per file, at most. */
  maxTextBytes?: number;
  /** Events per request when counting changes (Box's maximum is 500). */
  eventsScanLimit?: number;
  /** Events per request when processing changes (smaller: the checkpoint holds a chunk's event ids). */
  eventsLimit?: number;
  /** Downloads Box answers 202 "not ready" are tried this many times in all (default 3), waiting Retry-After between. */
  notReadyTries?: number;
  /** A saved stream position older than this is treated as out of date (Box keeps user events 2+ weeks). */
  cursorMaxAgeMs?: number;
  now?: () => number;
}
