// GitHub through the app (issue 18): a full sync, an incremental one with nothing new, then
// POST .../sandbox/changes {add: 3, edit: 3, delete: 3} and an incremental sync. The library must
// then hold exactly what the sandbox holds now, and the incremental run must cost a handful of
// provider requests. The real connector (Octokit) against the built-in sandbox over HTTP.
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";

const baseUrl = inject("baseUrl");
const ITEMS = 90; // 2 sandbox repositories (45 issues and pull requests each)

interface Hit {
  external_id: string;
  title: { text: string };
  snippet: { text: string } | string;
}

async function providerRequests(syncId: string): Promise<number> {
  const [row] = await queryDb<{ n: number | string }>(inject("databaseUrl"), 'SELECT "providerRequests" AS n FROM "sync_run" WHERE "id" = ?', syncId);
  return Number(row!.n);
}

async function library(user: TestUser, q?: string): Promise<Hit[]> {
  const hits: Hit[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const params: URLSearchParams = new URLSearchParams({ provider: "github", limit: "100", ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
    const r: { status: number; body: { documents: Hit[]; next_cursor: string | null } } = await user.json(`/api/documents?${params}`);
    expect(r.status).toBe(200);
    hits.push(...r.body.documents);
    cursor = r.body.next_cursor;
    if (!cursor) return hits;
  }
  throw new Error("the library did not end within 100 pages");
}

async function syncToEnd(user: TestUser) {
  const { syncId } = await user.startSync("github");
  const s = await user.stream(syncId, { timeoutMs: 60_000, lastEventId: "0" });
  const end = s.events.at(-1)!;
  expect(end.event, end.data.error_message).toBe("complete");
  return { syncId, end: end.data as typeof end.data & { added_items?: number; updated_items?: number; removed_items?: number } };
}

describe("GitHub: changes reach the library", () => {
  it("after 3 adds, 3 edits and 3 deletes, an incremental sync leaves exactly the provider's current state", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("github", { items: ITEMS, latency_ms: 2, fault: "none" });

    const full = await syncToEnd(user);
    expect(full.end.processed_items).toBe(ITEMS);
    const fullRequests = await providerRequests(full.syncId);
    const before = await library(user);
    expect(before).toHaveLength(ITEMS);

    const quiet = await syncToEnd(user);
    expect(quiet.end.processed_items).toBe(0);
    const quietRequests = await providerRequests(quiet.syncId);

    const changes = await user.json<{ success: boolean; added: number; edited: number; deleted: number; external_ids: { added: string[]; edited: string[]; deleted: string[] } }>(
      "/api/integrations/github/sandbox/changes",
      { method: "POST", body: JSON.stringify({ add: 3, edit: 3, delete: 3 }) },
    );
    expect(changes.status).toBe(200);
    expect(changes.body).toMatchObject({ success: true, added: 3, edited: 3, deleted: 3 });
    const { added, edited, deleted } = changes.body.external_ids;
    for (const ids of [added, edited, deleted]) {
      expect(ids).toHaveLength(3);
      for (const id of ids) expect(id).toMatch(/^sandbox-user\/[a-z]+-\d+#\d+$/);
    }
    expect(new Set([...added, ...edited, ...deleted]).size).toBe(9);
    const beforeIds = new Set(before.map((h) => h.external_id));
    for (const id of [...edited, ...deleted]) expect(beforeIds.has(id)).toBe(true);
    for (const id of added) expect(beforeIds.has(id)).toBe(false);

    // Search queries that find the deleted items now: a word only one of them has (its title or
    // the start of its text), and each one's own title words.
    const text = (h: Hit) => `${h.title.text} ${typeof h.snippet === "string" ? h.snippet : h.snippet.text}`;
    // Letters-only words: PostgreSQL's parser keeps "v1.2" or "PR-38" whole where SQLite's splits them.
    const titleQuery = (h: Hit) =>
      h.title.text
        .split(/[^\p{L}\p{N}]+/u)
        .filter((w) => /^\p{L}{3,}$/u.test(w))
        .join(" ");
    let onlyDeleted: { word: string; id: string } | undefined;
    for (const id of deleted) {
      const hit = before.find((h) => h.external_id === id)!;
      const words = [...new Set(text(hit).split(/[^\p{L}\p{N}]+/u).filter((w) => /^\p{L}{3,}$/u.test(w)))];
      for (const word of words) {
        const found = await library(user, word);
        if (found.length > 0 && found.every((h) => h.external_id === id)) {
          onlyDeleted = { word, id };
          break;
        }
      }
      if (onlyDeleted) break;
    }
    for (const id of deleted) {
      const hits = await library(user, titleQuery(before.find((h) => h.external_id === id)!));
      expect(hits.map((h) => h.external_id)).toContain(id);
    }

    const after = await syncToEnd(user);
    expect(after.end).toMatchObject({ added_items: 3, updated_items: 3, removed_items: 3 });
    const afterRequests = await providerRequests(after.syncId);

    const now = await library(user);
    const byId = new Map<string, Hit[]>();
    for (const h of now) byId.set(h.external_id, [...(byId.get(h.external_id) ?? []), h]);
    expect(now).toHaveLength(ITEMS + 3 - 3);
    expect(byId.size).toBe(now.length); // one document per id
    for (const id of added) expect(byId.get(id)).toHaveLength(1);
    for (const id of edited) {
      expect(byId.get(id)).toHaveLength(1);
      const h = byId.get(id)![0]!;
      const snippet = typeof h.snippet === "string" ? h.snippet : h.snippet.text;
      expect(`${h.title.text} ${snippet}`).toMatch(/edited/);
    }
    for (const id of deleted) expect(byId.has(id)).toBe(false);
    // Everything else is as it was.
    const untouched = [...beforeIds].filter((id) => !edited.includes(id) && !deleted.includes(id));
    for (const id of untouched) expect(byId.get(id)).toHaveLength(1);

    // Gone from the search index too.
    if (onlyDeleted) expect(await library(user, onlyDeleted.word)).toEqual([]);
    for (const id of deleted) {
      const hits = await library(user, titleQuery(before.find((h) => h.external_id === id)!));
      expect(hits.map((h) => h.external_id)).not.toContain(id);
    }

    // Not a re-list: /user (304), /user/repos, and one conditional request per repository whose
    // answer (its one page, no `since`) carries the new and edited issues and shows the deleted
    // ones missing: 2 + 2 = 4. Bounded at 2 + 3 per repository (a probe and a listing of numbers
    // each, were the repositories longer than a page).
    console.log(`[changes-github] provider requests: full sync ${fullRequests}, incremental without changes ${quietRequests}, incremental after {add:3, edit:3, delete:3} ${afterRequests}`);
    console.log(`[changes-github] word only a deleted item had: ${onlyDeleted ? `"${onlyDeleted.word}" (${onlyDeleted.id})` : "none unique this time (each deleted item's title search found it before and not after)"}`);
    expect(quietRequests).toBeLessThanOrEqual(4);
    expect(afterRequests).toBeLessThanOrEqual(2 + 3 * 2);
    expect(afterRequests).toBeLessThan(fullRequests);

    // And quiet again: nothing new, nothing removed twice.
    const settled = await syncToEnd(user);
    expect(settled.end).toMatchObject({ processed_items: 0, removed_items: 0 });
  });

  it("item_errors: issues transferred while listed fail in plain words and stay out of the library", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("github", { items: 60, latency_ms: 0, fault: "item_errors" });
    const { syncId, end } = await syncToEnd(user);
    // i % 10 === 3 for i < 60: 6 issues moved to a repository the user cannot see.
    expect(end.failed_items).toBe(6);
    expect(end.processed_items).toBe(54);
    const f = await user.json<{ total: number; failures: Array<{ external_id: string; title: string | null; reason: string; detail: string | null }> }>(`/api/sync-progress/${syncId}/failures`);
    expect(f.body.total).toBe(6);
    for (const failure of f.body.failures) {
      expect(failure.reason).toBe("This issue was moved to another repository (or deleted there) and your GitHub account cannot see it, so it is not in your library.");
      expect(failure.reason).not.toMatch(/HTTP|\d{3}/);
      expect(failure.detail).toMatch(/301 Moved Permanently, then HTTP 404 Not Found/);
      expect(failure.title).toEqual(expect.any(String));
    }
    const ids = new Set((await library(user)).map((h) => h.external_id));
    expect(ids.size).toBe(54);
    for (const failure of f.body.failures) expect(ids.has(failure.external_id)).toBe(false);

    // Changes never pick the transferred ones; the next sync applies them as usual.
    const changes = await user.json<{ external_ids: { edited: string[]; deleted: string[] } }>("/api/integrations/github/sandbox/changes", {
      method: "POST",
      body: JSON.stringify({ edit: 2, delete: 2 }),
    });
    expect(changes.status).toBe(200);
    for (const id of [...changes.body.external_ids.edited, ...changes.body.external_ids.deleted]) expect(ids.has(id)).toBe(true);
    const next = await syncToEnd(user);
    expect(next.end).toMatchObject({ updated_items: 2, removed_items: 2 });
  });
});
