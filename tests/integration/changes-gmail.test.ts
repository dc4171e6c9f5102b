// Gmail changes through the whole app: the real SDK against the Gmail sandbox over HTTP, a full
// sync, an idle incremental one, POST /api/integrations/gmail/sandbox/changes {add, edit, delete},
// then an incremental sync: the library holds exactly the mailbox as it is now, and the search
// index forgets what was deleted. Gmail never edits a message: an edited draft is a new message
// replacing the old one (users.drafts.update), so each edit is 1 new + 1 removed, not 1 updated.
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { attachmentSpecOf } from "@/lib/sandbox/gmail/attachments";
import { bodyKindOf, messageIndexGuess, referenceCodeOf } from "@/lib/sandbox/gmail/data";
import type { ProgressData, SandboxChangesResult } from "@/lib/contract";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");
const ITEMS = 100;

interface Hit {
  external_id: string;
  provider: string;
  title: { text: string };
  snippet: { text: string } | string;
}

async function library(user: TestUser, params: Record<string, string> = {}): Promise<Hit[]> {
  const out: Hit[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const qs: URLSearchParams = new URLSearchParams({ provider: "gmail", limit: "100", ...params, ...(cursor ? { cursor } : {}) });
    const r: { status: number; body: { documents: Hit[]; next_cursor: string | null } } = await user.json<{ documents: Hit[]; next_cursor: string | null }>(`/api/documents?${qs.toString()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.documents);
    cursor = r.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error("the library's pages did not end");
}

async function syncToEnd(user: TestUser): Promise<ProgressData & { sync_id: string }> {
  const { syncId } = await user.startSync("gmail");
  const s = await user.stream(syncId, { timeoutMs: 90_000 });
  const end = s.events.at(-1)!;
  expect(end.event, end.data.error_message).toBe("complete");
  return { ...end.data, sync_id: syncId };
}

async function providerRequests(syncId: string): Promise<number> {
  const [row] = await queryDb<{ n: number | string }>(databaseUrl, 'SELECT "providerRequests" AS n FROM "sync_run" WHERE "id" = ?', syncId);
  return Number(row!.n);
}

/** messages.attachments.get the connector sends for these emails (their text-like attachments). */
const textAttachments = (ids: string[]) => ids.map((id) => messageIndexGuess(id)!).filter((i) => bodyKindOf(i) === "mixed" && attachmentSpecOf(i).text !== null).length;

describe("Gmail: edits and deletions reach the library", () => {
  it("after {add: 3, edit: 3, delete: 3} an incremental sync leaves exactly the mailbox as it is now", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("gmail", { items: ITEMS, latency_ms: 2, fault: "none" });
    const full = await syncToEnd(user);
    expect(full.processed_items).toBe(ITEMS);
    expect(full.failed_items).toBe(0);
    const before = await library(user);
    expect(before).toHaveLength(ITEMS);
    const fullRequests = await providerRequests(full.sync_id);

    const idle = await syncToEnd(user);
    expect(idle.processed_items).toBe(0);
    const idleRequests = await providerRequests(idle.sync_id);

    const r = await user.json<SandboxChangesResult>("/api/integrations/gmail/sandbox/changes", { method: "POST", body: JSON.stringify({ add: 3, edit: 3, delete: 3 }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ success: true, added: 3, edited: 3, deleted: 3 });
    const { added, edited, deleted } = r.body.external_ids;
    for (const ids of [added, edited, deleted]) {
      expect(ids).toHaveLength(3);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    }
    const storedBefore = new Set(before.map((d) => d.external_id));
    for (const id of added) expect(storedBefore.has(id)).toBe(false);
    // An edited draft lives under a new message id; the deleted ones were in the library.
    for (const id of edited) expect(storedBefore.has(id)).toBe(false);
    for (const id of deleted) expect(storedBefore.has(id)).toBe(true);
    const replaced = edited.map((id) => before.find((d) => messageIndexGuess(d.external_id) === messageIndexGuess(id))!.external_id);
    // A word only each deleted email had is in the index before the changes.
    const codes = deleted.map((id) => referenceCodeOf(messageIndexGuess(id)!));
    const searchable: string[] = [];
    for (const code of codes) {
      const hits = await library(user, { q: code });
      if (hits.length) {
        expect(hits.map((h) => h.external_id)).toEqual([deleted[codes.indexOf(code)]]);
        searchable.push(code);
      }
    }
    expect(searchable.length).toBeGreaterThan(0); // only an empty body has no reference

    const inc = await syncToEnd(user);
    // 3 new + 3 edited drafts (new messages); 3 deleted + the 3 messages the edits replaced.
    expect({ added: inc.added_items, updated: inc.updated_items, removed: inc.removed_items }).toEqual({ added: 6, updated: 0, removed: 6 });
    expect(inc.failed_items).toBe(0);
    expect(inc.processed_items).toBe(6);

    const after = await library(user);
    const byId = new Map<string, Hit[]>();
    for (const d of after) byId.set(d.external_id, [...(byId.get(d.external_id) ?? []), d]);
    expect(after).toHaveLength(ITEMS + 3 - 3);
    expect(byId.size).toBe(after.length); // no id twice
    for (const id of added) expect(byId.get(id)).toHaveLength(1);
    for (const id of edited) {
      expect(byId.get(id)).toHaveLength(1);
      expect(byId.get(id)![0]!.title.text).toMatch(/\bedited\b/);
    }
    for (const id of [...deleted, ...replaced]) expect(byId.has(id)).toBe(false);
    for (const code of searchable) expect(await library(user, { q: code })).toEqual([]);

    // The incremental run read the history once and the 6 new messages (and their text
    // attachments): no listing of the mailbox, unlike the full sync.
    const incRequests = await providerRequests(inc.sync_id);
    const expected = idleRequests + 6 + textAttachments([...added, ...edited]);
    console.log(`[changes-gmail] provider requests: full sync ${fullRequests} (${ITEMS} emails), incremental without changes ${idleRequests}, incremental after {add:3, edit:3, delete:3} ${incRequests} (expected ${expected})`);
    expect(idleRequests).toBeLessThanOrEqual(2);
    expect(incRequests).toBe(expected);
    expect(incRequests).toBeLessThan(fullRequests / 5);
  });

  it("item_errors: emails deleted before or while they are read are failures in plain words, never documents", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("gmail", { items: 60, latency_ms: 0, fault: "item_errors" });
    const end = await syncToEnd(user);
    // Every 10th email (7, 17, …, 57): half deleted between list and get, half before their attachment is read.
    expect(end.failed_items).toBe(6);
    expect(end.processed_items).toBe(54);
    const f = await user.json<{ total: number; failures: Array<{ external_id: string; reason: string; detail: string | null }> }>(`/api/sync-progress/${end.sync_id}/failures`);
    expect(f.body.total).toBe(6);
    const reasons = f.body.failures.map((x) => x.reason).sort();
    expect(reasons.filter((x) => x === "This email was deleted in Gmail after the sync listed it, so there was nothing to read. Nothing to do.")).toHaveLength(3);
    expect(reasons.filter((x) => /^This email was deleted in Gmail while 2nd Brain was reading its attachment “figures-\d+\.csv”, so it was left out\. Nothing to do\.$/.test(x))).toHaveLength(3);
    for (const x of f.body.failures) {
      expect(x.reason).not.toMatch(/HTTP|\b404\b/);
      expect(x.detail).toMatch(/404: Requested entity was not found\./);
    }
    const docs = new Set((await library(user)).map((d) => d.external_id));
    expect(docs.size).toBe(54);
    for (const x of f.body.failures) expect(docs.has(x.external_id)).toBe(false);
  });
});
