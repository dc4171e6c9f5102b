import { describe, expect, it } from "vitest";
import { deserializeEvents } from "box-typescript-sdk-gen/lib/schemas/events.generated";
import { deserializeFileFull } from "box-typescript-sdk-gen/lib/schemas/fileFull.generated";
import { deserializeFolderFull } from "box-typescript-sdk-gen/lib/schemas/folderFull.generated";
import { deserializeUserFull } from "box-typescript-sdk-gen/lib/schemas/userFull.generated";
import type { SerializedData } from "box-typescript-sdk-gen/lib/serialization/json";
import {
  FILES_PER_FOLDER,
  LARGE_TEXT_BYTES,
  STREAM_BASE,
  childFolderRange,
  eventsChunk,
  fileBytes,
  fileExtension,
  fileFolder,
  fileId,
  fileIndexById,
  fileName,
  fileSize,
  fileText,
  folderCount,
  folderDepth,
  folderFileRange,
  folderId,
  folderIndexById,
  folderName,
  folderParent,
  folderPath,
  isEmptyFolder,
  isLargeTextFile,
  isTextExtension,
  listingEntry,
  listingLength,
  listingPosition,
  makeFile,
  makeFolder,
  makeUser,
  sandboxUser,
  textMarker,
} from "./data";

const user = sandboxUser();
const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as SerializedData;

describe("box sandbox data: the folder tree", () => {
  it("puts every file in exactly one folder, in contiguous ranges, listed after the subfolders", () => {
    const items = 5_000;
    expect(folderCount(items)).toBe(100);
    const owner = new Array<number>(items).fill(-1);
    let files = 0;
    for (let n = 0; n < folderCount(items); n++) {
      const [s, e] = folderFileRange(n, items);
      for (let i = s; i < e; i++) {
        expect(owner[i]).toBe(-1);
        owner[i] = n;
      }
      files += e - s;
      const [a, b] = childFolderRange(n, items);
      expect(listingLength(n, items)).toBe(b - a + e - s);
      for (let k = 0; k < listingLength(n, items); k++) {
        const entry = listingEntry(n, items, k)!;
        expect(entry).toEqual(k < b - a ? { kind: "folder", n: a + k } : { kind: "file", i: s + k - (b - a) });
        expect(listingPosition(n, items, entry)).toBe(k);
      }
      expect(listingEntry(n, items, listingLength(n, items))).toBeUndefined();
    }
    expect(files).toBe(items);
    for (let i = 0; i < items; i++) expect(owner[i]).toBe(fileFolder(i));
  });

  it("has empty folders, unicode names that never repeat among siblings, and depth 6 at 100,000 files", () => {
    expect(isEmptyFolder(5)).toBe(true);
    expect(folderFileRange(5, 1_000)).toEqual([0, 0]);
    expect(folderFileRange(4, 1_000)).toEqual([200, 300]); // folder 4 holds folder 5's block too
    expect(folderCount(100_000)).toBe(2_000);
    expect(folderDepth(folderCount(100_000) - 1)).toBe(6);
    expect(folderDepth(0)).toBe(0);
    for (let p = 0; p < 500; p++) {
      const [a, b] = childFolderRange(p, 100_000);
      const names = Array.from({ length: b - a }, (_, k) => folderName(a + k));
      expect(new Set(names).size).toBe(names.length);
      for (let c = a; c < b; c++) expect(folderParent(c)).toBe(p);
    }
    expect(folderName(0)).toBe("All Files");
    expect(folderPath(0)).toBe("/");
    expect(folderPath(8)).toBe("/Q3 — Planning/Финансы");
    expect(folderPath(21)).toBe(`/${folderName(1)}/${folderName(5)}/${folderName(21)}`);
  });

  it("maps ids both ways and knows which exist at a given size", () => {
    expect(folderId(0)).toBe("0");
    expect(folderIndexById(folderId(7), 600)).toBe(7);
    expect(folderIndexById(folderId(12), 600)).toBe(-1); // 12 folders at 600 files: 0..11
    expect(folderIndexById("abc", 600)).toBe(-1);
    expect(fileIndexById(fileId(599), 600)).toBe(599);
    expect(fileIndexById(fileId(600), 600)).toBe(-1);
    expect(fileIndexById("1e3", 600)).toBe(-1);
  });

  it("raising items only appends: files keep their folder, record and listing position", () => {
    for (const i of [0, 49, 50, 333, 599]) {
      expect(fileFolder(i)).toBe(fileFolder(i)); // no dependency on items at all
      const n = fileFolder(i);
      expect(listingPosition(n, 600, { kind: "file", i })).toBe(listingPosition(n, 5_000, { kind: "file", i }) - (childFolderRange(n, 5_000)[1] - childFolderRange(n, 600)[1]));
    }
    expect(JSON.stringify(makeFile(123, user))).toBe(JSON.stringify(makeFile(123, user)));
    expect(folderFileRange(3, 160)).toEqual([150, 160]);
    expect(folderFileRange(3, 1_000)).toEqual([150, 200]);
  });
});

describe("box sandbox data: files and contents", () => {
  it("has text and binary files, sizes that match the bytes served, and some large files", () => {
    const exts = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) exts.set(fileExtension(i), (exts.get(fileExtension(i)) ?? 0) + 1);
    expect([...exts.keys()].sort()).toEqual(["csv", "docx", "html", "jpg", "json", "md", "mp4", "pdf", "png", "pptx", "txt", "xlsx"]);
    const text = [...exts].filter(([e]) => isTextExtension(e)).reduce((a, [, c]) => a + c, 0);
    expect(text / 2_000).toBeGreaterThan(0.35);
    expect(text / 2_000).toBeLessThan(0.55);

    for (let i = 0; i < 300; i++) {
      if (!isTextExtension(fileExtension(i))) continue;
      const t = fileText(i);
      expect(fileSize(i)).toBe(Buffer.byteLength(t));
      expect(t).toContain(textMarker(i));
      expect(Buffer.concat([...fileBytes(i, 0, fileSize(i), 100)]).toString("utf8")).toBe(t);
    }
    const big = 526;
    expect(isLargeTextFile(big)).toBe(true);
    expect(fileSize(big)).toBe(LARGE_TEXT_BYTES);
    const bytes = Buffer.concat([...fileBytes(big, 0, LARGE_TEXT_BYTES)]);
    expect(bytes.byteLength).toBe(LARGE_TEXT_BYTES);
    expect(bytes.toString("latin1")).toBe(fileText(big));
    expect(fileText(big, 1_000)).toBe(bytes.subarray(0, 1_000).toString("latin1"));
    expect(Buffer.concat([...fileBytes(big, 70_000, 70_100)])).toEqual(bytes.subarray(70_000, 70_100));
    const pdf = Array.from({ length: 50 }, (_, i) => i).find((i) => fileExtension(i) === "pdf")!;
    expect(Buffer.concat([...fileBytes(pdf, 0, 5)]).toString("latin1")).toBe("%PDF-");
    expect(Array.from({ length: 500 }, (_, i) => fileSize(i)).some((s) => s > 1_000_000_000)).toBe(true);
  });

  it("builds records the SDK's own deserializers accept", () => {
    for (let i = 0; i < 120; i++) {
      const f = deserializeFileFull(wire(makeFile(i, user)));
      expect(f.id).toBe(fileId(i));
      expect(f.name).toBe(fileName(i));
      expect(f.pathCollection!.entries.map((e) => e.name)).toEqual(["All Files", ...folderPath(fileFolder(i)).split("/").filter(Boolean)]);
      expect(f.contentModifiedAt!.value.toISOString()).toBe(new Date(Date.UTC(2025, 5, 2, 16, 0) + i * 60_000).toISOString());
    }
    // Box's FileFull has no null name: every record the sandbox serves has one, item_errors or not.
    for (let i = 0; i < 120; i++) expect(typeof makeFile(i, user).name).toBe("string");
    for (const n of [0, 1, 5, 11]) expect(deserializeFolderFull(wire(makeFolder(n, 600, user))).id).toBe(folderId(n));
    expect(deserializeUserFull(wire(makeUser("sandbox-user", 10))).login).toBe("sandbox-user@example.com");
  });
});

describe("box sandbox data: the event stream", () => {
  it("reads every upload once per position, overlapping chunks by one, with duplicates and folder creations", () => {
    const items = 200;
    const uploads = new Map<string, string>(); // event id -> file id
    const creates = new Set<string>();
    let position = 0;
    let chunks = 0;
    let duplicates = 0;
    for (;;) {
      const chunk = eventsChunk(items, position, 7, user);
      expect(chunk.chunk_size).toBe(chunk.entries.length);
      expect(chunk.entries.length).toBeLessThanOrEqual(7);
      const seenHere = new Set<string>();
      for (const e of chunk.entries) {
        if (seenHere.has(e.event_id)) duplicates++;
        seenHere.add(e.event_id);
        if (e.event_type === "ITEM_UPLOAD") uploads.set(e.event_id, e.source.id);
        else creates.add(e.source.id);
      }
      chunks++;
      if (chunk.next_stream_position === STREAM_BASE + items) break;
      // At-least-once: the next chunk starts one position back.
      expect(chunk.next_stream_position).toBeLessThan(Math.max(position, STREAM_BASE) + chunk.entries.length);
      position = chunk.next_stream_position;
    }
    expect([...uploads.values()].sort()).toEqual(Array.from({ length: items }, (_, i) => fileId(i)).sort());
    expect(uploads.size).toBe(items); // one event id per upload
    expect([...creates].sort()).toEqual([1, 2, 3].map(folderId).sort());
    expect(duplicates).toBeGreaterThan(0);
    expect(chunks).toBeGreaterThan(items / 7);

    // From "now": nothing; raising items makes new uploads appear after it.
    expect(eventsChunk(items, STREAM_BASE + items, 100, user)).toEqual({ chunk_size: 0, next_stream_position: STREAM_BASE + items, entries: [] });
    const later = eventsChunk(items + 5, STREAM_BASE + items, 100, user);
    expect(later.entries.filter((e) => e.event_type === "ITEM_UPLOAD").map((e) => e.source.id)).toEqual([200, 201, 202, 203, 204].map(fileId));
    expect(later.next_stream_position).toBe(STREAM_BASE + items + 5);
    const sdk = deserializeEvents(wire(later));
    expect(sdk.entries!.map((e) => e.eventType)).toEqual(later.entries.map((e) => e.event_type));
    // Box's OpenAPI `Event`: additional_details is an object or absent (never null), session_id a string.
    for (const e of later.entries) {
      expect("additional_details" in e).toBe(false);
      expect(typeof e.session_id).toBe("string");
    }
  });
});
