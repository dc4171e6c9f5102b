// Seeded, deterministic data for the Box sandbox. Pure: the same inputs give the same objects
// (and so the same JSON bytes); nothing here reads the clock, the network or randomness.
// Everything is computed lazily per request: one page of a folder listing or of the event
// stream costs O(page size), never O(scenario.items).
//
// Model
// - The scenario has `items` files, numbered by a global index i = 0..items-1 in upload order.
//   Raising `items` only ever appends files (this is what incremental sync tests use). A file
//   never changes folder; the change log (./state.ts, POST .../sandbox/changes) edits it (a new
//   version of a small text file, a rename of any other: see `editKind`), trashes it or restores
//   it, and a file's record and bytes take a `FileState` saying which of those happened.
// - Folders are numbered n = 0, 1, 2, ... in creation order; n = 0 is the root ("All Files",
//   id "0"). Folder n (n >= 1) is created together with file n * FILES_PER_FOLDER, so there are
//   floor((items - 1) / FILES_PER_FOLDER) + 1 folders. Folder n's parent is
//   floor((n - 1) / FOLDER_FANOUT): a 4-ary tree, depth 6 at ~100,000 files.
// - File i lives in folder floor(i / FILES_PER_FOLDER), except that every folder with
//   n % 7 === 5 stays empty (no files of its own) and its block of files goes to folder n - 1.
//   So each folder's files are one contiguous index range: listing is O(page).
// - A folder lists its subfolders first (in creation order), then its files (in index order),
//   like Box's default order (type, then id).
// - The event stream has one ITEM_UPLOAD per file (plus an ITEM_CREATE when a file creates its
//   folder); stream position STREAM_BASE + i is "just before file i". Box delivers events at
//   least once: consecutive chunks overlap by one position, and some events appear twice in a
//   chunk; the event_id tells duplicates apart.

export const FILES_PER_FOLDER = 50;
export const FOLDER_FANOUT = 4;
const EMPTY_FOLDER_EVERY = 7;
const EMPTY_FOLDER_REMAINDER = 5;

const FOLDER_ID_BASE = 210_000_000_000;
const FILE_ID_BASE = 1_300_000_000_000;
const FILE_VERSION_ID_BASE = 1_500_000_000_000;
/** Versions uploaded by edits: file i's n-th edit is version EDIT_VERSION_ID_BASE + i * 10,000 + n. */
const EDIT_VERSION_ID_BASE = 1_600_000_000_000;
export const STREAM_BASE = 4_100_000_000_000;
/** content_modified_at of file 0; file i is `i` minutes later. */
export const FILES_EPOCH_MS = Date.UTC(2025, 5, 2, 16, 0);
const FILE_SPACING_MS = 60_000;
const ROOT_CREATED_MS = Date.UTC(2024, 10, 4, 17, 30);

/** Text files above this many bytes are "large" (server logs, exports). */
export const LARGE_TEXT_BYTES = 1_572_864; // 1.5 MiB
const LOG_LINE = 64; // bytes per line of a large text file (ASCII, fixed width)

export type TextExtension = "txt" | "md" | "csv" | "json" | "html";
export type BinaryExtension = "pdf" | "docx" | "png" | "xlsx" | "jpg" | "pptx" | "mp4";
export type Extension = TextExtension | BinaryExtension;

export const TEXT_EXTENSIONS: readonly TextExtension[] = ["txt", "md", "csv", "json", "html"];
/** 20 slots: 9 text-like (45 %), 11 binary. */
const EXTENSION_WHEEL: readonly Extension[] = [
  "txt", "pdf", "md", "docx", "csv", "png", "html", "pdf", "txt", "docx",
  "json", "xlsx", "md", "jpg", "csv", "pptx", "html", "pdf", "mp4", "docx",
];

const FOLDER_WORDS = [
  "Projects", "Финансы", "会議メモ", "Données clients", "🎨 Design", "Q3 — Planning", "Archive (old)",
  "Legal & Contracts", "Ελληνικά έγγραφα", "Marketing", "Reisekosten Übersicht", "Hiring", "Shared — São Paulo",
] as const; // 13 words: 5n mod 13 differs for any 4 consecutive n, so siblings never share a name

const FILE_STEMS = [
  "Quarterly report", "Meeting notes", "Übersicht Budget", "提案書", "Résumé — Zoë", "Roadmap 🚀",
  "Notes (draft)", "Customer list", "Design spec", "Invoice", "Onboarding checklist", "Sales pipeline",
  "Ideas & follow-ups", "Retro «sprint»",
] as const;

export interface BoxUserMini {
  type: "user";
  id: string;
  name: string;
  login: string;
}

const COLLEAGUES: readonly BoxUserMini[] = [
  { type: "user", id: "20483617", name: "Zoë Ångström", login: "zoe.angstrom@example.com" },
  { type: "user", id: "20483622", name: "José Núñez", login: "jose.nunez@example.com" },
  { type: "user", id: "20483631", name: "李雷", login: "li.lei@example.com" },
  { type: "user", id: "20483647", name: "Aisha Khan", login: "aisha.khan@example.com" },
];

// ---------------------------------------------------------------- wire shapes (snake_case, as Box sends them)

export interface BoxFolderMini {
  type: "folder";
  id: string;
  sequence_id: string | null;
  etag: string | null;
  name: string;
}

export interface BoxPathCollection {
  total_count: number;
  entries: BoxFolderMini[];
}

export interface BoxFileWire {
  type: "file";
  id: string;
  etag: string;
  sequence_id: string;
  sha1: string;
  file_version: { type: "file_version"; id: string; sha1: string };
  name: string;
  description: string;
  size: number;
  extension: string;
  path_collection: BoxPathCollection;
  created_at: string;
  modified_at: string;
  /** Set while the file is in the trash (Box's FileFull: trashed_at, item_status "trashed"). */
  trashed_at: string | null;
  purged_at: null;
  content_created_at: string;
  content_modified_at: string;
  created_by: BoxUserMini;
  modified_by: BoxUserMini;
  owned_by: BoxUserMini;
  shared_link: null;
  parent: BoxFolderMini;
  item_status: "active" | "trashed";
}

export interface BoxFolderWire {
  type: "folder";
  id: string;
  sequence_id: string | null;
  etag: string | null;
  name: string;
  description: string;
  size: number;
  path_collection: BoxPathCollection;
  created_at: string | null;
  modified_at: string | null;
  trashed_at: null;
  purged_at: null;
  content_created_at: string | null;
  content_modified_at: string | null;
  created_by: BoxUserMini | null;
  modified_by: BoxUserMini | null;
  owned_by: BoxUserMini;
  shared_link: null;
  folder_upload_email: null;
  parent: BoxFolderMini | null;
  item_status: "active";
}

export interface BoxUserWire extends BoxUserMini {
  created_at: string;
  modified_at: string;
  language: string;
  timezone: string;
  space_amount: number;
  space_used: number;
  max_upload_size: number;
  status: "active";
  job_title: string;
  phone: string;
  address: string;
  avatar_url: string;
  notification_email: null;
}

/**
 * One event of the user event stream, as Box's OpenAPI description (schema `Event`) and the
 * SDK's own type (box-typescript-sdk-gen lib/schemas/event.generated.d.ts) have it: every field
 * optional, `session_id` a string, `additional_details` an object that "not all events have" and
 * that "is only available in the Enterprise Events", so a user event leaves it out (never null).
 */
export interface BoxEventWire {
  type: "event";
  event_id: string;
  event_type: "ITEM_UPLOAD" | "ITEM_CREATE" | "ITEM_MODIFY" | "ITEM_RENAME" | "ITEM_MOVE" | "ITEM_TRASH" | "ITEM_UNDELETE_VIA_TRASH";
  created_by: BoxUserMini;
  created_at: string;
  recorded_at: string;
  session_id: string;
  source: BoxFileWire | BoxFolderWire;
}

export interface BoxEventsWire {
  chunk_size: number;
  next_stream_position: number;
  entries: BoxEventWire[];
}

// ---------------------------------------------------------------- small pure helpers

/** 32-bit integer hash (murmur3 finalizer); the only "randomness" in the sandbox. */
export function mix(n: number): number {
  let x = (n ^ 0x2545f491) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(8, "0").slice(-Math.min(8, width)).padStart(width, "0");
}

function hexDigest(seed: number, chars: number): string {
  let out = "";
  for (let k = 0; out.length < chars; k++) out += hex(mix(seed * 31 + k), 8);
  return out.slice(0, chars);
}

/** Box timestamps: second precision, Pacific time offset (Box answers in the enterprise's zone). */
export function boxTime(ms: number): string {
  const pacific = new Date(Math.floor(ms / 1000) * 1000 - 8 * 3_600_000);
  return `${pacific.toISOString().slice(0, 19)}-08:00`;
}

export function sandboxUser(login = "sandbox-user"): BoxUserMini {
  const email = login.includes("@") ? login : `${login}@example.com`;
  return { type: "user", id: "19498290761", name: "Sandbox User", login: email };
}

// ---------------------------------------------------------------- folders

export function folderCount(items: number): number {
  return items <= 0 ? 1 : Math.floor((items - 1) / FILES_PER_FOLDER) + 1;
}

/** Folders that never hold files of their own (their block goes to the folder before). */
export function isEmptyFolder(n: number): boolean {
  return n > 0 && n % EMPTY_FOLDER_EVERY === EMPTY_FOLDER_REMAINDER;
}

export function folderParent(n: number): number {
  return n <= 0 ? -1 : Math.floor((n - 1) / FOLDER_FANOUT);
}

export function folderDepth(n: number): number {
  let d = 0;
  for (let k = n; k > 0; k = folderParent(k)) d++;
  return d;
}

export function folderId(n: number): string {
  return n === 0 ? "0" : String(FOLDER_ID_BASE + n);
}

/** Folder number for an id, or -1 (also for folders that do not exist at `items`). */
export function folderIndexById(id: string, items: number): number {
  if (id === "0") return 0;
  if (!/^\d{1,15}$/.test(id)) return -1;
  const n = Number(id) - FOLDER_ID_BASE;
  return Number.isInteger(n) && n >= 1 && n < folderCount(items) ? n : -1;
}

export function folderName(n: number): string {
  return n === 0 ? "All Files" : FOLDER_WORDS[(n * 5) % FOLDER_WORDS.length]!;
}

function folderEtag(n: number): string | null {
  return n === 0 ? null : String(mix(n + 404) % 3);
}

export function folderMini(n: number): BoxFolderMini {
  const etag = folderEtag(n);
  return { type: "folder", id: folderId(n), sequence_id: etag, etag, name: folderName(n) };
}

/** Ancestors of folder n, root first (n itself not included). */
export function folderAncestors(n: number): number[] {
  const out: number[] = [];
  for (let k = folderParent(n); k >= 0; k = folderParent(k)) out.unshift(k);
  return out;
}

/** "/Projects/Финансы" (root "All Files" left out; "/" for the root itself). */
export function folderPath(n: number): string {
  const names = [...folderAncestors(n).filter((k) => k > 0), ...(n > 0 ? [n] : [])].map(folderName);
  return `/${names.join("/")}`;
}

/** Child folders of n that exist at `items`, in creation order: [first, end). */
export function childFolderRange(n: number, items: number): [number, number] {
  const first = FOLDER_FANOUT * n + 1;
  const end = Math.min(first + FOLDER_FANOUT, folderCount(items));
  return [first, Math.max(first, end)];
}

/** Files of folder n at `items`: the index range [start, end). */
export function folderFileRange(n: number, items: number): [number, number] {
  if (isEmptyFolder(n)) return [0, 0];
  const start = n * FILES_PER_FOLDER;
  const blocks = isEmptyFolder(n + 1) ? 2 : 1;
  const end = Math.min(items, (n + blocks) * FILES_PER_FOLDER);
  return end > start ? [start, end] : [0, 0];
}

export function fileFolder(i: number): number {
  const b = Math.floor(i / FILES_PER_FOLDER);
  return isEmptyFolder(b) ? b - 1 : b;
}

export function folderOwner(n: number, user: BoxUserMini): BoxUserMini {
  return n % 6 === 2 ? COLLEAGUES[n % COLLEAGUES.length]! : user;
}

function folderCreatedMs(n: number): number {
  return n === 0 ? ROOT_CREATED_MS : FILES_EPOCH_MS + n * FILES_PER_FOLDER * FILE_SPACING_MS - 30_000;
}

function pathCollection(n: number, includeSelf: boolean): BoxPathCollection {
  const chain = [...folderAncestors(n), ...(includeSelf ? [n] : [])];
  return { total_count: chain.length, entries: chain.map(folderMini) };
}

export function makeFolder(n: number, items: number, user: BoxUserMini): BoxFolderWire {
  const [fs, fe] = folderFileRange(n, items);
  let size = 0;
  for (let i = fs; i < fe; i++) size += fileSize(i);
  const created = n === 0 ? null : boxTime(folderCreatedMs(n));
  const lastFile = fe > fs ? boxTime(contentModifiedMs(fe - 1) + 5_000) : created;
  const owner = folderOwner(n, user);
  const etag = folderEtag(n);
  return {
    type: "folder",
    id: folderId(n),
    sequence_id: etag,
    etag,
    name: folderName(n),
    description: n % 3 === 1 ? `Sandbox folder ${n} — “${folderName(n)}”` : "",
    size,
    path_collection: pathCollection(n, false),
    created_at: created,
    modified_at: lastFile,
    trashed_at: null,
    purged_at: null,
    content_created_at: created,
    content_modified_at: lastFile,
    created_by: n === 0 ? null : owner,
    modified_by: n === 0 ? null : owner,
    owned_by: owner,
    shared_link: null,
    folder_upload_email: null,
    parent: n === 0 ? null : folderMini(folderParent(n)),
    item_status: "active",
  };
}

// ---------------------------------------------------------------- files

export function fileId(i: number): string {
  return String(FILE_ID_BASE + i);
}

/** File index for an id, or -1 (also for files that do not exist at `items`). */
export function fileIndexById(id: string, items: number): number {
  if (!/^\d{1,15}$/.test(id)) return -1;
  const i = Number(id) - FILE_ID_BASE;
  return Number.isInteger(i) && i >= 0 && i < items ? i : -1;
}

export function fileExtension(i: number): Extension {
  return EXTENSION_WHEEL[mix(i + 11) % EXTENSION_WHEEL.length]!;
}

export function isTextExtension(ext: string): ext is TextExtension {
  return (TEXT_EXTENSIONS as readonly string[]).includes(ext);
}

export function isLargeTextFile(i: number): boolean {
  const ext = fileExtension(i);
  return (ext === "txt" || ext === "csv") && i % 97 === 41;
}

/** What the change log has done to a file (./state.ts computes it). */
export interface FileState {
  /** Times it was edited (0: as seeded). */
  edits: number;
  /** When the latest edit happened (ms since the epoch). */
  editedAt?: number;
  /** When it went to the trash (ms); absent: not in the trash. */
  trashedAt?: number;
}

export const UNCHANGED: FileState = { edits: 0 };

/**
 * How an edit changes file i, as a person changes a file in Box: a small text file gets a new
 * version uploaded (its text gains a line with the word "edited"; new file_version, sha1, size,
 * content_modified_at; Box reports ITEM_UPLOAD), any other file is renamed (its name gains
 * "(edited)"; Box reports ITEM_RENAME). Both change etag, sequence_id and modified_at.
 */
export function editKind(i: number): "version" | "rename" {
  return isTextExtension(fileExtension(i)) && !isLargeTextFile(i) ? "version" : "rename";
}

/** Edits that changed file i's content (new versions), of `edits` edits. */
export function contentEdits(i: number, edits: number): number {
  return edits > 0 && editKind(i) === "version" ? edits : 0;
}

export function fileName(i: number, edits = 0): string {
  const stem = `${FILE_STEMS[mix(i + 7) % FILE_STEMS.length]} ${i + 1}`;
  const renamed = edits > 0 && editKind(i) === "rename" ? ` (edited${edits > 1 ? ` ${edits}` : ""})` : "";
  return `${stem}${renamed}.${fileExtension(i)}`;
}

/**
 * The item_errors fault breaks these files' downloads (text files only: the connector downloads
 * nothing else): see `brokenDownload`. Their records stay valid: Box never sends a file without
 * a name (FileFull in Box's OpenAPI).
 */
export function isBrokenFile(i: number): boolean {
  return i % 10 === 3;
}

/**
 * What the item_errors fault does to file i's download: 403 (a collaborator who may preview but
 * not download it: access_denied_insufficient_permissions), or 202 + Retry-After for ever (Box's
 * "file is not ready to be downloaded yet", GET /files/{id}/content in Box's OpenAPI, here a
 * representation that never becomes ready within the connector's bound).
 */
export function brokenDownload(i: number): { status: 403 | 202 } {
  return { status: i % 20 === 3 ? 403 : 202 };
}

function contentModifiedMs(i: number): number {
  return FILES_EPOCH_MS + i * FILE_SPACING_MS;
}

/** Size of file i after `edits` edits (only new versions change it). */
export function fileSize(i: number, edits = 0): number {
  const ext = fileExtension(i);
  if (isTextExtension(ext)) return isLargeTextFile(i) ? LARGE_TEXT_BYTES : Buffer.byteLength(smallFileText(i, ext, contentEdits(i, edits)));
  const h = mix(i + 3);
  // Some large ones (videos, scans): 1-4 GB.
  if (ext === "mp4" || i % 89 === 17) return 1_073_741_824 + (h % 3_221_225_472);
  return 20_000 + (h % 20_000_000);
}

/** File i's record as it is in `state` (as seeded by default). */
export function makeFile(i: number, user: BoxUserMini, state: FileState = UNCHANGED): BoxFileWire {
  const n = fileFolder(i);
  const ext = fileExtension(i);
  const owner = folderOwner(n, user);
  const versions = i % 3 === 0 ? 1 : 0;
  const newVersions = contentEdits(i, state.edits);
  const sha1 = newVersions ? hexDigest((i + 1) * 8_191 + newVersions, 40) : hexDigest(i + 1, 40);
  const versionId = newVersions ? EDIT_VERSION_ID_BASE + i * 10_000 + newVersions : FILE_VERSION_ID_BASE + i * 2 + versions;
  const contentModified = contentModifiedMs(i);
  const uploaded = contentModified + 5_000;
  const edited = state.edits > 0 ? (state.editedAt ?? uploaded) : undefined;
  const modifier = edited !== undefined ? user : i % 4 === 1 ? COLLEAGUES[i % COLLEAGUES.length]! : owner;
  // Box: etag and sequence_id change with every change of the item (a new version, a rename).
  const etag = String(versions + state.edits);
  return {
    type: "file",
    id: fileId(i),
    etag,
    sequence_id: etag,
    sha1,
    file_version: { type: "file_version", id: String(versionId), sha1 },
    name: fileName(i, state.edits),
    description: i % 5 === 2 ? `Uploaded from the sandbox (file ${i + 1})` : "",
    size: fileSize(i, state.edits),
    extension: ext,
    path_collection: pathCollection(n, true),
    created_at: boxTime(uploaded - versions * 86_400_000),
    modified_at: boxTime(state.trashedAt ?? edited ?? uploaded),
    trashed_at: state.trashedAt !== undefined ? boxTime(state.trashedAt) : null,
    purged_at: null,
    content_created_at: boxTime(contentModified - 3 * 86_400_000 - (mix(i) % 86_400) * 1000),
    content_modified_at: boxTime(newVersions && edited !== undefined ? edited : contentModified),
    created_by: owner,
    modified_by: modifier,
    owned_by: owner,
    shared_link: null,
    parent: folderMini(n),
    item_status: state.trashedAt !== undefined ? "trashed" : "active",
  };
}

// ---------------------------------------------------------------- file contents

const TEXT_SNIPPETS = [
  "Café ☕, naïve façade and a jalapeño.",
  "東京で会議をしました。",
  "Ελληνικά: καλημέρα κόσμε.",
  "Emoji check: 🎉🚀✨.",
  "Quotes: “curly”, «guillemets» and ‘single’.",
  "Umlauts: Grüße aus Köln, Straße, Übermorgen.",
] as const;

function snippet(i: number, k: number): string {
  return TEXT_SNIPPETS[(mix(i) + k) % TEXT_SNIPPETS.length]!;
}

/** The marker every text file contains, so tests can tell one from another. */
export function textMarker(i: number): string {
  return `sandbox file ${i + 1}`;
}

/** Small LRU caches: listings ask for every file's size, downloads for its text. */
const textCache = new Map<number, string>();
const TEXT_CACHE_MAX = 4_096;

function smallFileText(i: number, ext: TextExtension, versions = 0): string {
  const hit = textCache.get(i);
  const text = hit ?? buildSmallFileText(i, ext);
  if (hit === undefined) {
    if (textCache.size >= TEXT_CACHE_MAX) textCache.delete(textCache.keys().next().value!);
    textCache.set(i, text);
  }
  return versions > 0 ? editedText(text, ext, versions) : text;
}

/** A small text file after `versions` edits: the seeded text with one more line saying so, in the file's own format. */
function editedText(text: string, ext: TextExtension, versions: number): string {
  const line = `This file was edited in the sandbox (version ${versions + 1}).`;
  switch (ext) {
    case "txt":
    case "md":
      return `${text}\n${line}\n`;
    case "csv":
      return `${text}edited,"${line}",0.00,Zürich,"ok"\r\n`;
    case "json":
      return text.replace(/\n}\n$/, `,\n  "edited": "${line}"\n}\n`);
    case "html":
      return text.replace("  </body>", `    <p>${line}</p>\n  </body>`);
  }
}

function buildSmallFileText(i: number, ext: TextExtension): string {
  const h = mix(i + 101);
  const rows = 3 + (h % 12);
  const marker = textMarker(i);
  switch (ext) {
    case "txt": {
      const lines = [`Notes — ${marker}`, ""];
      for (let k = 0; k < rows; k++) lines.push(`${k + 1}. ${snippet(i, k)} Tab\there, done.`);
      return `${lines.join("\n")}\n`;
    }
    case "md": {
      const lines = [`# ${FILE_STEMS[h % FILE_STEMS.length]} (${marker})`, "", "## Agenda", ""];
      for (let k = 0; k < rows; k++) lines.push(`- [${k % 2 ? "x" : " "}] **Item ${k + 1}**: ${snippet(i, k)}`);
      lines.push("", "> Quoted with `code` and a [link](https://example.com/docs).");
      return `${lines.join("\n")}\n`;
    }
    case "csv": {
      const lines = ["id,name,amount,city,note"];
      for (let k = 0; k < rows; k++) {
        const city = ["Zürich", "São Paulo", "Kraków", "Reykjavík", "東京"][(h + k) % 5];
        lines.push(`${k + 1},"${FILE_STEMS[(h + k) % FILE_STEMS.length]}",${((mix(i + k) % 100_000) / 100).toFixed(2)},${city},"${k === 0 ? marker : "ok, fine"}"`);
      }
      return `${lines.join("\r\n")}\r\n`;
    }
    case "json":
      return `${JSON.stringify(
        {
          id: fileId(i),
          title: marker,
          tags: ["sandbox", FOLDER_WORDS[h % FOLDER_WORDS.length]],
          rows: Array.from({ length: Math.min(rows, 5) }, (_, k) => ({ k, text: snippet(i, k), ok: k % 2 === 0 })),
          nested: { depth: 2, note: "<not html> & \"escaped\"" },
        },
        null,
        2,
      )}\n`;
    case "html": {
      const items = Array.from({ length: Math.min(rows, 6) }, (_, k) => `<li>${snippet(i, k).replace(/&/g, "&amp;")}</li>`).join("\n      ");
      return [
        "<!DOCTYPE html>",
        `<html lang="en">`,
        "  <head>",
        `    <meta charset="utf-8">`,
        `    <title>Page &mdash; ${marker}</title>`,
        "    <style>body { font-family: sans-serif; } .hidden { display: none; }</style>",
        `    <script>window.secret = "<b>not text</b>"; if (1 < 2) { console.log('x'); }</script>`,
        "  </head>",
        "  <body>",
        `    <h1>Heading &amp; more for ${marker}</h1>`,
        `    <p>Fish &amp; chips cost &pound;5 &ndash; caf&eacute; &#233;l&#xE8;ve &lt;tag&gt; &#x1F600;<br>second line</p>`,
        "    <ul>",
        `      ${items}`,
        "    </ul>",
        "    <!-- a comment that is not text -->",
        `    <table><tr><td>cell&nbsp;one</td><td>cell two</td></tr></table>`,
        "  </body>",
        "</html>",
        "",
      ].join("\n");
    }
  }
}

let lastMinute = { ms: Number.NaN, prefix: "" };

function largeLine(i: number, k: number): string {
  // Exactly LOG_LINE bytes, ASCII only: one log line per second, a new timestamp prefix every minute.
  const minuteMs = contentModifiedMs(i) + Math.floor(k / 60) * 60_000;
  if (minuteMs !== lastMinute.ms) lastMinute = { ms: minuteMs, prefix: new Date(minuteMs).toISOString().slice(0, 17) };
  const t = `${lastMinute.prefix}${String(k % 60).padStart(2, "0")}`;
  const body = `${t} INFO request ${String(k).padStart(7, "0")} ok file=${i + 1}`;
  return `${body.padEnd(LOG_LINE - 1, " ").slice(0, LOG_LINE - 1)}\n`;
}

/** Bytes [from, to) of a large text file (a server log of fixed-width lines). */
function largeTextSlice(i: number, from: number, to: number): string {
  let out = "";
  const first = Math.floor(from / LOG_LINE);
  const last = Math.ceil(to / LOG_LINE);
  for (let k = first; k < last; k++) out += largeLine(i, k);
  return out.slice(from - first * LOG_LINE, to - first * LOG_LINE);
}

/** The full text of a text-like file after `edits` edits (for large files: only up to `maxBytes`, ASCII, so bytes = chars). */
export function fileText(i: number, maxBytes = Number.POSITIVE_INFINITY, edits = 0): string {
  const ext = fileExtension(i);
  if (!isTextExtension(ext)) throw new Error(`file ${i} is not a text file (${ext})`);
  if (isLargeTextFile(i)) return largeTextSlice(i, 0, Math.min(LARGE_TEXT_BYTES, maxBytes));
  return smallFileText(i, ext, contentEdits(i, edits));
}

/** Bytes [start, end) of file i's content after `edits` edits, in pieces of at most `chunk` bytes. */
export function* fileBytes(i: number, start: number, end: number, chunk = 65_536, edits = 0): Generator<Uint8Array> {
  const ext = fileExtension(i);
  const enc = new TextEncoder();
  if (isTextExtension(ext) && !isLargeTextFile(i)) {
    const all = enc.encode(smallFileText(i, ext, contentEdits(i, edits)));
    for (let p = start; p < end; p += chunk) yield all.subarray(p, Math.min(end, p + chunk));
    return;
  }
  for (let p = start; p < end; p += chunk) {
    const q = Math.min(end, p + chunk);
    if (isTextExtension(ext)) {
      yield enc.encode(largeTextSlice(i, p, q));
    } else {
      // Binary-ish: a magic header, then a deterministic byte pattern.
      const out = new Uint8Array(q - p);
      const magic = binaryMagic(ext);
      for (let k = p; k < q; k++) out[k - p] = k < magic.length ? magic[k]! : (mix(i * 4099 + (k >>> 12)) >>> ((k & 3) * 8)) & 0xff;
      yield out;
    }
  }
}

function binaryMagic(ext: BinaryExtension): number[] {
  switch (ext) {
    case "pdf": return [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a];
    case "png": return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    case "jpg": return [0xff, 0xd8, 0xff, 0xe0];
    case "mp4": return [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70];
    default: return [0x50, 0x4b, 0x03, 0x04]; // docx, xlsx, pptx: zip
  }
}

// ---------------------------------------------------------------- folder listings

export type ListingEntry = { kind: "folder"; n: number } | { kind: "file"; i: number };

/** Number of entries (subfolders + files) folder n lists at `items`. */
export function listingLength(n: number, items: number): number {
  const [cf, ce] = childFolderRange(n, items);
  const [fs, fe] = folderFileRange(n, items);
  return ce - cf + (fe - fs);
}

/** The entry at position k of folder n's listing (subfolders first), or undefined past the end. */
export function listingEntry(n: number, items: number, k: number): ListingEntry | undefined {
  const [cf, ce] = childFolderRange(n, items);
  if (k < ce - cf) return { kind: "folder", n: cf + k };
  const [fs, fe] = folderFileRange(n, items);
  const i = fs + (k - (ce - cf));
  return i < fe ? { kind: "file", i } : undefined;
}

/** Position of the first entry at or after `entry` in folder n's listing (keyset: stable while files are appended). */
export function listingPosition(n: number, items: number, entry: ListingEntry): number {
  const [cf, ce] = childFolderRange(n, items);
  const folders = ce - cf;
  if (entry.kind === "folder") return Math.min(Math.max(0, entry.n - cf), folders);
  const [fs, fe] = folderFileRange(n, items);
  return folders + Math.min(Math.max(0, entry.i - fs), fe - fs);
}

// ---------------------------------------------------------------- the event stream

export function uuidFrom(seed: number): string {
  const a = hexDigest(seed, 32);
  return `${a.slice(0, 8)}-${a.slice(8, 12)}-4${a.slice(13, 16)}-${"89ab"[mix(seed) % 4]}${a.slice(17, 20)}-${a.slice(20, 32)}`;
}

/** Events at stream position STREAM_BASE + i (file i's upload, preceded by its folder's creation). */
export function eventsAtPosition(i: number, user: BoxUserMini): BoxEventWire[] {
  const out: BoxEventWire[] = [];
  const at = contentModifiedMs(i) + 5_000;
  const session = hexDigest(i + 77, 20);
  if (i > 0 && i % FILES_PER_FOLDER === 0) {
    const n = i / FILES_PER_FOLDER;
    out.push({
      type: "event",
      event_id: uuidFrom(1_000_000_000 + n),
      event_type: "ITEM_CREATE",
      created_by: folderOwner(n, user),
      created_at: boxTime(at - 1000),
      recorded_at: boxTime(at - 1000),
      session_id: session,
      source: makeFolder(n, i + 1, user),
    });
  }
  const file = makeFile(i, user);
  const upload: BoxEventWire = {
    type: "event",
    event_id: uuidFrom(i + 1),
    event_type: "ITEM_UPLOAD",
    created_by: file.created_by,
    created_at: boxTime(at),
    recorded_at: boxTime(at + 300),
    session_id: session,
    source: file,
  };
  out.push(upload);
  // At-least-once delivery: some events come twice in the same chunk.
  if (i % 17 === 5) out.push(upload);
  return out;
}

/**
 * One chunk of a stream of `total` positions from `position` (a number; positions below
 * STREAM_BASE mean "from the oldest event"); `at(p)` is the events at position STREAM_BASE + p.
 * Non-final chunks overlap the next one by one position, as Box may re-send events.
 */
export function chunkOf(total: number, position: number, limit: number, at: (p: number) => BoxEventWire[]): BoxEventsWire {
  const start = Math.max(0, position - STREAM_BASE);
  if (start >= total) return { chunk_size: 0, next_stream_position: Math.max(position, STREAM_BASE + total), entries: [] };
  const entries: BoxEventWire[] = [];
  let i = start;
  while (i < total) {
    const events = at(i);
    if (entries.length > 0 && entries.length + events.length > limit) break;
    entries.push(...events);
    i++;
  }
  const next = i >= total ? STREAM_BASE + total : i - start >= 2 ? STREAM_BASE + i - 1 : STREAM_BASE + i;
  return { chunk_size: entries.length, next_stream_position: next, entries };
}

/** One chunk of GET /events over the seeded files only (no change log): see ./state.ts for the whole stream. */
export function eventsChunk(items: number, position: number, limit: number, user: BoxUserMini): BoxEventsWire {
  return chunkOf(items, position, limit, (i) => eventsAtPosition(i, user));
}

export function makeUser(login: string | undefined, items: number): BoxUserWire {
  const mini = sandboxUser(login);
  return {
    ...mini,
    created_at: boxTime(ROOT_CREATED_MS),
    modified_at: boxTime(ROOT_CREATED_MS + 86_400_000),
    language: "en",
    timezone: "America/Los_Angeles",
    space_amount: 10_995_116_277_760,
    space_used: items * 1_250_000,
    max_upload_size: 5_368_709_120,
    status: "active",
    job_title: "Sandbox tester",
    phone: "",
    address: "",
    avatar_url: "https://app.box.com/api/avatar/large/19498290761",
    notification_email: null,
  };
}
