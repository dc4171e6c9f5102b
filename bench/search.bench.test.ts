// Search latency at 100,000 documents (issue #9), run by bench/run.mjs (BENCH_MODE=search).
// A temp SQLite database with the app's migrations; one user with BENCH_DOCS documents spread
// over the four providers and five kinds (users, connections and the first document written
// with Prisma, the rest in the same format straight through better-sqlite3, which is only the
// seeding), taken into the FTS5 index by the app's own indexing code
// (lib/search/index-documents.ts), as a sync's `embedding` stage does; a second user's
// documents alongside (the owner filter must hold at this size too).
// BENCH_SEARCH_DB=<file>: keep the seeded database there and reuse it (trying query changes).
// Then lib/search/search.ts answers typical Library queries, each timed BENCH_SEARCH_RUNS
// times after two warm-ups: p50 / p99 per query type. Results as JSON to BENCH_OUT.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const mode = process.env.BENCH_MODE ?? "search";
const out = process.env.BENCH_OUT ?? "bench/results/.search.json";
const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 20);
const OTHER_USER_DOCS = Math.min(10_000, Math.ceil(DOCS / 10));

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_WORDS = (
  "the team meeting project plan review deploy release build test customer invoice budget design draft notes agenda " +
  "schedule launch feedback roadmap issue bug fix login page server database migration backup report quarterly " +
  "metrics revenue hiring onboarding contract legal security audit incident outage latency api client mobile web " +
  "sprint standup retro ticket support email calendar travel expense approval policy vendor partner sales marketing " +
  "campaign analytics dashboard export import sync search index cache queue worker cluster region storage network"
).split(" ");
const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "da", "fe", "gu", "hi", "jo", "qu", "ba", "co", "di", "wy"];
/** A vocabulary: real words first (frequent), then made-up ones (the long tail). */
const VOCAB = [...BASE_WORDS];
{
  const r = rng(7);
  while (VOCAB.length < 20_000) {
    const n = 2 + Math.floor(r() * 3);
    let w = "";
    for (let k = 0; k < n; k++) w += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
    VOCAB.push(w);
  }
}
/** Zipf-like pick: low indexes (real words) far more often than the tail. */
const pick = (r: () => number) => VOCAB[Math.min(VOCAB.length - 1, Math.floor(VOCAB.length * r() ** 4))]!;
const words = (r: () => number, n: number) => Array.from({ length: n }, () => pick(r)).join(" ");

const PROVIDERS = [
  { type: "gmail", kinds: ["email"] },
  { type: "slack", kinds: ["message"] },
  { type: "box", kinds: ["file"] },
  { type: "github", kinds: ["issue", "pull_request"] },
] as const;
const RARE_EVERY = 5_000; // "zephyrine": 20 documents in 100,000
const PHRASE_EVERY = 97; // "quarterly report" side by side: ~1%

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe.runIf(mode === "search")("search latency at scale", () => {
  it(`seeds ${DOCS} documents through the app's indexing and times typical queries`, async () => {
    const keep = process.env.BENCH_SEARCH_DB;
    const dir = mkdtempSync(path.join(tmpdir(), "sb-search-bench-"));
    const file = keep ?? path.join(dir, "search.db");
    const reuse = keep !== undefined && existsSync(keep);
    process.env.DATABASE_URL = `file:${file}`;
    process.env.APP_SECRET ??= "bench-secret-0123456789abcdef0123456789abcdef";
    try {
      if (!reuse) execFileSync(process.execPath, ["scripts/prisma.mjs", "migrate", "deploy"], { env: { ...process.env }, stdio: "pipe" });
      const { db } = await import("@/lib/db");
      const { indexNextBatch } = await import("@/lib/search/index-documents");
      const { searchDocuments } = await import("@/lib/search/search");
      const prisma = db();
      await prisma.$executeRawUnsafe("PRAGMA journal_mode = WAL");

      const t0 = performance.now();
      const seedUser = async (key: string, count: number, seed: number) => {
        const userId = `bench-user-${key}`;
        await prisma.user.create({ data: { id: userId, name: `Bench ${key}`, email: `${key}@bench.test` } });
        const ws = await prisma.workspace.create({ data: { name: `Bench ${key}` } });
        await prisma.membership.create({ data: { userId, workspaceId: ws.id } });
        const connections: { id: string }[] = [];
        for (const p of PROVIDERS) {
          connections.push(await prisma.connection.create({ data: { userId, workspaceId: ws.id, type: p.type, mode: "sandbox", credentials: "{}" } }));
        }
        const r = rng(seed);
        const start = Date.UTC(2025, 0, 1);
        const row = (i: number) => {
          const k = i % PROVIDERS.length;
          const p = PROVIDERS[k]!;
          let text = `${words(r, 40 + Math.floor(r() * 80))} update ${words(r, 10 + Math.floor(r() * 30))}`;
          if (i % PHRASE_EVERY === 0) text += " the quarterly report is attached";
          if (i % RARE_EVERY === 17) text += " zephyrine";
          const at = new Date(start + i * 60_000);
          return {
            id: `doc-${key}-${i}`,
            userId,
            workspaceId: ws.id,
            connectionId: connections[k]!.id,
            externalId: `${p.type}-${i}`,
            kind: p.kinds[i % p.kinds.length]!,
            title: `${words(r, 3 + Math.floor(r() * 6))}`.replace(/^./, (c) => c.toUpperCase()),
            text,
            url: `https://example.test/${p.type}/${i}`,
            author: `Person ${i % 50}`,
            createdAt: at,
            updatedAt: at,
            contentHash: String(i),
          };
        };
        // The first through Prisma; its stored date format is what the rest are written in.
        await prisma.document.create({ data: row(0) });
        const Database = createRequire(import.meta.url)("better-sqlite3");
        const raw = new Database(file);
        const stored = raw.prepare(`SELECT "updatedAt" AS u, "syncedAt" AS s FROM "document" WHERE "id" = ?`).get(`doc-${key}-0`) as { u: unknown; s: unknown };
        const asStored = (d: Date): unknown => {
          if (typeof stored.u === "number") return d.getTime();
          const iso = d.toISOString();
          return String(stored.u).endsWith("+00:00") ? iso.replace("Z", "+00:00") : iso;
        };
        expect(asStored(new Date(start))).toEqual(stored.u);
        const insert = raw.prepare(
          `INSERT INTO "document" ("id", "userId", "workspaceId", "connectionId", "externalId", "kind", "title", "text", "url", "author", "createdAt", "updatedAt", "contentHash", "syncedAt")
           VALUES (@id, @userId, @workspaceId, @connectionId, @externalId, @kind, @title, @text, @url, @author, @createdAt, @updatedAt, @contentHash, @syncedAt)`,
        );
        const many = raw.transaction((from: number, to: number) => {
          for (let i = from; i < to; i++) {
            const d = row(i);
            insert.run({ ...d, createdAt: asStored(d.createdAt), updatedAt: asStored(d.updatedAt), syncedAt: stored.s });
          }
        });
        for (let from = 1; from < count; from += 10_000) many(from, Math.min(count, from + 10_000));
        raw.close();
        const tIndex = performance.now();
        for (const c of connections) while ((await indexNextBatch(c.id)) > 0);
        return { userId, workspaceId: ws.id, indexSeconds: (performance.now() - tIndex) / 1000 };
      };
      const me = reuse
        ? { userId: "bench-user-a", workspaceId: (await prisma.membership.findFirstOrThrow({ where: { userId: "bench-user-a" } })).workspaceId, indexSeconds: 0 }
        : await seedUser("a", DOCS, 1);
      if (!reuse) await seedUser("b", OTHER_USER_DOCS, 2);
      const seedSeconds = (performance.now() - t0) / 1000;
      const viewer = { userId: me.userId, workspaceId: me.workspaceId, email: "a@bench.test", name: "Bench a" };

      const first = await searchDocuments(viewer, { q: "update", limit: 20 });
      const cursorCommon = first.next_cursor ?? undefined;
      const newest = await searchDocuments(viewer, { limit: 20 });
      const queries: Array<{ name: string; what: string; query: Parameters<typeof searchDocuments>[1] }> = [
        { name: "common", what: "a word in every document (\"update\")", query: { q: "update", limit: 20 } },
        { name: "rare", what: `a rare word (\"zephyrine\", ${Math.ceil(DOCS / RARE_EVERY)} documents)`, query: { q: "zephyrine", limit: 20 } },
        { name: "phrase", what: "two words together (\"quarterly report\", ~1%)", query: { q: "quarterly report", limit: 20 } },
        { name: "prefix", what: "a word being typed (\"budg\": prefix match)", query: { q: "budg", limit: 20 } },
        { name: "filtered", what: "the common word, filtered to Slack messages", query: { q: "update", provider: "slack", kind: "message", limit: 20 } },
        { name: "page2", what: "the common word, 2nd page (keyset cursor)", query: { q: "update", limit: 20, cursor: cursorCommon } },
        { name: "browse", what: "no query: newest first (the Library's default)", query: { limit: 20 } },
        { name: "browse-page2", what: "no query, 2nd page", query: { limit: 20, cursor: newest.next_cursor ?? undefined } },
      ];
      const results = [];
      for (const q of queries) {
        const times: number[] = [];
        let hits = 0;
        for (let k = 0; k < RUNS + 2; k++) {
          const s = performance.now();
          const res = await searchDocuments(viewer, q.query);
          const ms = performance.now() - s;
          if (k >= 2) times.push(ms);
          hits = res.documents.length;
        }
        times.sort((a, b) => a - b);
        results.push({ name: q.name, what: q.what, runs: times.length, hits, p50Ms: Math.round(pct(times, 50) * 10) / 10, p99Ms: Math.round(pct(times, 99) * 10) / 10 });
        console.log(`[bench:search] ${q.name}: p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms (${hits} hits)`);
      }
      // The owner filter holds: nothing of user b in user a's answers.
      expect(first.documents.every((d) => d.url?.startsWith("https://example.test/"))).toBe(true);
      const rare = await searchDocuments(viewer, { q: "zephyrine", limit: 100 });
      expect(rare.documents.length).toBe(Math.ceil((DOCS - 17) / RARE_EVERY));

      const sizeRow = await prisma.$queryRawUnsafe<{ n: bigint | number }[]>("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()");
      writeFileSync(
        out,
        JSON.stringify(
          {
            documents: DOCS,
            otherUserDocuments: OTHER_USER_DOCS,
            seedSeconds: Math.round(seedSeconds * 10) / 10,
            indexSeconds: Math.round(me.indexSeconds * 10) / 10,
            databaseBytes: Number(sizeRow[0]?.n ?? 0),
            runsPerQuery: RUNS,
            queries: results,
          },
          null,
          2,
        ),
      );
      await prisma.$disconnect();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (keep === undefined) rmSync(file, { force: true });
    }
  });
});
