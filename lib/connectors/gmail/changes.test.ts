// The connector (official SDK) against the Gmail sandbox with changes applied: an incremental sync
// reads the history's additions, edited drafts and deletions (Trash, Spam, permanent) into
// documents and `removed` ids, without listing the mailbox again; attachments' text reaches the
// document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncContext, SyncPage } from "@/lib/connectors/types";
import { attachmentSpecOf } from "@/lib/sandbox/gmail/attachments";
import { bodyKindOf, messageId, messageVersionId } from "@/lib/sandbox/gmail/data";
import { startGmailSandbox, type GmailSandboxFixture, type GmailTestAccount } from "@/lib/sandbox/gmail/test-helpers";
import { makeGmailApi } from "./client";
import { createGmailConnector, type GmailCursor } from "./connector";
import { foldHistory } from "./listing";
import { readEmail } from "./read-email";

let gm: GmailSandboxFixture;
beforeAll(async () => {
  gm = await startGmailSandbox();
});
afterAll(async () => {
  await gm.close();
});

function makeCtx(a: GmailTestAccount, cursor: unknown = null): { ctx: SyncContext; requests: string[] } {
  const requests: string[] = [];
  const ctx: SyncContext = {
    signal: new AbortController().signal,
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      requests.push(`${url.pathname.replace(/^\/sandbox\/gmail\/gmail\/v1\/users\/me/, "")}${url.search}`);
      return fetch(input, init);
    },
    baseUrl: gm.baseUrl,
    credentials: { accessToken: a.accessToken },
    cursor,
    checkpoint: null,
    progress: { stage: () => undefined, total: () => undefined, phase: () => undefined, capped: () => undefined },
    limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10000, maxFolders: 1000 },
  };
  return { ctx, requests };
}

async function run(ctx: SyncContext) {
  const pages: SyncPage[] = [];
  const gen = createGmailConnector().sync(ctx);
  let step = await gen.next();
  while (!step.done) {
    pages.push(step.value);
    step = await gen.next();
  }
  return {
    pages,
    cursor: step.value.cursor as GmailCursor,
    docs: pages.flatMap((p) => p.documents),
    removed: pages.flatMap((p) => p.removed ?? []),
    failures: pages.flatMap((p) => p.failures),
  };
}

/** A library as the page writer keeps it: by external id, removed ids out. */
function apply(library: Map<string, string>, pages: SyncPage[]) {
  for (const p of pages) {
    for (const d of p.documents) library.set(d.externalId, `${d.title}\n${d.text}`);
    for (const id of p.removed ?? []) if (!p.documents.some((d) => d.externalId === id)) library.delete(id);
  }
}

describe("gmail connector: changes through the history", () => {
  it("adds, replaces edited drafts and removes trashed, spam and deleted emails, reading only what changed", async () => {
    const a = gm.account({ items: 60 });
    const first = await run(makeCtx(a).ctx);
    const library = new Map<string, string>();
    apply(library, first.pages);
    expect(library.size).toBe(60);

    // Nothing changed: one history request.
    const idle = makeCtx(a, first.cursor);
    const none = await run(idle.ctx);
    expect(none.pages).toEqual([]);
    expect(idle.requests).toHaveLength(1);

    // add 60, 61; edit 3, and 10 twice; delete 5 (Trash), 6 (for good), 7 (Spam).
    a.change(["add", 60], ["add", 61], ["edit", 3], ["edit", 10], ["delete", 5], ["delete", 6], ["delete", 7], ["edit", 10]);
    const { ctx, requests } = makeCtx(a, first.cursor);
    const second = await run(ctx);
    expect(second.failures).toEqual([]);
    expect(second.docs.map((d) => d.externalId)).toEqual([messageId(60), messageId(61), messageVersionId(3, 1), messageVersionId(10, 2)]);
    expect(new Set(second.removed)).toEqual(new Set([messageId(3), messageId(10), messageVersionId(10, 1), messageId(5), messageId(6), messageId(7)]));
    const edited = second.docs.find((d) => d.externalId === messageVersionId(10, 2))!;
    expect(edited.title).toMatch(/\(edited 2 times\)$/);
    expect(edited.text).toContain("This draft was edited 2 times.");
    expect((edited.metadata as { labels: string[] }).labels).toEqual(["DRAFT"]);
    // 1 history page + 4 messages.get (+ their text attachments): no listing.
    const attachments = [60, 61, 3, 10].filter((i) => bodyKindOf(i) === "mixed" && attachmentSpecOf(i).text !== null).length;
    expect(requests.filter((r) => r.startsWith("/history"))).toHaveLength(1);
    expect(requests.filter((r) => r.startsWith("/messages?"))).toHaveLength(0);
    expect(requests).toHaveLength(1 + 4 + attachments);
    expect(second.cursor).toEqual({ historyId: String(999 + 60 + 8) });

    apply(library, second.pages);
    expect(library.size).toBe(60 + 2 - 3);
    for (const gone of [messageId(3), messageId(10), messageId(5), messageId(6), messageId(7)]) expect(library.has(gone)).toBe(false);

    // A full sync of the mailbox now finds exactly the same library.
    const full = await run(makeCtx(a).ctx);
    expect(new Set(full.docs.map((d) => d.externalId))).toEqual(new Set(library.keys()));
  });

  it("deletions only: one page with the removed ids and no document", async () => {
    const a = gm.account({ items: 20 });
    const first = await run(makeCtx(a).ctx);
    a.change(["delete", 1], ["delete", 2], ["add", 20], ["delete", 20]);
    const { ctx, requests } = makeCtx(a, first.cursor);
    const second = await run(ctx);
    expect(second.pages).toHaveLength(1);
    expect(second.docs).toEqual([]);
    // The message added then deleted before this sync is never read.
    expect(new Set(second.removed)).toEqual(new Set([messageId(1), messageId(2), messageId(20)]));
    expect(requests).toHaveLength(1);
  });

  it("an email found in Trash when read is removed, not stored", async () => {
    const a = gm.account({ items: 10 });
    a.change(["delete", 4]); // the first delete of a log is a move to Trash
    const { ctx } = makeCtx(a);
    expect(await readEmail(makeGmailApi(ctx), messageId(4), ctx.signal)).toEqual({ ok: "removed", externalId: messageId(4) });
  });

  it("puts the text of text-like attachments in the document, and names binary ones", async () => {
    const a = gm.account({ items: 200 });
    const { ctx } = makeCtx(a);
    const api = makeGmailApi(ctx);
    const mixed = Array.from({ length: 200 }, (_, i) => i).filter((i) => bodyKindOf(i) === "mixed");
    const text = mixed.find((i) => attachmentSpecOf(i).mimeType === "text/csv")!;
    const binary = mixed.find((i) => attachmentSpecOf(i).text === null)!;
    const t = await readEmail(api, messageId(text), ctx.signal);
    if (t.ok !== true) throw new Error("expected a document");
    const spec = attachmentSpecOf(text);
    expect(t.document.text).toContain(`Attachment: ${spec.filename}\n${spec.text!.replace(/\r\n/g, "\n").trim()}`);
    const b = await readEmail(api, messageId(binary), ctx.signal);
    if (b.ok !== true) throw new Error("expected a document");
    expect(b.document.text).toMatch(new RegExp(`Attachment: ${attachmentSpecOf(binary).filename} \\(${attachmentSpecOf(binary).mimeType.replace("/", "\\/")}, \\d+ KB\\)$`));
  });
});

describe("gmail connector: folding the history", () => {
  const ref = (id: string, labelIds?: string[]) => ({ message: { id, threadId: "t", ...(labelIds ? { labelIds } : {}) } });
  const fold = (records: Parameters<typeof foldHistory>[0]) => {
    const out = new Map<string, "read" | "remove">();
    foldHistory(records, out);
    return Object.fromEntries(out);
  };

  it("the last word wins; archiving and read marks change nothing; out of Trash is read again", () => {
    expect(
      fold([
        { id: "1", messagesAdded: [ref("a"), ref("b"), ref("s", ["SPAM"])] },
        { id: "2", labelsRemoved: [{ ...ref("a", ["IMPORTANT"]), labelIds: ["INBOX", "UNREAD"] }] },
        { id: "3", labelsAdded: [{ ...ref("b", ["TRASH"]), labelIds: ["TRASH"] }, { ...ref("c", ["STARRED"]), labelIds: ["STARRED"] }] },
        { id: "4", labelsRemoved: [{ ...ref("d", ["INBOX"]), labelIds: ["TRASH"] }] },
        { id: "5", messagesDeleted: [ref("e")] },
        { id: "6", messagesDeleted: [ref("f")], messagesAdded: [ref("g", ["DRAFT"])] },
      ]),
    ).toEqual({ a: "read", s: "remove", b: "remove", d: "read", e: "remove", f: "remove", g: "read" });
    // Out of Trash but into Spam (both labels in one change): still out.
    expect(fold([{ id: "1", labelsRemoved: [{ ...ref("x", ["SPAM"]), labelIds: ["TRASH"] }] }])).toEqual({});
  });
});
