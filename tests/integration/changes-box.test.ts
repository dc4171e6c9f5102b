// Box, changes and not only additions (issue 18), through the app over HTTP: the real SDK against
// the built-in sandbox. A full sync, an incremental one with nothing new, then
// POST .../sandbox/changes {add: 3, edit: 3, delete: 3} and an incremental sync: the library holds
// exactly Box's current state, and that run read the change stream and the changed files only.
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import type { ProgressData } from "@/lib/sync/types";
import { fileExtension, fileId, isBrokenFile, isTextExtension } from "@/lib/sandbox/box/data";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");

interface Hit {
  id: string;
  external_id: string;
  title: { text: string };
  snippet: { text: string };
}

async function allDocuments(user: TestUser, query = ""): Promise<Hit[]> {
  const out: Hit[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; body: { documents: Hit[]; next_cursor: string | null } } = await user.json(
      `/api/documents?provider=box&limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(r.status).toBe(200);
    out.push(...r.body.documents);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

async function requestsOf(syncId: string): Promise<number> {
  const rows = await queryDb<{ n: number }>(databaseUrl, 'SELECT "providerRequests" AS n FROM "sync_run" WHERE "id" = ?', syncId);
  return Number(rows[0]!.n);
}

async function syncToEnd(user: TestUser): Promise<{ syncId: string; end: ProgressData }> {
  const { syncId } = await user.startSync("box");
  const end = await user.waitForTerminal(syncId, 90_000);
  expect(end.status, end.error_message).toBe("complete");
  return { syncId, end };
}

describe("Box: edits and deletions reach the library", () => {
  it("after add 3, edit 3, delete 3 an incremental sync leaves exactly Box's current state, reading only the changes", async () => {
    const items = 90;
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("box", { items, latency_ms: 2, fault: "none" });

    const full = await syncToEnd(user);
    expect(full.end.processed_items).toBe(items);
    const fullRequests = await requestsOf(full.syncId);

    const quiet = await syncToEnd(user);
    expect(quiet.end.processed_items).toBe(0);
    const quietRequests = await requestsOf(quiet.syncId);

    const before = new Map((await allDocuments(user)).map((d) => [d.external_id, d]));
    expect(before.size).toBe(items);

    const changed = await user.json<{ success: boolean; added: number; edited: number; deleted: number; external_ids: { added: string[]; edited: string[]; deleted: string[] } }>(
      "/api/integrations/box/sandbox/changes",
      { method: "POST", body: JSON.stringify({ add: 3, edit: 3, delete: 3 }) },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ success: true, added: 3, edited: 3, deleted: 3 });
    const { added, edited, deleted } = changed.body.external_ids;
    expect(added).toEqual([items, items + 1, items + 2].map(fileId));
    expect(new Set([...edited, ...deleted]).size).toBe(6);
    for (const id of [...edited, ...deleted]) expect(before.has(id)).toBe(true);

    // Words only a deleted file has (its name, with or without the extension: SQLite's and
    // PostgreSQL's full-text parsers split "53.pdf" differently): found now, nothing after.
    const uniqueQueries: string[] = [];
    for (const id of deleted) {
      const title = before.get(id)!.title.text;
      for (const q of [title, title.replace(/\.[^.]+$/, "")]) {
        const hits = await allDocuments(user, `&q=${encodeURIComponent(q)}`);
        if (hits.length === 1 && hits[0]!.external_id === id) {
          uniqueQueries.push(q);
          break;
        }
      }
    }
    expect(uniqueQueries.length).toBeGreaterThan(0);

    const inc = await syncToEnd(user);
    expect(inc.end).toMatchObject({ added_items: 3, updated_items: 3, removed_items: 3, failed_items: 0 });
    const incRequests = await requestsOf(inc.syncId);

    const after = await allDocuments(user);
    const ids = after.map((d) => d.external_id);
    expect(new Set(ids).size).toBe(ids.length); // never two documents for one file
    expect(ids).toHaveLength(items + 3 - 3);
    for (const id of added) expect(ids).toContain(id);
    for (const id of deleted) expect(ids).not.toContain(id);
    for (const id of edited) {
      const hit = after.find((d) => d.external_id === id)!;
      const doc = await user.json<{ document: { title: string; text: string } }>(`/api/documents/${hit.id}`);
      expect(`${doc.body.document.title}\n${doc.body.document.text}`).toMatch(/\bedited\b/);
    }
    for (const q of uniqueQueries) expect(await allDocuments(user, `&q=${encodeURIComponent(q)}`)).toEqual([]);

    // What the incremental run may cost: the change stream twice (count, then read) plus the
    // caught-up read of each pass (4), then per changed file GET /files/{id}, and for a text file
    // GET /files/{id}/content (up to 3 tries: Box answers 202 + Retry-After for a second after an
    // upload) and the download URL: at most 4 + 6 x (1 + 3 + 1) = 34, trashed files cost nothing.
    // A re-list would be every folder listing plus every text file's content: the full sync's count.
    console.log(`[changes-box] full sync: ${fullRequests} provider requests (${items} files); incremental, no change: ${quietRequests}; incremental after add 3 / edit 3 / delete 3: ${incRequests}; deleted files checked by search: ${uniqueQueries.length} of 3`);
    expect(quietRequests).toBeLessThanOrEqual(3);
    expect(incRequests).toBeLessThanOrEqual(4 + 6 * 5);
    expect(incRequests).toBeLessThan(fullRequests / 2);
  }, 240_000);

  it("item_errors: downloads Box refuses (403) or never has ready (202) fail in plain words; the rest syncs", async () => {
    const items = 60;
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("box", { items, latency_ms: 0, fault: "item_errors" });
    const { syncId, end } = await syncToEnd(user);
    const broken = Array.from({ length: items }, (_, i) => i).filter((i) => isBrokenFile(i) && isTextExtension(fileExtension(i)));
    expect(broken.length).toBeGreaterThan(0);
    expect(end.failed_items).toBe(broken.length);
    expect(end.processed_items).toBe(items - broken.length);
    const f = await user.json<{ total: number; failures: { external_id: string; reason: string; detail: string | null }[] }>(`/api/sync-progress/${syncId}/failures`);
    expect(f.body.total).toBe(broken.length);
    expect(f.body.failures.map((x) => x.external_id).sort()).toEqual(broken.map(fileId).sort());
    for (const x of f.body.failures) {
      const i = Number(x.external_id) - Number(fileId(0));
      if (i % 20 === 3) {
        expect(x.reason).toBe("Box did not let this account read the file, so it was skipped. Ask its owner for access to include it.");
        expect(x.detail).toBe("HTTP 403 access_denied_insufficient_permissions");
      } else {
        expect(x.reason).toBe("Box was still preparing this file's content, so it could not be read and was skipped. It is read again when the file next changes in Box.");
        expect(x.detail).toMatch(/^HTTP 202 \(Retry-After 1 s\) on 3 tries$/);
      }
      expect(x.reason).not.toMatch(/HTTP|\d{3}/);
    }

    // The changes route never picks a file the fault breaks: every change reaches the library.
    const changed = await user.json<{ external_ids: { edited: string[]; deleted: string[] } }>("/api/integrations/box/sandbox/changes", {
      method: "POST",
      body: JSON.stringify({ edit: 2, delete: 2 }),
    });
    expect(changed.status).toBe(200);
    for (const id of [...changed.body.external_ids.edited, ...changed.body.external_ids.deleted]) expect(broken.map(fileId)).not.toContain(id);
    const inc = await syncToEnd(user);
    expect(inc.end).toMatchObject({ updated_items: 2, removed_items: 2, failed_items: 0 });
  }, 120_000);
});
