// The Box sandbox's dataset as it is now: the seeded files (./data.ts) with the account's change
// log applied (POST /api/integrations/box/sandbox/changes, lib/sandbox/changes.ts), and the user
// event stream that reports those changes the way Box does. Pure, like ./data.ts.
//
// What each change is in Box (the user event stream, developer.box.com/guides/events/user-events/for-user,
// event types in Box's OpenAPI `Event.event_type`):
// - add k (file index scenario.items + k): a new file uploaded, ITEM_UPLOAD (and ITEM_CREATE for
//   the folder it opens, as the seeded stream does);
// - edit: a new version uploaded (ITEM_UPLOAD; small text files) or a rename (ITEM_RENAME; every
//   other file), see data.ts `editKind`;
// - delete: the file moved to the trash, ITEM_TRASH (its source has item_status "trashed"); from
//   then on it leaves folder listings and GET /files/{id} answers 404 "trashed";
// - restore (never asked by the changes route; data functions and tests can use it): the file
//   comes back from the trash, ITEM_UNDELETE_VIA_TRASH.
//
// Stream positions: STREAM_BASE + i (i < scenario.items) is the seeded upload of file i; after
// them, STREAM_BASE + scenario.items + k holds the events of the k-th change of the log (by seq).
// Box delivers events at least once: some change events come twice in their chunk (same event_id).
import type { SandboxChange, SandboxChangeKind, SandboxScenario } from "@/lib/contract";
import {
  FILES_PER_FOLDER,
  STREAM_BASE,
  UNCHANGED,
  boxTime,
  chunkOf,
  editKind,
  eventsAtPosition,
  folderOwner,
  makeFile,
  makeFolder,
  uuidFrom,
  type BoxEventWire,
  type BoxEventsWire,
  type BoxUserMini,
  type FileState,
} from "./data";

/** A change of the Box dataset: the changes route's kinds, plus a restore from the trash. */
export interface BoxChange extends Omit<SandboxChange, "kind"> {
  kind: SandboxChangeKind | "restore";
}

export interface BoxDataset {
  /** Seeded files (scenario.items). */
  seeded: number;
  /** Files that exist (seeded + added), trashed ones included. */
  count: number;
  /** The log, by seq. */
  log: readonly BoxChange[];
  /** Each file's state now, for files the log touched. */
  states: ReadonlyMap<number, FileState>;
}

function apply(states: Map<number, FileState>, c: BoxChange): FileState {
  const prev = states.get(c.index) ?? UNCHANGED;
  let next: FileState;
  if (c.kind === "edit") next = { ...prev, edits: prev.edits + 1, editedAt: c.at };
  else if (c.kind === "delete") next = { ...prev, trashedAt: c.at };
  else if (c.kind === "restore") next = { edits: prev.edits, ...(prev.editedAt !== undefined ? { editedAt: prev.editedAt } : {}) };
  else next = prev;
  states.set(c.index, next);
  return next;
}

export function boxDataset(scenario: Pick<SandboxScenario, "items">, changes: readonly BoxChange[] = []): BoxDataset {
  const log = [...changes].sort((a, b) => a.seq - b.seq);
  const states = new Map<number, FileState>();
  let count = scenario.items;
  for (const c of log) {
    if (c.kind === "add") count = Math.max(count, c.index + 1);
    apply(states, c);
  }
  return { seeded: scenario.items, count, log, states };
}

export function fileState(ds: BoxDataset, i: number): FileState {
  return ds.states.get(i) ?? UNCHANGED;
}

/** Whether file i exists and is not in the trash. */
export function isLive(ds: BoxDataset, i: number): boolean {
  return i >= 0 && i < ds.count && ds.states.get(i)?.trashedAt === undefined;
}

export function isTrashed(ds: BoxDataset, i: number): boolean {
  return ds.states.get(i)?.trashedAt !== undefined;
}

/** The position `stream_position=now` answers: after the last event. */
export function streamEnd(ds: BoxDataset): number {
  return STREAM_BASE + ds.seeded + ds.log.length;
}

const EVENT_TYPE: Record<BoxChange["kind"], BoxEventWire["event_type"]> = {
  add: "ITEM_UPLOAD",
  edit: "ITEM_UPLOAD", // or ITEM_RENAME: see changeEvents
  delete: "ITEM_TRASH",
  restore: "ITEM_UNDELETE_VIA_TRASH",
};

/** The events of change `c` (the k-th of the log), with the file as it is just after it. */
export function changeEvents(c: BoxChange, after: FileState, user: BoxUserMini): BoxEventWire[] {
  const file = makeFile(c.index, user, after);
  const session = uuidFrom(3_000_000_000 + c.seq).replace(/-/g, "").slice(0, 20);
  const out: BoxEventWire[] = [];
  if (c.kind === "add" && c.index > 0 && c.index % FILES_PER_FOLDER === 0) {
    const n = c.index / FILES_PER_FOLDER;
    out.push({
      type: "event",
      event_id: uuidFrom(2_500_000_000 + c.seq),
      event_type: "ITEM_CREATE",
      created_by: folderOwner(n, user),
      created_at: boxTime(c.at),
      recorded_at: boxTime(c.at),
      session_id: session,
      source: makeFolder(n, c.index + 1, user),
    });
  }
  const renamed = c.kind === "edit" && editKind(c.index) === "rename";
  const event: BoxEventWire = {
    type: "event",
    event_id: uuidFrom(2_000_000_000 + c.seq),
    event_type: renamed ? "ITEM_RENAME" : EVENT_TYPE[c.kind],
    created_by: user,
    created_at: boxTime(c.at),
    recorded_at: boxTime(c.at + 300),
    session_id: session,
    source: file,
  };
  out.push(event);
  // At-least-once delivery: some events come twice in the same chunk.
  if (c.seq % 4 === 1) out.push(event);
  return out;
}

/** One chunk of GET /events over the whole stream: the seeded uploads, then the change log. */
export function datasetEventsChunk(ds: BoxDataset, position: number, limit: number, user: BoxUserMini): BoxEventsWire {
  const total = ds.seeded + ds.log.length;
  const start = Math.max(0, position - STREAM_BASE);
  // The change events this chunk can reach (each position has at least one event), with each
  // file's state just after its change: one pass over the log.
  const from = Math.max(0, start - ds.seeded);
  const to = Math.min(ds.log.length, from + limit + 1);
  const byChange = new Map<number, BoxEventWire[]>();
  if (to > from) {
    const states = new Map<number, FileState>();
    for (let k = 0; k < to; k++) {
      const c = ds.log[k]!;
      const after = apply(states, c);
      if (k >= from) byChange.set(k, changeEvents(c, after, user));
    }
  }
  return chunkOf(total, position, limit, (p) => (p < ds.seeded ? eventsAtPosition(p, user) : (byChange.get(p - ds.seeded) ?? [])));
}
