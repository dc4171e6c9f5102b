// The Gmail sandbox with a change log applied, through the official SDK over HTTP: history
// records per change in seq order, the mailbox's historyId moving with them, edited drafts under
// a new id, Trash / Spam / permanent deletes as Gmail reports them, and attachments.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gmail, type gmail_v1 } from "@googleapis/gmail";
import { OAuth2Client } from "google-auth-library";
import type { SandboxAccount } from "@/lib/sandbox/accounts";
import { attachmentSpecOf } from "./attachments";
import { gmailChangeModel } from "./changes";
import { bodyKindOf, isBrokenMessage, labelIdsOf, messageId, messageVersionId, threadIdOf } from "./data";
import { startGmailSandbox, type GmailSandboxFixture, type GmailTestAccount } from "./test-helpers";

let gm: GmailSandboxFixture;
beforeAll(async () => {
  gm = await startGmailSandbox();
});
afterAll(async () => {
  await gm.close();
});

function sdk(a: GmailTestAccount) {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: a.accessToken });
  const api = gmail({ version: "v1", auth, fetchImplementation: fetch, retry: false });
  return { api, opts: { rootUrl: `${gm.baseUrl}/` } };
}

const account = (a: GmailTestAccount): SandboxAccount => ({ key: a.key, scenario: a.scenario, login: "sandbox-user", changes: a.changes });

describe("gmail sandbox: changes through the history", () => {
  it("reports add, edit and the three kinds of delete as records after the seeded ones, in seq order", async () => {
    const a = gm.account({ items: 30 });
    const { api, opts } = sdk(a);
    expect((await api.users.getProfile({ userId: "me" }, opts)).data.historyId).toBe("1029");
    // add (item 30), edit 4, delete 5 (trash), delete 6 (permanent), delete 7 (spam), edit 4 again.
    a.change(["add", 30], ["edit", 4], ["delete", 5], ["delete", 6], ["delete", 7], ["edit", 4]);
    const profile = (await api.users.getProfile({ userId: "me" }, opts)).data;
    expect(profile.historyId).toBe("1035");
    expect(profile.messagesTotal).toBe(30);
    const h = (await api.users.history.list({ userId: "me", startHistoryId: "1029" }, opts)).data;
    expect(h.historyId).toBe("1035");
    expect(h.nextPageToken).toBeUndefined();
    const rec = h.history!;
    expect(rec.map((r) => r.id)).toEqual(["1030", "1031", "1032", "1033", "1034", "1035"]);
    const ref = (i: number, v = 0) => ({ id: messageVersionId(i, v), threadId: threadIdOf(i) });
    expect(rec[0]).toEqual({ id: "1030", messages: [ref(30)], messagesAdded: [{ message: { ...ref(30), labelIds: labelIdsOf(30) } }] });
    // An edited draft: the old message deleted, a new one (DRAFT) added, in one record.
    expect(rec[1]).toEqual({
      id: "1031",
      messages: [ref(4), ref(4, 1)],
      messagesDeleted: [{ message: ref(4) }],
      messagesAdded: [{ message: { ...ref(4, 1), labelIds: ["DRAFT"] } }],
    });
    const trashed = { ...ref(5), labelIds: [...labelIdsOf(5).filter((l) => l !== "INBOX"), "TRASH"] };
    expect(rec[2]!.labelsAdded).toEqual([{ message: trashed, labelIds: ["TRASH"] }]);
    if (labelIdsOf(5).includes("INBOX")) expect(rec[2]!.labelsRemoved).toEqual([{ message: trashed, labelIds: ["INBOX"] }]);
    expect(rec[3]).toEqual({ id: "1033", messages: [ref(6)], messagesDeleted: [{ message: ref(6) }] });
    expect(rec[4]!.labelsAdded![0]!.labelIds).toEqual(["SPAM"]);
    expect(rec[5]!.messagesDeleted).toEqual([{ message: ref(4, 1) }]);
    expect(rec[5]!.messagesAdded![0]!.message!.id).toBe(messageVersionId(4, 2));

    // historyTypes filters the records and their parts; pages go on by position.
    const only = (await api.users.history.list({ userId: "me", startHistoryId: "1029", historyTypes: ["messageDeleted"] }, opts)).data;
    expect(only.history!.map((r) => r.id)).toEqual(["1031", "1033", "1035"]);
    expect(only.history!.every((r) => r.messagesAdded === undefined)).toBe(true);
    const p1 = (await api.users.history.list({ userId: "me", startHistoryId: "1025", maxResults: 4 }, opts)).data;
    expect(p1.history!.map((r) => r.id)).toEqual(["1026", "1027", "1028", "1029"]);
    const p2 = (await api.users.history.list({ userId: "me", startHistoryId: "1025", maxResults: 4, pageToken: p1.nextPageToken! }, opts)).data;
    expect(p2.history!.map((r) => r.id)).toEqual(["1030", "1031", "1032", "1033"]);
    // Nothing after the current id: no records, the same historyId.
    expect((await api.users.history.list({ userId: "me", startHistoryId: "1035" }, opts)).data).toEqual({ historyId: "1035" });
  });

  it("answers gets and lists with the mailbox as it is now", async () => {
    const a = gm.account({ items: 20 });
    const { api, opts } = sdk(a);
    a.change(["add", 20], ["edit", 2], ["delete", 3], ["delete", 4], ["delete", 5]);
    const get = (id: string) => api.users.messages.get({ userId: "me", id, format: "full" }, opts);
    // The draft's replaced message is gone; the new one is the edited draft.
    await expect(get(messageId(2))).rejects.toMatchObject({ status: 404, message: "Requested entity was not found." });
    const edited = (await get(messageVersionId(2, 1))).data;
    expect(edited.labelIds).toEqual(["DRAFT"]);
    expect(edited.payload!.headers!.find((x) => x.name === "Subject")!.value).toMatch(/\(edited\)$/);
    expect(edited.historyId).toBe("1021");
    expect(edited.threadId).toBe(threadIdOf(2));
    // Trash and Spam: still readable, with their label; a permanent delete: 404.
    expect((await get(messageId(3))).data.labelIds).toContain("TRASH");
    await expect(get(messageId(4))).rejects.toMatchObject({ status: 404 });
    expect((await get(messageId(5))).data.labelIds).toContain("SPAM");
    expect((await get(messageId(20))).data.historyId).toBe("1020");

    const ids = async (includeSpamTrash: boolean) => (await api.users.messages.list({ userId: "me", includeSpamTrash }, opts)).data.messages!.map((m) => m.id);
    const listed = await ids(false);
    expect(listed).toHaveLength(21 - 3);
    expect(listed[0]).toBe(messageId(20));
    expect(listed).toContain(messageVersionId(2, 1));
    for (const gone of [messageId(2), messageId(3), messageId(4), messageId(5)]) expect(listed).not.toContain(gone);
    const all = await ids(true);
    expect(all).toHaveLength(21 - 1);
    expect(all).toContain(messageId(3));
    expect(all).toContain(messageId(5));
    // Small pages: every listed id once, in order.
    const paged: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = (await api.users.messages.list({ userId: "me", maxResults: 4, ...(pageToken ? { pageToken } : {}) }, opts)).data;
      paged.push(...(page.messages ?? []).map((m) => m.id!));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(paged).toEqual(listed);
  });

  it("names each item as the connector stores it now, and keeps item_errors' broken messages out of changes", () => {
    const a = gm.account({ items: 20, fault: "item_errors" });
    a.change(["edit", 2], ["edit", 2], ["delete", 8]);
    expect(gmailChangeModel.externalId(2, account(a))).toBe(messageVersionId(2, 2));
    expect(gmailChangeModel.externalId(8, account(a))).toBe(messageId(8));
    expect(gmailChangeModel.externalId(9, account(a))).toBe(messageId(9));
    expect(isBrokenMessage(17)).toBe(true);
    expect(gmailChangeModel.changeable!(17, account(a))).toBe(false);
    expect(gmailChangeModel.changeable!(16, account(a))).toBe(true);
    a.update({ fault: "none" });
    expect(gmailChangeModel.changeable!(17, account(a))).toBe(true);
    expect(new Set([messageVersionId(2, 0), messageVersionId(2, 1), messageVersionId(2, 2), messageVersionId(3, 0)]).size).toBe(4);
  });
});

describe("gmail sandbox: messages.attachments.get", () => {
  it("serves an attachment's bytes as base64url with its size; a foreign id is refused", async () => {
    const a = gm.account({ items: 200 });
    const { api, opts } = sdk(a);
    const i = Array.from({ length: 200 }, (_, k) => k).find((k) => bodyKindOf(k) === "mixed" && attachmentSpecOf(k).text !== null)!;
    const msg = (await api.users.messages.get({ userId: "me", id: messageId(i) }, opts)).data;
    const part = msg.payload!.parts![1]!;
    const spec = attachmentSpecOf(i);
    expect(part.body).toEqual({ attachmentId: expect.stringMatching(/^ANGjdJ_/), size: spec.size });
    const body: gmail_v1.Schema$MessagePartBody = (await api.users.messages.attachments.get({ userId: "me", messageId: messageId(i), id: part.body!.attachmentId! }, opts)).data;
    expect(body.size).toBe(spec.size);
    expect(body.data).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(body.data!, "base64url").toString("utf8")).toBe(spec.text);
    await expect(api.users.messages.attachments.get({ userId: "me", messageId: messageId(i), id: "ANGjdJ_nope" }, opts)).rejects.toMatchObject({ status: 400 });
    // The attachment of a message deleted for good: 404, like the message.
    a.change(["delete", 0], ["delete", i]);
    await expect(api.users.messages.attachments.get({ userId: "me", messageId: messageId(i), id: part.body!.attachmentId! }, opts)).rejects.toMatchObject({ status: 404 });
  });
});
