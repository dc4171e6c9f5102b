// Seeded, deterministic data for the Gmail sandbox. Pure: the same inputs give the same
// objects (and so the same JSON bytes); nothing here reads the clock, the network or
// randomness. Everything is computed lazily per message: a page of the message list or of
// the history costs O(page size), never O(scenario.items).
//
// Model
// - The mailbox holds `items` messages, numbered by a global index i = 0..items-1.
//   Message i has internalDate = MESSAGES_EPOCH_MS + i * 5 min + jitter (< 4 min), so dates
//   grow strictly with i, and raising `items` only ever appends newer messages.
// - Ids look like Gmail's: 16 hex digits, (internalDate << 20 | 20 hash bits). The index of
//   an id is recovered in O(1) from its date bits (messageIndexOf), so messages.get never scans.
// - Message i has historyId = 1000 + i: the history record that added it. The mailbox's current
//   historyId is 999 + items (999 for an empty mailbox). history.list(startHistoryId = S) returns
//   the records with id > S, i.e. the messages i >= S - 999, oldest first.
// - Threads: the messages are cut into blocks of 12 consecutive indices; each block is split into
//   threads by one of a few patterns (one 12-message thread, 4+4+4, 6+6, singletons, ...).
//   The threadId is the id of the thread's first message, as in Gmail. Replies say "Re: ...",
//   alternate between the sender and the mailbox owner (SENT), and quote the previous message.
// - Bodies vary by message: multipart/alternative, HTML only, plain only, multipart/mixed with an
//   attachment, multipart/alternative with a nested multipart/related, empty, ISO-8859-1, and
//   (1 in 100) a large body of ~100 KB.
// - The `item_errors` fault breaks every message with i % 10 === 7, the way Gmail breaks a sync:
//   half of them are deleted between list and get (messages.get answers 404 "Requested entity was
//   not found."), the others are deleted between get and the download of their attachment (they
//   carry a CSV attachment, and messages.attachments.get answers the same 404).
// - Changes (POST .../sandbox/changes) are applied over this by ./mailbox.ts; an edited draft's
//   message gets a new id (messageVersionId), as users.drafts.update replaces the draft's message.
import type { gmail_v1 } from "@googleapis/gmail";
import { attachmentIdOf, attachmentSpecOf, type AttachmentSpec } from "./attachments";

export type GmailMessage = gmail_v1.Schema$Message;
export type GmailMessagePart = gmail_v1.Schema$MessagePart;
export type GmailHeader = gmail_v1.Schema$MessagePartHeader;
export type GmailProfile = gmail_v1.Schema$Profile;
export type GmailMessageList = gmail_v1.Schema$ListMessagesResponse;
export type GmailHistoryList = gmail_v1.Schema$ListHistoryResponse;
export type GmailHistory = gmail_v1.Schema$History;

/** internalDate of message 0 (Mon 6 Jan 2025, 07:00 UTC); message i is about i * 5 min later. */
export const MESSAGES_EPOCH_MS = Date.UTC(2025, 0, 6, 7, 0, 0);
export const MESSAGE_SPACING_MS = 5 * 60_000;
const JITTER_MS = 4 * 60_000;
/** historyId of message 0; the mailbox's historyId is HISTORY_BASE - 1 + items. */
export const HISTORY_BASE = 1000;
export const THREAD_BLOCK = 12;
export const DEFAULT_LOGIN = "sandbox-user";
export const LIST_DEFAULT_PAGE = 100;
export const LIST_MAX_PAGE = 500;
export const HISTORY_DEFAULT_PAGE = 100;
export const HISTORY_MAX_PAGE = 500;

// ---------------------------------------------------------------- small pure helpers

/** 32-bit integer hash (murmur3 finalizer); the only "randomness" in the sandbox. */
export function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function mailboxAddress(login: string = DEFAULT_LOGIN): string {
  return `${login}@gmail.com`;
}

/** Gmail's body.data: base64url; some bodies keep the "=" padding (clients must accept both). */
export function base64url(bytes: Uint8Array, pad: boolean): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
  return pad ? s + "=".repeat((4 - (s.length % 4)) % 4) : s;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** An RFC 2822 date ("Tue, 7 Jan 2025 09:14:03 +0100") for `ms`, shown at `offsetMin` from UTC. */
export function rfc2822(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/** Like Gmail's snippets: whitespace collapsed, about 140 characters, HTML-escaped. */
export function snippetOf(text: string): string {
  const flat = text.slice(0, 1_000).replace(/\s+/g, " ").trim();
  const cut = [...flat].slice(0, 140).join("").trimEnd();
  return cut.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// ---------------------------------------------------------------- ids, dates, history (O(1))

export function internalDateMs(i: number): number {
  return MESSAGES_EPOCH_MS + i * MESSAGE_SPACING_MS + (mix(i + 101) % JITTER_MS);
}

export function messageId(i: number): string {
  return messageVersionId(i, 0);
}

/**
 * The id of version `v` of message i: v = 0 is the seeded (or added) message; v >= 1 the message
 * that replaced it when its draft was edited v times. Same date bits (the index stays O(1) to
 * recover), other low bits.
 */
export function messageVersionId(i: number, v: number): string {
  const low = (mix(i ^ 0x2545f491) ^ (v === 0 ? 0 : mix(v * 0x3c6ef372 + i) | 1)) & 0xfffff;
  const bits = v > 0 && low === (mix(i ^ 0x2545f491) & 0xfffff) ? low ^ 1 : low;
  return ((BigInt(internalDateMs(i)) << 20n) | BigInt(bits)).toString(16).padStart(16, "0");
}

/** The index an id's date bits point at (the id may still name no message). */
export function messageIndexGuess(id: string): number | null {
  if (!isWellFormedId(id)) return null;
  const ms = Number(BigInt(`0x${id}`) >> 20n);
  const i = Math.floor((ms - MESSAGES_EPOCH_MS) / MESSAGE_SPACING_MS);
  return Number.isSafeInteger(i) && i >= 0 && i <= 10_000_000 ? i : null;
}

/** Which message and version an id names, among versions 0..maxVersion; null when none. */
export function messageRefOf(id: string, maxVersion: number): { i: number; v: number } | null {
  const i = messageIndexGuess(id);
  if (i === null) return null;
  for (let v = 0; v <= maxVersion; v++) if (messageVersionId(i, v) === id) return { i, v };
  return null;
}

export function isWellFormedId(id: string): boolean {
  return /^[0-9a-f]{16}$/.test(id);
}

/** The index of a message id (whatever `items` is), or -1 when no message has that id. */
export function messageIndexOf(id: string): number {
  if (!isWellFormedId(id)) return -1;
  const ms = Number(BigInt(`0x${id}`) >> 20n);
  const i = Math.floor((ms - MESSAGES_EPOCH_MS) / MESSAGE_SPACING_MS);
  if (!Number.isSafeInteger(i) || i < 0 || i > 10_000_000) return -1;
  return messageId(i) === id ? i : -1;
}

export function historyIdOf(i: number): number {
  return HISTORY_BASE + i;
}

/** The mailbox's current historyId. */
export function mailboxHistoryId(items: number): number {
  return HISTORY_BASE - 1 + items;
}

// ---------------------------------------------------------------- threads

/** How each block of 12 consecutive messages is cut into threads. */
const THREAD_PATTERNS: ReadonlyArray<readonly number[]> = [
  [12],
  [4, 4, 4],
  [6, 6],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [3, 1, 1, 2, 1, 3, 1],
  [2, 2, 1, 1, 5, 1],
];

function patternOf(block: number): readonly number[] {
  return THREAD_PATTERNS[mix(block * 7919 + 13) % THREAD_PATTERNS.length]!;
}

/** Index of the first message of the thread message i belongs to. */
export function threadStartOf(i: number): number {
  const block = Math.floor(i / THREAD_BLOCK);
  const off = i % THREAD_BLOCK;
  let acc = 0;
  for (const len of patternOf(block)) {
    if (off < acc + len) return block * THREAD_BLOCK + acc;
    acc += len;
  }
  return i; // unreachable: every pattern sums to THREAD_BLOCK
}

export function threadIdOf(i: number): string {
  return messageId(threadStartOf(i));
}

/** Number of threads among the first `items` messages (O(items / 12)). */
export function threadCount(items: number): number {
  let n = 0;
  const full = Math.floor(items / THREAD_BLOCK);
  for (let b = 0; b < full; b++) n += patternOf(b).length;
  const rest = items % THREAD_BLOCK;
  if (rest > 0) {
    let acc = 0;
    for (const len of patternOf(full)) {
      if (acc >= rest) break;
      n++;
      acc += len;
    }
  }
  return n;
}

// ---------------------------------------------------------------- people and words

type SenderKind = "person" | "github" | "shop" | "news";
interface Person {
  name: string | null;
  email: string;
  kind: SenderKind;
  category: string;
  /** Minutes from UTC in their Date headers. */
  tz: number;
}

const PEOPLE: readonly Person[] = [
  { name: "Ada Lovelace", email: "ada@analytical-engines.example", kind: "person", category: "CATEGORY_PERSONAL", tz: 0 },
  { name: "Hopper, Grace", email: "grace.hopper@navy.example", kind: "person", category: "CATEGORY_PERSONAL", tz: -300 },
  { name: "José Ñúñez", email: "jose@ejemplo.example", kind: "person", category: "CATEGORY_PERSONAL", tz: 60 },
  { name: "山田 太郎", email: "taro.yamada@example.jp", kind: "person", category: "CATEGORY_PERSONAL", tz: 540 },
  { name: "Βασίλης Παπαδόπουλος", email: "vasilis@example.gr", kind: "person", category: "CATEGORY_FORUMS", tz: 120 },
  { name: "GitHub", email: "notifications@github.com", kind: "github", category: "CATEGORY_UPDATES", tz: 0 },
  { name: null, email: "orders@shop.example", kind: "shop", category: "CATEGORY_UPDATES", tz: -480 },
  { name: "The Weekly 📰", email: "news@weekly.example", kind: "news", category: "CATEGORY_PROMOTIONS", tz: 60 },
  { name: "Linus (via Social)", email: "noreply@social.example", kind: "news", category: "CATEGORY_SOCIAL", tz: 0 },
];

function formatAddress(name: string | null, email: string): string {
  if (!name) return email;
  // RFC 5322: a display name with specials must be quoted.
  return /[",.;:<>@()[\]\\]/.test(name) ? `"${name.replace(/(["\\])/g, "\\$1")}" <${email}>` : `${name} <${email}>`;
}

/** How a person is greeted or signs: the first name, else the address's local part. */
function firstName(p: Person): string {
  if (!p.name) return p.email.split("@")[0]!;
  const n = p.name.includes(",") ? p.name.split(",")[1]!.trim() : p.name;
  return n.split(/\s+/)[0] ?? n;
}

const TOPICS = ["the Q3 numbers", "the launch plan", "our offsite", "the contract draft", "the sync engine", "Box previews", "the budget", "the hiring loop"] as const;

/** Subject of a thread started by message `root` (null: no Subject header at all). */
function threadSubject(root: number, sender: Person): string | null {
  const h = mix(root * 31 + 7);
  const n = 1 + (h % 97);
  const topic = TOPICS[(h >>> 8) % TOPICS.length]!;
  switch (sender.kind) {
    case "github":
      return `[sandbox-user/atlas] ${["Fix login redirect loop", "Add dark mode", "Crash when the list is empty"][(h >>> 4) % 3]} (#${n})`;
    case "shop":
      return (h >>> 4) % 2 === 0 ? `Your order #${100_000 + root} has shipped 📦` : `Receipt for your payment of €${(n * 3.17).toFixed(2)}`;
    case "news":
      return `Weekly digest: ${n % 9 + 2} new articles about ${topic} 📰`;
    default:
      break;
  }
  switch ((h >>> 4) % 11) {
    case 0: return `Quick question about ${topic}`;
    case 1: return `Lunch on Friday? 🍕`;
    case 2: return `Ünïcödé check: café, naïve, 東京, Ελληνικά — “smart quotes”`;
    case 3: return "";
    case 4: return null;
    case 5: return `Notes from ${topic} meeting (${n} action items) ✅`;
    case 6: return `<b>Not bold</b> & "quoted" 'text' about ${topic}`;
    case 7: return `A very long subject line about ${topic} that keeps going and going, because some people write their whole message in the subject line and never stop typing until the field is full (${n})`;
    case 8: return `Invitation: Design review @ Tue ${n % 28 + 1} Jan 2025 10:00 – 11:00 (CET)`;
    case 9: return `🎉🎉 Congrats on ${topic}! 🎉🎉`;
    default: return `Re-org of ${topic}: draft ${n}`;
  }
}

// ---------------------------------------------------------------- a message's facts

export type BodyKind = "alternative" | "html" | "plain" | "mixed" | "related" | "empty" | "latin1" | "large";

export function bodyKindOf(i: number): BodyKind {
  const h = mix(i + 0x51ed);
  if (h % 100 === 0) return "large";
  const k = (h >>> 7) % 20;
  if (k < 9) return "alternative";
  if (k < 12) return "html";
  if (k < 14) return "plain";
  if (k < 16) return "mixed";
  if (k < 18) return "related";
  if (k < 19) return "empty";
  return "latin1";
}

/** The `item_errors` fault breaks these messages. */
export function isBrokenMessage(i: number): boolean {
  return i % 10 === 7;
}

/** Of the broken ones: deleted between list and get (messages.get 404) or between get and the attachment download. */
export function brokenKindOf(i: number): "deleted" | "attachment_gone" {
  return Math.floor(i / 10) % 2 === 0 ? "deleted" : "attachment_gone";
}

export interface MessageFacts {
  i: number;
  id: string;
  threadId: string;
  /** Position in its thread (0: the thread starter). */
  position: number;
  subject: string | null;
  from: string;
  to: string;
  cc: string | null;
  fromMe: boolean;
  labelIds: string[];
  internalDate: number;
  dateHeader: string;
  kind: BodyKind;
  /** The text of the message (what the text/plain part says; the HTML part says the same, marked up). */
  plain: string;
  /** The HTML part (null for plain-only, empty and latin1 bodies). */
  html: string | null;
}

/**
 * A reference only message i carries ("ref" + 7 base-36 characters, e.g. "ref0k3x9a2"): the one
 * word a search finds in this message and no other (how tests show a deleted email left the index).
 */
export function referenceCodeOf(i: number): string {
  return `ref${mix(i * 2_654_435_761 + 17).toString(36).padStart(7, "0")}`;
}

function paragraphs(i: number, sender: Person, topic: string): string[] {
  const h = mix(i * 17 + 3);
  const lines = [
    `Following up on ${topic}: the numbers look good & the team is on track <for now>.`,
    `Details are in https://docs.example.com/items/${i} (see section ${1 + (h % 9)}, reference ${referenceCodeOf(i)}).`,
  ];
  if (h % 3 === 0) lines.push("Could you take a look before Friday? 🙏");
  if (h % 5 === 1) lines.push("Quelques mots en français : déjà vu, naïve façade, cœur.");
  if (h % 7 === 2) lines.push("日本語のテキストも含まれています。よろしくお願いします。");
  if (sender.kind === "github") lines.push(`— Reply to this email directly or view it on GitHub: https://github.com/sandbox-user/atlas/issues/${1 + (h % 97)}`);
  if (sender.kind === "news") lines.push("You are receiving this because you subscribed. Unsubscribe: https://weekly.example/u");
  return lines;
}

const LARGE_PARAGRAPH =
  "This is a long message body used to test large emails. It repeats a paragraph of plain words, " +
  "numbers like 3.14159 and 2.71828, some punctuation (commas, semicolons; dashes — and ellipses…) " +
  "and a little unicode: ü, ß, ø, 漢字, 🙂. ";

interface MessageMeta extends Omit<MessageFacts, "plain" | "html"> {
  sender: Person;
  author: Person;
  other: Person;
  topic: string;
  rootSubject: string | null;
}

/** Headers, labels and thread of message i, without its body. O(1). */
function messageMeta(i: number, login: string): MessageMeta {
  const me: Person = { name: "Sandbox User", email: mailboxAddress(login), kind: "person", category: "", tz: 60 };
  const root = threadStartOf(i);
  const position = i - root;
  const sender = PEOPLE[mix(root + 0x77) % PEOPLE.length]!;
  const rootSubject = threadSubject(root, sender);
  const subject = rootSubject === null ? null : position > 0 ? `Re: ${rootSubject}` : rootSubject;
  // Replies alternate between the sender and the mailbox owner; automated senders only send.
  const fromMe = sender.kind === "person" && position % 2 === 1;
  const author = fromMe ? me : sender;
  const other = fromMe ? sender : me;
  const h = mix(i);
  const ccPerson = h % 6 === 0 ? PEOPLE[(mix(root + 0x77) + 1) % 5]! : null;

  const labels: string[] = [];
  if (fromMe) {
    labels.push("SENT");
  } else {
    if ((h >>> 3) % 3 === 0) labels.push("UNREAD");
    if (sender.kind === "person" && (h >>> 5) % 2 === 0) labels.push("IMPORTANT");
    if ((h >>> 9) % 17 === 0) labels.push("STARRED");
    if ((h >>> 11) % 11 === 0) labels.push("Label_12");
    labels.push(sender.category, "INBOX");
  }
  return {
    i,
    id: messageId(i),
    threadId: messageId(root),
    position,
    subject,
    from: formatAddress(author.name, author.email),
    to: formatAddress(other.name, other.email),
    cc: ccPerson ? formatAddress(ccPerson.name, ccPerson.email) : null,
    fromMe,
    labelIds: labels,
    internalDate: internalDateMs(i),
    dateHeader: rfc2822(internalDateMs(i), author.tz),
    kind: bodyKindOf(i),
    sender,
    author,
    other,
    topic: TOPICS[(mix(root * 31 + 7) >>> 8) % TOPICS.length]!,
    rootSubject,
  };
}

/** Label ids of message i (what history's messagesAdded carry). O(1), no body built. */
export function labelIdsOf(i: number, login: string = DEFAULT_LOGIN): string[] {
  return messageMeta(i, login).labelIds;
}

/** Everything about message i, except how the payload is laid out. O(1) (O(body) for the body). */
export function messageFacts(i: number, login: string = DEFAULT_LOGIN): MessageFacts {
  const { sender, author, other, topic, rootSubject, ...facts } = messageMeta(i, login);
  const { position, kind } = facts;
  const h = mix(i);
  let plain: string;
  let html: string | null;
  if (kind === "empty") {
    plain = "";
    html = null;
  } else if (kind === "latin1") {
    // Only ISO-8859-1 characters (a name outside it is replaced by the address's local part).
    const latin1 = (p: Person) => (/^[\u0000-\u00ff]*$/.test(firstName(p)) ? firstName(p) : p.email.split("@")[0]!);
    plain = `Hello ${latin1(other)},\n\nThe café bill was £${(h % 90) + 10}.50 (½ each); see you at the Müller büro (reference ${referenceCodeOf(i)}).\n\nRegards,\n${latin1(author)}`;
    html = null;
  } else {
    const body = paragraphs(i, sender, topic);
    if (kind === "large") {
      const block = LARGE_PARAGRAPH.repeat(8).trim();
      for (let n = body.join("\n\n").length; n < 100_000; n += block.length + 2) body.push(block);
    }
    const quote =
      position > 0 ? `\n\nOn ${rfc2822(internalDateMs(i - 1), 0)}, ${formatAddress(other.name, other.email)} wrote:\n> Earlier message ${i - 1}\n> in this thread.` : "";
    plain = `Hi ${firstName(other)},\n\n${body.join("\n\n")}\n\nThanks,\n${firstName(author)}${quote}`;
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const linkify = (s: string) => esc(s).replace(/https:\/\/[^\s)]+/g, (u) => `<a href="${u}">${u}</a>`);
    const quoteHtml =
      position > 0
        ? `<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On ${esc(rfc2822(internalDateMs(i - 1), 0))}, ${esc(formatAddress(other.name, other.email))} wrote:<br></div>` +
          `<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">Earlier message ${i - 1}<br>in this thread.</blockquote></div>`
        : "";
    html =
      `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">` +
      `<style type="text/css">p { margin: 0 0 1em; } .footer { color: #888; }</style><title>${esc(rootSubject ?? "")}</title></head>` +
      `<body><div dir="ltr"><p>Hi ${esc(firstName(other))},</p>` +
      body.map((p) => `<p>${linkify(p)}</p>`).join("") +
      `<p>Thanks,<br>${esc(firstName(author))}</p>${quoteHtml}</div>` +
      `<!-- tracking pixel --><img src="https://t.example/p.gif?m=${i}" width="1" height="1" alt="">` +
      `<script>window.__track && window.__track(${i});</script></body></html>`;
  }
  return { ...facts, plain, html };
}

// ---------------------------------------------------------------- payloads

const utf8 = new TextEncoder();

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k) & 0xff;
  return out;
}

function leaf(partId: string, mimeType: string, bytes: Uint8Array, pad: boolean, extra: GmailHeader[] = [], charset = "UTF-8"): GmailMessagePart {
  return {
    partId,
    mimeType,
    filename: "",
    headers: [
      { name: "Content-Type", value: `${mimeType}; charset="${charset}"` },
      { name: "Content-Transfer-Encoding", value: mimeType === "text/html" ? "quoted-printable" : "7bit" },
      ...extra,
    ],
    body: bytes.length > 0 ? { size: bytes.length, data: base64url(bytes, pad) } : { size: 0 },
  };
}

function attachment(partId: string, mimeType: string, filename: string, size: number, i: number, inline: boolean, id: string): GmailMessagePart {
  const headers: GmailHeader[] = [
    { name: "Content-Type", value: `${mimeType}; name="${filename}"` },
    { name: "Content-Disposition", value: `${inline ? "inline" : "attachment"}; filename="${filename}"` },
    { name: "Content-Transfer-Encoding", value: "base64" },
  ];
  if (inline) headers.push({ name: "Content-ID", value: `<ii_${id}>` });
  return { partId, mimeType, filename, headers, body: { attachmentId: attachmentIdOf(id, partId, i, size), size } };
}

function boundary(i: number, salt: number): string {
  return `000000000000${(mix(i * 13 + salt) >>> 0).toString(16).padStart(8, "0")}${(mix(i + salt) & 0xffff).toString(16).padStart(4, "0")}`;
}

function multipart(partId: string, subtype: string, parts: GmailMessagePart[], i: number, salt: number): GmailMessagePart {
  return {
    partId,
    mimeType: `multipart/${subtype}`,
    filename: "",
    headers: [{ name: "Content-Type", value: `multipart/${subtype}; boundary="${boundary(i, salt)}"` }],
    body: { size: 0 },
    parts,
  };
}

/** Child part ids: "" -> "0", "1"; "0" -> "0.0", "0.1". */
function child(parent: string, k: number): string {
  return parent === "" ? String(k) : `${parent}.${k}`;
}

function topHeaders(f: MessageFacts, login: string, contentType: string): GmailHeader[] {
  const h: GmailHeader[] = [];
  if (!f.fromMe) {
    h.push({ name: "Delivered-To", value: mailboxAddress(login) });
    h.push({
      name: "Received",
      value: `by 2002:a05:6a10:${(mix(f.i) & 0xffff).toString(16)} with SMTP id ${f.id.slice(4)}; ${f.dateHeader.replace(/ [+-]\d{4}$/, "")} -0800 (PST)`,
    });
  }
  h.push({ name: "MIME-Version", value: "1.0" });
  h.push({ name: "Date", value: f.dateHeader });
  h.push({ name: "Message-ID", value: `<CA+${f.id}${(mix(f.i) >>> 8).toString(36)}@mail.gmail.com>` });
  if (f.position > 0) {
    const parent = `<CA+${messageId(f.i - 1)}${(mix(f.i - 1) >>> 8).toString(36)}@mail.gmail.com>`;
    h.push({ name: "In-Reply-To", value: parent });
    h.push({ name: "References", value: parent });
  }
  if (f.subject !== null) h.push({ name: "Subject", value: f.subject });
  h.push({ name: "From", value: f.from });
  h.push({ name: "To", value: f.to });
  if (f.cc) h.push({ name: "Cc", value: f.cc });
  h.push({ name: "Content-Type", value: contentType });
  return h;
}

/** The layout of message i's body (`broken`: the item_errors fault's CSV-carrying mixed body). */
function layoutOf(f: MessageFacts, broken: boolean): BodyKind {
  return broken ? "mixed" : f.kind;
}

/** The parts of message i that are attachments (messages.attachments.get serves them), by partId. */
export function attachmentPartsOf(f: MessageFacts, broken = false): Map<string, AttachmentSpec> {
  const out = new Map<string, AttachmentSpec>();
  const layout = layoutOf(f, broken);
  if (layout === "mixed") out.set("1", attachmentSpecOf(f.i, broken));
  if (layout === "related") out.set("1.1", { mimeType: "image/png", filename: "logo.png", size: 4_096 + (mix(f.i) % 4_096), text: null });
  return out;
}

/** The payload of message i as messages.get?format=full returns it (top part with the headers). */
export function messagePayload(f: MessageFacts, login: string = DEFAULT_LOGIN, broken = false): GmailMessagePart {
  const pad = mix(f.i + 5) % 2 === 0;
  const plainBytes = utf8.encode(f.plain);
  const htmlBytes = utf8.encode(f.html ?? "");
  const files = attachmentPartsOf(f, broken);
  const file = (partId: string, inline: boolean) => {
    const a = files.get(partId)!;
    return attachment(partId, a.mimeType, a.filename, a.size, f.i, inline, f.id);
  };
  let top: GmailMessagePart;
  switch (layoutOf(f, broken)) {
    case "alternative":
    case "large":
      top = multipart("", "alternative", [leaf("0", "text/plain", plainBytes, pad), leaf("1", "text/html", htmlBytes, pad)], f.i, 1);
      break;
    case "html":
      top = leaf("", "text/html", htmlBytes, pad);
      break;
    case "plain":
      top = leaf("", "text/plain", plainBytes, pad);
      break;
    case "empty":
      top = leaf("", "text/plain", new Uint8Array(0), pad);
      break;
    case "latin1":
      top = leaf("", "text/plain", latin1Bytes(f.plain), pad, [], "ISO-8859-1");
      break;
    case "mixed":
      top = multipart(
        "",
        "mixed",
        [multipart("0", "alternative", [leaf("0.0", "text/plain", plainBytes, pad), leaf("0.1", "text/html", htmlBytes, pad)], f.i, 2), file("1", false)],
        f.i,
        3,
      );
      break;
    case "related":
      top = multipart(
        "",
        "alternative",
        [leaf("0", "text/plain", plainBytes, pad), multipart("1", "related", [leaf("1.0", "text/html", htmlBytes, pad), file("1.1", true)], f.i, 4)],
        f.i,
        5,
      );
      break;
  }
  const ct = (top.headers ?? []).find((x) => x.name === "Content-Type")?.value ?? `${top.mimeType}; charset="UTF-8"`;
  // The top part's headers are the message's headers (its own Content-Type among them).
  return { ...top, headers: topHeaders(f, login, ct) };
}

function sizeOf(part: GmailMessagePart): number {
  let n = (part.body?.size ?? 0) + 120;
  for (const p of part.parts ?? []) n += sizeOf(p);
  return n;
}

export type MessageFormat = "full" | "metadata" | "minimal";

/** messages.get for message i. `metadataHeaders` filters the headers of format=metadata (case-insensitive). */
export function makeMessage(
  i: number,
  opts: { format: MessageFormat; login?: string; metadataHeaders?: string[]; broken?: boolean },
): GmailMessage {
  return messageFromFacts(messageFacts(i, opts.login ?? DEFAULT_LOGIN), { ...opts, historyId: historyIdOf(i) });
}

/** messages.get for a message as it is now (./mailbox.ts: edited, trashed…): its facts and last history id. */
export function messageFromFacts(
  f: MessageFacts,
  opts: { format: MessageFormat; login?: string; metadataHeaders?: string[]; broken?: boolean; historyId: number },
): GmailMessage {
  const login = opts.login ?? DEFAULT_LOGIN;
  const payload = messagePayload(f, login, opts.broken ?? false);
  const headerBytes = (payload.headers ?? []).reduce((n, h) => n + (h.name?.length ?? 0) + (h.value?.length ?? 0) + 4, 0);
  const message: GmailMessage = {
    id: f.id,
    threadId: f.threadId,
    labelIds: f.labelIds,
    snippet: snippetOf(f.plain),
    sizeEstimate: sizeOf(payload) + headerBytes,
    historyId: String(opts.historyId),
    internalDate: String(f.internalDate),
  };
  if (opts.format === "full") {
    message.payload = payload;
  } else if (opts.format === "metadata") {
    const wanted = opts.metadataHeaders?.length ? new Set(opts.metadataHeaders.map((h) => h.toLowerCase())) : null;
    message.payload = {
      partId: payload.partId,
      mimeType: payload.mimeType,
      filename: payload.filename,
      headers: (payload.headers ?? []).filter((h) => !wanted || wanted.has((h.name ?? "").toLowerCase())),
      body: { size: 0 },
    };
  }
  return message;
}

// ---------------------------------------------------------------- lists (O(page))

const TOKEN_MOD = 10_007;

/** Gmail-looking opaque page tokens (20 digits) that encode a message index, with a check digit block. */
export function encodePageToken(index: number, salt: number): string {
  const v = index * TOKEN_MOD + (mix(index ^ salt) % TOKEN_MOD);
  return `1${String(v).padStart(19, "0")}`;
}

/** The index a page token stands for, or null for a token this sandbox never issued. */
export function decodePageToken(token: string, salt: number): number | null {
  if (!/^1\d{19}$/.test(token)) return null;
  const v = Number(token.slice(1));
  if (!Number.isSafeInteger(v)) return null;
  const index = Math.floor(v / TOKEN_MOD);
  return v % TOKEN_MOD === mix(index ^ salt) % TOKEN_MOD ? index : null;
}

export const LIST_TOKEN_SALT = 0x6d_6c;
export const HISTORY_TOKEN_SALT = 0x68_69;

/**
 * One page of messages.list: newest first. The token holds the index the next page starts at
 * (counting down), so messages arriving between pages do not shift later pages.
 */
export function listMessagesPage(items: number, opts: { startIndex?: number; maxResults: number }): GmailMessageList {
  const start = Math.min(opts.startIndex ?? items - 1, items - 1);
  if (start < 0) return { resultSizeEstimate: 0 };
  const end = Math.max(0, start - opts.maxResults + 1);
  const messages: GmailMessage[] = [];
  for (let i = start; i >= end; i--) messages.push({ id: messageId(i), threadId: threadIdOf(i) });
  const out: GmailMessageList = { messages };
  if (end > 0) out.nextPageToken = encodePageToken(end - 1, LIST_TOKEN_SALT);
  out.resultSizeEstimate = items;
  return out;
}

/** First message index that history.list(startHistoryId) returns. */
export function firstIndexAfter(startHistoryId: number): number {
  return Math.max(0, startHistoryId - (HISTORY_BASE - 1));
}

/** One page of history.list(startHistoryId): the messagesAdded records after it, oldest first. */
export function listHistoryPage(
  items: number,
  opts: { startHistoryId: number; startIndex?: number; maxResults: number; includeAdded: boolean; login?: string },
): GmailHistoryList {
  const out: GmailHistoryList = {};
  const first = Math.max(firstIndexAfter(opts.startHistoryId), opts.startIndex ?? 0);
  if (opts.includeAdded && first < items) {
    const end = Math.min(items, first + opts.maxResults);
    const history: GmailHistory[] = [];
    for (let i = first; i < end; i++) {
      const ref = { id: messageId(i), threadId: threadIdOf(i) };
      history.push({ id: String(historyIdOf(i)), messages: [ref], messagesAdded: [{ message: { ...ref, labelIds: labelIdsOf(i, opts.login) } }] });
    }
    out.history = history;
    if (end < items) out.nextPageToken = encodePageToken(end, HISTORY_TOKEN_SALT);
  }
  out.historyId = String(mailboxHistoryId(items));
  return out;
}

export function makeProfile(items: number, login: string = DEFAULT_LOGIN): GmailProfile {
  return {
    emailAddress: mailboxAddress(login),
    messagesTotal: items,
    threadsTotal: threadCount(items),
    historyId: String(mailboxHistoryId(items)),
  };
}
