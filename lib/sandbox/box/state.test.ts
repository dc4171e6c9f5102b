// The Box dataset with a change log applied, and the events that report it (pure data functions).
import { describe, expect, it } from "vitest";
import { deserializeEvents } from "box-typescript-sdk-gen/lib/schemas/events.generated";
import { deserializeFileFull } from "box-typescript-sdk-gen/lib/schemas/fileFull.generated";
import type { SerializedData } from "box-typescript-sdk-gen/lib/serialization/json";
import { STREAM_BASE, editKind, fileExtension, fileId, fileName, fileSize, fileText, isTextExtension, makeFile, sandboxUser, type BoxEventWire } from "./data";
import { boxDataset, datasetEventsChunk, fileState, isLive, streamEnd, type BoxChange } from "./state";

const user = sandboxUser();
const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as SerializedData;
const T0 = Date.UTC(2026, 0, 5, 12, 0);

function firstOf(kind: "version" | "rename", from = 0): number {
  for (let i = from; ; i++) if (editKind(i) === kind) return i;
}

/** Every event from `position` to the end, chunk by chunk, as a client reads them (duplicates removed by event_id). */
function readAll(ds: ReturnType<typeof boxDataset>, position: number, limit = 3): BoxEventWire[] {
  const out = new Map<string, BoxEventWire>();
  for (let p = position; ; ) {
    const chunk = datasetEventsChunk(ds, p, limit, user);
    expect(deserializeEvents(wire(chunk)).entries!.length).toBe(chunk.entries.length);
    for (const e of chunk.entries) if (!out.has(e.event_id)) out.set(e.event_id, e);
    if (chunk.next_stream_position === p || chunk.entries.length === 0) return [...out.values()];
    p = chunk.next_stream_position;
  }
}

describe("box sandbox state: the change log applied", () => {
  const items = 60;
  const text = firstOf("version");
  const binary = firstOf("rename");
  const gone = 7;
  const log: BoxChange[] = [
    { seq: 1, kind: "add", index: items, at: T0 },
    { seq: 2, kind: "edit", index: text, at: T0 + 1_000 },
    { seq: 3, kind: "edit", index: binary, at: T0 + 2_000 },
    { seq: 4, kind: "delete", index: gone, at: T0 + 3_000 },
  ];

  it("adds, edits (new version or rename) and trashes files; the records say so", () => {
    const ds = boxDataset({ items }, log);
    expect(ds.count).toBe(items + 1);
    expect(isLive(ds, items)).toBe(true);
    expect(isLive(ds, gone)).toBe(false);

    const edited = makeFile(text, user, fileState(ds, text));
    const before = makeFile(text, user);
    expect(edited.name).toBe(fileName(text));
    expect(edited.sha1).not.toBe(before.sha1);
    expect(edited.file_version.id).not.toBe(before.file_version.id);
    expect(edited.etag).toBe(String(Number(before.etag) + 1));
    expect(edited.size).toBe(fileSize(text, 1));
    expect(fileText(text, Infinity, 1)).toContain("edited");
    expect(fileText(text)).not.toContain("edited");
    expect(Buffer.byteLength(fileText(text, Infinity, 1))).toBe(fileSize(text, 1));

    const renamed = makeFile(binary, user, fileState(ds, binary));
    expect(renamed.name).toMatch(/ \(edited\)\.\w+$/);
    expect(renamed.sha1).toBe(makeFile(binary, user).sha1);
    expect(renamed.etag).not.toBe(makeFile(binary, user).etag);

    const trashed = makeFile(gone, user, fileState(ds, gone));
    expect(trashed).toMatchObject({ item_status: "trashed", trashed_at: expect.any(String) });
    expect(deserializeFileFull(wire(trashed)).itemStatus).toBe("trashed");
  });

  it("reports each change after the seeded uploads, as Box's event types, each event once per id", () => {
    const ds = boxDataset({ items }, log);
    expect(streamEnd(ds)).toBe(STREAM_BASE + items + 4);
    const events = readAll(ds, STREAM_BASE + items);
    const fileEvents = events.filter((e) => e.source.type === "file").map((e) => [e.event_type, e.source.id]);
    expect(fileEvents).toEqual([
      ["ITEM_UPLOAD", fileId(items)],
      ["ITEM_UPLOAD", fileId(text)], // a new version
      ["ITEM_RENAME", fileId(binary)],
      ["ITEM_TRASH", fileId(gone)],
    ]);
    const trash = events.find((e) => e.event_type === "ITEM_TRASH")!;
    expect(trash.source).toMatchObject({ item_status: "trashed" });
    // The seeded part is unchanged: from 0 there are the 60 uploads, then the changes.
    const all = readAll(ds, 0, 50);
    expect(all.filter((e) => e.event_type === "ITEM_UPLOAD").length).toBe(items + 2);
    // At least once: a change event may come twice in its chunk (seq 1 here), with the same id.
    const chunk = datasetEventsChunk(ds, STREAM_BASE + items, 100, user);
    expect(chunk.entries.length).toBeGreaterThan(new Set(chunk.entries.map((e) => e.event_id)).size);
  });

  it("restores a trashed file (ITEM_UNDELETE_VIA_TRASH): it comes back as it was", () => {
    const restored = boxDataset({ items }, [...log, { seq: 5, kind: "restore", index: gone, at: T0 + 4_000 }]);
    expect(isLive(restored, gone)).toBe(true);
    expect(makeFile(gone, user, fileState(restored, gone))).toEqual(makeFile(gone, user));
    const events = readAll(restored, STREAM_BASE + items + 3);
    expect(events.map((e) => [e.event_type, e.source.id])).toEqual([
      ["ITEM_TRASH", fileId(gone)],
      ["ITEM_UNDELETE_VIA_TRASH", fileId(gone)],
    ]);
    expect(events[1]!.source).toMatchObject({ item_status: "active", trashed_at: null });
  });

  it("an edit of a large or binary file is a rename; of a small text file a new version", () => {
    for (let i = 0; i < 300; i++) {
      const kind = editKind(i);
      expect(kind === "version").toBe(isTextExtension(fileExtension(i)) && fileSize(i) < 1_000_000);
    }
  });
});
