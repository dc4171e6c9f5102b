// Slack through the app over HTTP (the real @slack/web-api against the built-in sandbox): a full
// sync, an incremental sync with no change, then POST .../sandbox/changes {add:3, edit:3,
// delete:3} and an incremental sync: the library holds exactly the sandbox's current state, at
// the cost of a few requests (the re-read window of the one channel that changed, no re-list).
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import type { SandboxChangesResult } from "@/lib/contract";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");

interface Hit {
  external_id: string;
  title: { text: string };
  snippet: { text: string };
}

async function documents(user: TestUser, q?: string): Promise<Hit[]> {
  const out: Hit[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const params: URLSearchParams = new URLSearchParams({ provider: "slack", limit: "100", ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
    const r: { status: number; body: { documents: Hit[]; next_cursor: string | null } } = await user.json(`/api/documents?${params}`);
    expect(r.status).toBe(200);
    out.push(...r.body.documents);
    cursor = r.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error("too many pages");
}

async function providerRequests(syncId: string): Promise<number> {
  const rows = await queryDb<{ n: number | string }>(databaseUrl, 'SELECT "providerRequests" AS n FROM "sync_run" WHERE "id" = ?', syncId);
  return Number(rows[0]!.n);
}

async function syncToEnd(user: TestUser) {
  const { syncId } = await user.startSync("slack");
  const s = await user.stream(syncId, { timeoutMs: 60_000, lastEventId: "0" });
  const end = s.events.at(-1)!;
  expect(end.event, end.data.error_message).toBe("complete");
  return { syncId, end: end.data, requests: await providerRequests(syncId) };
}

/**
 * A word of `text` that starts no word of any other document's title or text (FTS tokens:
 * letters and digits; the search takes its last word as a prefix).
 */
function uniqueWord(text: string, others: string[]): string | undefined {
  // Letters only: SQLite's and PostgreSQL's parsers cut numbers in text ("PR-38", "3.8") differently.
  const words = (s: string) => new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => /^\p{L}{3,}$/u.test(w)));
  const taken = [...new Set(others.flatMap((o) => [...words(o)]))];
  return [...words(text)].find((w) => !taken.some((t) => t.startsWith(w)));
}

describe("Slack: changes reach the library", () => {
  it("full sync, no-change sync, then 3 added, 3 edited, 3 deleted: the library is exactly Slack's current state", async () => {
    const items = 100;
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("slack", { items, latency_ms: 2, fault: "none" });

    const full = await syncToEnd(user);
    expect(full.end.processed_items).toBe(items);
    const before = await documents(user);
    expect(before).toHaveLength(items);

    const quiet = await syncToEnd(user);
    expect(quiet.end.processed_items).toBe(0);

    const changed = await user.json<SandboxChangesResult>("/api/integrations/slack/sandbox/changes", {
      method: "POST",
      body: JSON.stringify({ add: 3, edit: 3, delete: 3 }),
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ success: true, added: 3, edited: 3, deleted: 3 });
    const { added, edited, deleted } = changed.body.external_ids;
    for (const list of [added, edited, deleted]) {
      expect(list).toHaveLength(3);
      for (const id of list) expect(id).toMatch(/^C0[0-9A-Z]+:\d+\.\d{6}$/);
    }
    const known = new Set(before.map((d) => d.external_id));
    for (const id of added) expect(known.has(id)).toBe(false);
    for (const id of [...edited, ...deleted]) expect(known.has(id)).toBe(true);
    expect(new Set([...added, ...edited, ...deleted]).size).toBe(9);

    // A word of each deleted message, found before; after the sync the search no longer finds the
    // message (and finds nothing at all for a word only a deleted message had, when one has one:
    // the picks are random, and some messages share all their words with others).
    const texts = new Map(before.map((d) => [d.external_id, `${d.title.text} ${d.snippet.text}`]));
    const probes = deleted.map((id) => {
      const others = [...texts].filter(([other]) => other !== id).map(([, t]) => t);
      const own = uniqueWord(texts.get(id)!, others);
      const word = own ?? texts.get(id)!.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => /^\p{L}{4,}$/u.test(w)).at(-1)!;
      return { id, word, unique: own !== undefined };
    });
    for (const p of probes) {
      const hits = (await documents(user, p.word)).map((d) => d.external_id);
      if (p.unique) expect(hits).toEqual([p.id]);
      else expect(hits).toContain(p.id);
    }
    const inc = await syncToEnd(user);
    expect(inc.end).toMatchObject({ status: "complete", added_items: 3, updated_items: 3, removed_items: 3 });

    const after = await documents(user);
    const ids = after.map((d) => d.external_id);
    expect(new Set(ids).size).toBe(ids.length); // one document per id
    expect(ids).toHaveLength(items + 3 - 3);
    const byId = new Map(after.map((d) => [d.external_id, d]));
    for (const id of added) expect(byId.has(id)).toBe(true);
    for (const id of deleted) expect(byId.has(id)).toBe(false);
    const editedHits = new Set((await documents(user, "edited")).map((d) => d.external_id));
    for (const id of edited) {
      expect(byId.has(id)).toBe(true);
      // "edited" in the title or the text (the listing's snippet may stop before it; the search reads the whole text).
      expect(`${byId.get(id)!.title.text} ${byId.get(id)!.snippet.text}`.includes("edited") || editedHits.has(id)).toBe(true);
    }
    expect([...editedHits].sort()).toEqual([...edited].sort());
    for (const p of probes) {
      const hits = (await documents(user, p.word)).map((d) => d.external_id);
      if (p.unique) expect(hits).toEqual([]);
      else expect(hits).not.toContain(p.id);
    }
    console.log(`[changes-slack] search after deletion: ${probes.map((p) => `"${p.word}"${p.unique ? " (only the deleted message had it): 0 hits" : ": the deleted message not among the hits"}`).join("; ")}`);

    // The cost: conversations.list, users.list (names for the new messages) and one
    // conversations.history page for the one channel whose `updated` moved (its newest 100
    // remembered messages and the 3 new ones fit one page of 200): 3 requests more than the
    // no-change run at most (which only lists the channels), never a re-read of the channel.
    console.log(`[changes-slack] provider requests: full sync ${full.requests}, incremental without change ${quiet.requests}, incremental after {add:3, edit:3, delete:3} ${inc.requests}`);
    expect(quiet.requests).toBeGreaterThan(0);
    expect(quiet.requests).toBeLessThanOrEqual(2);
    expect(inc.requests).toBeLessThanOrEqual(quiet.requests + 3);
    expect(inc.requests).toBeLessThanOrEqual(full.requests);
  });

  it("item_errors: messages Slack serves with nothing to keep, and a channel deleted after listing, fail in plain words", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("slack", { items: 60, latency_ms: 0, fault: "item_errors" });
    const { end } = await syncToEnd(user);
    expect(end.processed_items + end.failed_items).toBe(61); // every message once, plus the deleted channel
    expect(end.failed_items).toBe(7); // i % 10 === 3 among 60 messages, plus the channel
    const f = await user.json<{ total: number; failures: { title: string; reason: string; detail: string | null }[] }>(`/api/sync-progress/${end.sync_id}/failures`);
    expect(f.status).toBe(200);
    expect(f.body.total).toBe(7);
    const failures = f.body.failures;
    const reasons = new Set(failures.map((x) => x.reason));
    expect(reasons).toEqual(
      new Set([
        "The file shared in this message was deleted in Slack, so there was nothing to keep.",
        "Slack hides the file shared in this message (the workspace's plan only shows recent history), so 2nd Brain could not keep it.",
        "This is the record of a Slack huddle, which holds no text to keep, so it was skipped.",
        "Slack did not let 2nd Brain read #old-project: it was deleted or the app lost access. Its messages were skipped.",
      ]),
    );
    for (const x of failures) {
      expect(x.reason).not.toMatch(/tombstone|hidden_by_limit|huddle_thread|channel_not_found|null/);
      expect(x.detail).toMatch(/mode tombstone|mode hidden_by_limit|subtype huddle_thread|channel_not_found/);
    }
  });
});
