// The Library (GET /api/documents) and sync history (GET /api/integrations/{type}/history)
// against the real server, after real sandbox syncs.
//
// Its own server and database: bm25 scores depend on the whole full-text index, so runs that
// other suites leave going on the shared server would shift them between two page requests
// (a relevance-ordered page can then repeat or skip an item; the Library UI de-duplicates).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startServer, type RunningServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";

let baseUrl: string;
let server: RunningServer | undefined;
let dir: string | undefined;
let pgUrl: string | undefined;

interface Highlighted {
  text: string;
  highlights: [number, number][];
}
interface Doc {
  id: string;
  provider: string;
  kind: string;
  title: Highlighted;
  snippet: Highlighted;
  author: string | null;
  url: string | null;
  updated_at: string;
}
interface Page {
  success: boolean;
  documents: Doc[];
  next_cursor: string | null;
  error?: string;
}
interface Run {
  id: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  total_items: number;
  processed_items: number;
  failed_items: number;
  error_message: string | null;
  notes: string[];
}

async function sync(user: TestUser, type: string, items: number, fault = "none") {
  await user.connectSandbox(type, { items, latency_ms: 0, fault });
  const { syncId } = await user.startSync(type);
  return user.waitForTerminal(syncId, 60_000);
}

async function all(user: TestUser, params: Record<string, string>, limit = 25): Promise<Doc[]> {
  const out: Doc[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const qs: URLSearchParams = new URLSearchParams({ ...params, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const r: { status: number; body: Page } = await user.json<Page>(`/api/documents?${qs.toString()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.documents);
    cursor = r.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error("pagination did not end");
}

let alice: TestUser;
let bob: TestUser;
let aliceDocs: Doc[];
let bobDocs: Doc[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sb-library-"));
  if (usePostgres()) pgUrl = await createPgDatabase();
  server = await startServer({ databaseUrl: pgUrl ?? `file:${path.join(dir, "app.db")}` });
  baseUrl = server.baseUrl;
  [alice, bob] = await Promise.all([TestUser.signUp(baseUrl), TestUser.signUp(baseUrl)]);
  const [a1, a2, b1] = await Promise.all([sync(alice, "github", 60), sync(alice, "gmail", 30), sync(bob, "github", 40)]);
  expect([a1.status, a2.status, b1.status]).toEqual(["complete", "complete", "complete"]);
  aliceDocs = await all(alice, {});
  bobDocs = await all(bob, {});
});

afterAll(async () => {
  await server?.stop();
  if (pgUrl) await dropPgDatabase(pgUrl);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Library: GET /api/documents", () => {
  it("lists every own document once, newest first, across pages", () => {
    expect(aliceDocs).toHaveLength(90);
    expect(new Set(aliceDocs.map((d) => d.id)).size).toBe(90);
    const times = aliceDocs.map((d) => Date.parse(d.updated_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(bobDocs).toHaveLength(40);
    const aliceIds = new Set(aliceDocs.map((d) => d.id));
    expect(bobDocs.some((d) => aliceIds.has(d.id))).toBe(false);
  });

  it("finds a document by a word of its title, highlighted, and never another user's", async () => {
    const target = aliceDocs.find((d) => d.provider === "github" && /^Refactor /.test(d.title.text))
      ?? aliceDocs.find((d) => d.provider === "github" && /[A-Za-z]{6,}/.test(d.title.text))!;
    const word = /^Refactor /.test(target.title.text) ? "Refactor" : target.title.text.match(/[A-Za-z]{6,}/)![0];
    const found = await all(alice, { q: word }, 100);
    const hit = found.find((d) => d.id === target.id);
    expect(hit, `searching "${word}" for "${target.title.text}"`).toBeDefined();
    expect(hit!.url).toBe(target.url);
    expect(hit!.url).toMatch(/^https:\/\/github\.com\/sandbox-user\/[a-z]+-\d+\/(issues|pull)\/\d+$/);
    const marked = hit!.title.highlights.map(([s, e]) => hit!.title.text.slice(s, e).toLowerCase());
    expect(marked).toContain(word.toLowerCase());
    const aliceIds = new Set(aliceDocs.map((d) => d.id));
    expect(found.every((d) => aliceIds.has(d.id))).toBe(true);

    // Bob has the same seeded GitHub titles, but only ever sees his own copies.
    const bobFound = await all(bob, { q: word }, 100);
    expect(bobFound.length).toBeGreaterThan(0);
    expect(bobFound.some((d) => aliceIds.has(d.id))).toBe(false);
  });

  it("narrows by provider and kind, with and without a query", async () => {
    const gmail = await all(alice, { provider: "gmail" });
    expect(gmail).toHaveLength(30);
    expect(gmail.every((d) => d.provider === "gmail" && d.kind === "email")).toBe(true);
    const prs = await all(alice, { kind: "pull_request" });
    expect(prs.length).toBe(aliceDocs.filter((d) => d.kind === "pull_request").length);
    expect(prs.every((d) => d.kind === "pull_request" && d.provider === "github")).toBe(true);
    const issues = await all(alice, { provider: "github", kind: "issue" });
    expect(issues.length + prs.length).toBe(60);
    const none = await all(alice, { provider: "slack" });
    expect(none).toHaveLength(0);
    const issueWord = issues[0]!.title.text.match(/[A-Za-z]{4,}/)![0];
    const searched = await all(alice, { q: issueWord, kind: "issue" }, 10);
    expect(searched.length).toBeGreaterThan(0);
    expect(searched.every((d) => d.kind === "issue")).toBe(true);
  });

  it("pages a search without repeats (keyset on rank)", async () => {
    const byOne = await all(alice, { q: "sync" }, 7);
    const atOnce = await all(alice, { q: "sync" }, 100);
    expect(byOne.map((d) => d.id)).toEqual(atOnce.map((d) => d.id));
    expect(new Set(byOne.map((d) => d.id)).size).toBe(byOne.length);
  });

  it("never answers 5xx to odd query text", async () => {
    const inputs = ['"', '""', "AND (", "*", "OR", "NOT", "NEAR(a b", "a:b", "title:x", "^", "-", "(", ")", "'", "\\", "%", "_",
      "日本語", "Ελληνικά", "émojis 🎉", "🎉", "\u0000", "\uE000x\uE001", "a".repeat(500), "x* OR y*", "{}[]", "NULL", "; DROP TABLE document;"];
    for (const q of inputs) {
      const r = await alice.json<Page>(`/api/documents?q=${encodeURIComponent(q)}`);
      expect(r.status, `q=${JSON.stringify(q)}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
      if (r.status === 200) expect(Array.isArray(r.body.documents)).toBe(true);
      else expect(r.body.success).toBe(false);
    }
    const uni = await alice.json<Page>(`/api/documents?q=${encodeURIComponent("日本語")}`);
    expect(uni.status).toBe(200);
  });

  it("rejects bad parameters with 400 JSON, and strangers with 401", async () => {
    for (const qs of ["provider=nope", "kind=tweet", "limit=0", "limit=1000", "limit=abc", "cursor=garbage", `q=${"a".repeat(501)}`]) {
      const r = await alice.json<Page>(`/api/documents?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.success).toBe(false);
      expect(typeof r.body.error).toBe("string");
    }
    const res = await fetch(`${baseUrl}/api/documents`);
    expect(res.status).toBe(401);
  });
});

describe("Sync history: GET /api/integrations/{type}/history", () => {
  it("has one row per run, newest first, matching the runs", async () => {
    const carol = await TestUser.signUp(baseUrl);
    const first = await sync(carol, "github", 30);
    const second = await sync(carol, "github", 45, "item_errors");
    expect(first.status).toBe("complete");
    const r = await carol.json<{ success: boolean; runs: Run[] }>("/api/integrations/github/history");
    expect(r.status).toBe(200);
    expect(r.body.runs.map((x) => x.id)).toEqual([second.sync_id, first.sync_id]);
    for (const [row, p] of [[r.body.runs[0]!, second], [r.body.runs[1]!, first]] as const) {
      expect(row.status).toBe(p.status);
      expect(row.total_items).toBe(p.total_items);
      expect(row.processed_items).toBe(p.processed_items);
      expect(row.failed_items).toBe(p.failed_items);
      expect(row.started_at).toBe(p.started_at);
      expect(row.finished_at).toBe(p.finished_at);
      expect(row.duration_ms).toBe(Date.parse(p.finished_at!) - Date.parse(p.started_at));
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Array.isArray(row.notes)).toBe(true);
    }
    expect(r.body.runs[1]!.processed_items).toBe(30);
    expect(r.body.runs[0]!.failed_items).toBeGreaterThan(0);
    const f = await carol.json<{ total: number }>(`/api/sync-progress/${second.sync_id}/failures`);
    expect(f.body.total).toBe(r.body.runs[0]!.failed_items);

    const limited = await carol.json<{ runs: Run[] }>("/api/integrations/github/history?limit=1");
    expect(limited.body.runs.map((x) => x.id)).toEqual([second.sync_id]);

    // Someone else's history never shows Carol's runs; an unconnected provider has none.
    const other = await alice.json<{ runs: Run[] }>("/api/integrations/github/history");
    expect(other.body.runs.some((x) => x.id === first.sync_id || x.id === second.sync_id)).toBe(false);
    expect((await carol.json<{ runs: Run[] }>("/api/integrations/slack/history")).body.runs).toEqual([]);
    expect((await carol.json("/api/integrations/nope/history")).status).toBe(400);
    expect((await carol.json("/api/integrations/github/history?limit=0")).status).toBe(400);
  });
});
