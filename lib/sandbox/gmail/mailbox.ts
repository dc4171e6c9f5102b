// The Gmail sandbox's mailbox as it is now: the seeded messages (data.ts) with the account's
// change log (POST .../sandbox/changes) applied, and the history records that report the changes.
// Pure; O(log) to build per request, O(page) per list or history page.
//
// How each change shows, following Google's descriptions (developers.google.com/gmail/api/
// reference/rest/v1/users.history/list, users.messages, users.drafts):
// - add: a new message (index items + k) delivered to the inbox: one history record with
//   messagesAdded.
// - delete: what a person's "Delete" does in Gmail is a move to Trash; the API also deletes
//   permanently (users.messages.delete: "Immediately and permanently deletes the specified
//   message") and users report spam. The k-th delete of the log is, in turn, a move to Trash
//   (labelsAdded TRASH + labelsRemoved INBOX), a permanent delete (messagesDeleted: "Messages
//   deleted (not Trashed) from the mailbox") and a spam report (labelsAdded SPAM + labelsRemoved
//   INBOX). A trashed or spam message is still there for messages.get (with its new labels) but
//   messages.list leaves it out unless includeSpamTrash=true; a deleted one answers 404.
// - edit: Gmail messages are immutable; only a draft changes, and users.drafts.update "Replaces a
//   draft's content": the draft's message is replaced by a new message with a new id. One history
//   record: messagesDeleted of the old message id + messagesAdded of the new one (label DRAFT).
//   The old id answers 404 from then on. Its subject gains "(edited)", its text a line saying so.
// History ids only grow: seeded message i was added by record 1000 + i; the k-th change of the
// log (by seq) is record 1000 + items + k, so the mailbox's historyId is 999 + items + changes.
import { HISTORY_BASE, labelIdsOf, messageFacts, messageVersionId, threadIdOf, type MessageFacts } from "./data";
import { sandboxChangeView, type SandboxChange, type SandboxScenario } from "@/lib/contract";
import type { gmail_v1 } from "@googleapis/gmail";

export type DeleteMode = "trash" | "permanent" | "spam";
const DELETE_MODES: readonly DeleteMode[] = ["trash", "permanent", "spam"];

/** One change record of the history, ready to answer. */
interface ChangeRecord {
  change: SandboxChange;
  /** The message id the change touched (for an edit: the replaced one). */
  oldId: string;
  /** An edit's (or an add's) new message id. */
  newId?: string;
  mode?: DeleteMode;
  /** Labels of the message after the change. */
  labelsAfter: string[];
  labelsBefore: string[];
}

export interface Mailbox {
  /** Seeded messages. */
  items: number;
  /** Seeded + added. */
  count: number;
  login: string;
  /** The change records, in seq order. */
  records: ChangeRecord[];
  /** Per message index: how many times its draft was edited, how it was deleted, its last record. */
  version: Map<number, number>;
  deleted: Map<number, DeleteMode>;
  lastRecord: Map<number, number>;
  /** When an added message arrived (ms). */
  addedAt: Map<number, number>;
}

export function historyIdOfRecord(mb: Mailbox, k: number): number {
  return HISTORY_BASE + mb.items + k;
}

/** The mailbox's current historyId: the last record's. */
export function currentHistoryId(mb: Mailbox): number {
  return HISTORY_BASE - 1 + mb.items + mb.records.length;
}

function baseLabels(i: number, version: number, login: string): string[] {
  return version > 0 ? ["DRAFT"] : labelIdsOf(i, login);
}

function labelsAfterDelete(labels: string[], mode: DeleteMode): string[] {
  if (mode === "permanent") return [];
  return [...labels.filter((l) => l !== "INBOX"), mode === "trash" ? "TRASH" : "SPAM"];
}

export function buildMailbox(scenario: Pick<SandboxScenario, "items">, changes: readonly SandboxChange[] | undefined, login: string): Mailbox {
  const view = sandboxChangeView(scenario, changes ?? []);
  const mb: Mailbox = { items: scenario.items, count: view.count, login, records: [], version: new Map(), deleted: new Map(), lastRecord: new Map(), addedAt: new Map() };
  let deletes = 0;
  for (const change of view.log) {
    const i = change.index;
    const v = mb.version.get(i) ?? 0;
    const before = baseLabels(i, v, login);
    const k = mb.records.length;
    if (change.kind === "add") {
      mb.addedAt.set(i, change.at);
      mb.records.push({ change, oldId: messageVersionId(i, 0), newId: messageVersionId(i, 0), labelsBefore: [], labelsAfter: before });
    } else if (change.kind === "edit") {
      mb.version.set(i, v + 1);
      mb.records.push({ change, oldId: messageVersionId(i, v), newId: messageVersionId(i, v + 1), labelsBefore: before, labelsAfter: ["DRAFT"] });
    } else {
      const mode = DELETE_MODES[deletes++ % DELETE_MODES.length]!;
      mb.deleted.set(i, mode);
      mb.records.push({ change, oldId: messageVersionId(i, v), mode, labelsBefore: before, labelsAfter: labelsAfterDelete(before, mode) });
    }
    mb.lastRecord.set(i, k);
  }
  return mb;
}

/** Where message i is now: in the mailbox, in Trash or Spam, gone for good, or never existed. */
export function stateOf(mb: Mailbox, i: number): "live" | "trash" | "spam" | "gone" {
  if (i < 0 || i >= mb.count) return "gone";
  const mode = mb.deleted.get(i);
  return mode === undefined ? "live" : mode === "permanent" ? "gone" : mode;
}

export function currentIdOf(mb: Mailbox, i: number): string {
  return messageVersionId(i, mb.version.get(i) ?? 0);
}

/** The message's labels now. */
export function labelsOf(mb: Mailbox, i: number): string[] {
  const base = baseLabels(i, mb.version.get(i) ?? 0, mb.login);
  const mode = mb.deleted.get(i);
  return mode ? labelsAfterDelete(base, mode) : base;
}

/** The id of the last history record that modified message i (Message.historyId). */
export function messageHistoryId(mb: Mailbox, i: number): number {
  const k = mb.lastRecord.get(i);
  return k === undefined ? HISTORY_BASE + i : historyIdOfRecord(mb, k);
}

/** Message i's facts as they are now: its current id, labels and (edited) text. */
export function currentFacts(mb: Mailbox, i: number): MessageFacts {
  const f = messageFacts(i, mb.login);
  const times = mb.version.get(i) ?? 0;
  const out: MessageFacts = { ...f, id: currentIdOf(mb, i), labelIds: labelsOf(mb, i) };
  if (times > 0) {
    const mark = times === 1 ? "(edited)" : `(edited ${times} times)`;
    const line = `This draft was edited ${times === 1 ? "once" : `${times} times`}.`;
    out.subject = f.subject ? `${f.subject} ${mark}` : mark;
    out.plain = f.plain ? `${f.plain}\n\n${line}` : line;
    out.html = f.html === null ? null : f.html.replace("</div><!-- tracking pixel -->", `<p>${line}</p></div><!-- tracking pixel -->`);
    // Only ISO-8859-1 and empty bodies have no HTML; an empty body gets its line as plain text.
    if (out.kind === "empty") out.kind = "plain";
  }
  return out;
}

// ---------------------------------------------------------------- history

export type HistoryType = "messageAdded" | "messageDeleted" | "labelAdded" | "labelRemoved";

/** The history record at position p (0..items-1: seeded; items..: the changes), filtered by `types`. */
export function historyRecord(mb: Mailbox, p: number, types: ReadonlySet<HistoryType>): gmail_v1.Schema$History | null {
  if (p < mb.items) {
    if (!types.has("messageAdded")) return null;
    const ref = { id: messageVersionId(p, 0), threadId: threadIdOf(p) };
    return { id: String(HISTORY_BASE + p), messages: [ref], messagesAdded: [{ message: { ...ref, labelIds: labelIdsOf(p, mb.login) } }] };
  }
  const k = p - mb.items;
  const r = mb.records[k];
  if (!r) return null;
  const threadId = threadIdOf(r.change.index);
  const out: gmail_v1.Schema$History = { id: String(historyIdOfRecord(mb, k)), messages: [] };
  const ref = (id: string) => ({ id, threadId });
  if (r.change.kind === "add" || r.change.kind === "edit") {
    if (r.change.kind === "edit" && types.has("messageDeleted")) out.messagesDeleted = [{ message: ref(r.oldId) }];
    if (types.has("messageAdded")) out.messagesAdded = [{ message: { ...ref(r.newId!), labelIds: r.labelsAfter } }];
  } else if (r.mode === "permanent") {
    if (types.has("messageDeleted")) out.messagesDeleted = [{ message: ref(r.oldId) }];
  } else {
    const message = { ...ref(r.oldId), labelIds: r.labelsAfter };
    if (types.has("labelAdded")) out.labelsAdded = [{ message, labelIds: [r.mode === "trash" ? "TRASH" : "SPAM"] }];
    if (types.has("labelRemoved") && r.labelsBefore.includes("INBOX")) out.labelsRemoved = [{ message, labelIds: ["INBOX"] }];
  }
  const ids = [...(out.messagesDeleted ?? []), ...(out.messagesAdded ?? []), ...(out.labelsAdded ?? []), ...(out.labelsRemoved ?? [])].map((x) => x.message!.id!);
  if (ids.length === 0) return null;
  out.messages = [...new Set(ids)].map(ref);
  return out;
}

/** Positions in the history: seeded records then change records. */
export function historyLength(mb: Mailbox): number {
  return mb.items + mb.records.length;
}

// ---------------------------------------------------------------- lists

/**
 * One page of messages.list, newest first, from index `startIndex` down: messages deleted for good
 * are not there, trashed and spam ones only with includeSpamTrash (users.messages.list:
 * "Include messages from SPAM and TRASH in the results"). The token holds the index to go on from.
 */
export function listMailboxPage(
  mb: Mailbox,
  opts: { startIndex?: number; maxResults: number; includeSpamTrash: boolean },
): { ids: Array<{ id: string; threadId: string }>; next: number | null; estimate: number } {
  const listed = (i: number) => {
    const s = stateOf(mb, i);
    return s === "live" || (opts.includeSpamTrash && s !== "gone");
  };
  const ids: Array<{ id: string; threadId: string }> = [];
  let i = Math.min(opts.startIndex ?? mb.count - 1, mb.count - 1);
  for (; i >= 0 && ids.length < opts.maxResults; i--) if (listed(i)) ids.push({ id: currentIdOf(mb, i), threadId: threadIdOf(i) });
  while (i >= 0 && !listed(i)) i--;
  let estimate = mb.count;
  for (const [, mode] of mb.deleted) if (mode === "permanent" || !opts.includeSpamTrash) estimate--;
  return { ids, next: i >= 0 ? i : null, estimate };
}

/** Messages in the mailbox (Profile.messagesTotal): every one not deleted for good. */
export function messagesTotal(mb: Mailbox): number {
  let n = mb.count;
  for (const [, mode] of mb.deleted) if (mode === "permanent") n--;
  return n;
}
