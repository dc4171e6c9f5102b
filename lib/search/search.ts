// The Library's one search interface: newest first without a query, ranked full-text search
// with one. Always scoped by owner (userId): another user's documents never appear.
//
// - SQLite (embedded default): FTS5 MATCH on "document_fts" (filled by ./index-documents.ts),
//   ranked by bm25 (title weighted above text), highlights from FTS5's highlight()/snippet().
// - PostgreSQL: the "tsv" column of "document_fts" (generated tsvector + GIN index, owned by the
//   PostgreSQL migrations in prisma/postgres/), ranked by ts_rank; highlights computed here.
//
// User text never reaches the query language as syntax: it is split into word tokens, each
// quoted (FTS5) or reduced to letters and digits (tsquery). Highlights come back as ranges
// into plain text, so nothing is ever rendered as HTML.
import { db, dbKind } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import { badRequest } from "@/lib/api/errors";
import type { Prisma } from "@/lib/generated/prisma/client";

export const DOCUMENT_KINDS = ["email", "message", "file", "issue", "pull_request"] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

import type { HighlightedText, Range, SearchHit } from "@/lib/contract/api";
import {
  decodeCursor,
  encodeCursor,
  excerpt,
  ftsMatchExpression,
  highlightTokens,
  parseMarked,
  queryTokens,
  stripMarkers,
  toIso,
  trimSnippet,
  tsQueryExpression,
  type Cursor,
} from "@/lib/search/text";

export type { HighlightedText, Range, SearchHit };
export { ftsMatchExpression, highlightTokens, parseMarked, queryTokens, tsQueryExpression };

export interface SearchQuery {
  q?: string;
  provider?: string;
  kind?: string;
  cursor?: string;
  limit: number;
}

export interface SearchResult {
  documents: SearchHit[];
  next_cursor: string | null;
}

export async function searchDocuments(viewer: Viewer, query: SearchQuery): Promise<SearchResult> {
  const tokens = queryTokens(query.q);
  if (query.q && query.q.trim() !== "") {
    // Text without any word (only punctuation, operators or emoji) matches nothing.
    if (tokens.length === 0) return { documents: [], next_cursor: null };
    return dbKind() === "postgres" ? searchPostgres(viewer, query, tokens) : searchSqlite(viewer, query, tokens);
  }
  return listNewest(viewer, query);
}

/** No query: the viewer's documents, newest first (index document(userId, updatedAt)). */
async function listNewest(viewer: Viewer, query: SearchQuery): Promise<SearchResult> {
  const cursor = decodeCursor(query.cursor, "date");
  const where: Prisma.DocumentWhereInput = { userId: viewer.userId };
  if (query.kind) where.kind = query.kind;
  if (query.provider) where.connection = { type: query.provider };
  if (cursor?.t === "date") {
    const u = new Date(cursor.u);
    where.OR = [{ updatedAt: { lt: u } }, { updatedAt: u, id: { lt: cursor.id } }];
  }
  const rows = await db().document.findMany({
    where,
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: query.limit + 1,
    select: {
      id: true,
      externalId: true,
      kind: true,
      title: true,
      text: true,
      url: true,
      author: true,
      updatedAt: true,
      connection: { select: { type: true } },
    },
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    documents: page.map((r) => ({
      id: r.id,
      external_id: r.externalId,
      provider: r.connection.type,
      kind: r.kind,
      title: { text: stripMarkers(r.title), highlights: [] },
      snippet: excerpt(r.text, []),
      author: r.author,
      url: r.url,
      updated_at: r.updatedAt.toISOString(),
    })),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ t: "date", u: last.updatedAt.toISOString(), id: last.id }) : null,
  };
}

interface RankedRow {
  id: string;
  externalId: string;
  kind: string;
  title: string;
  text?: string;
  url: string | null;
  author: string | null;
  updatedAt: unknown;
  provider: string;
  score: number;
  hl_title?: string;
  hl_text?: string;
}

function filters(query: SearchQuery, args: unknown[]): string {
  let sql = "";
  if (query.kind) {
    sql += ` AND d."kind" = ?`;
    args.push(query.kind);
  }
  if (query.provider) {
    sql += ` AND c."type" = ?`;
    args.push(query.provider);
  }
  return sql;
}

function finish(rows: RankedRow[], query: SearchQuery, toHit: (r: RankedRow) => SearchHit): SearchResult {
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    documents: page.map(toHit),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ t: "rank", r: Number(last.score), id: last.id }) : null,
  };
}

interface Ranked {
  fts: number | bigint;
  id: string;
  score: number;
}

const RANK_ROUNDS = 3;

/**
 * The page's keys, best first: (score, FTS5 rowid). Ranking inside the FTS5 table on its own
 * keys is cheap; reading a column of every match (the document id: the whole stored row) or
 * joining every match to "document" to check its owner is not (at 100,000 matches, most of the
 * time). So: rank candidates in the index, keep those the viewer owns (and that pass the
 * filters) with one lookup of just those rows, and widen the candidate window (x4) while the
 * page is not full. When most matches are someone else's (or filtered out), one ranked pass
 * with the join finishes the page.
 */
async function rankSqlite(viewer: Viewer, query: SearchQuery, match: string, cursor: Cursor | null): Promise<Ranked[]> {
  const want = query.limit + 1;
  const out: Ranked[] = [];
  if (cursor?.t === "rank" && cursor.f === undefined) throw badRequest("cursor: not a cursor from this search (start again without it)");
  let after = cursor?.t === "rank" ? { r: cursor.r, f: cursor.f! } : null;
  const join = query.provider ? `JOIN "connection" c ON c."id" = d."connectionId"` : "";
  // Wide enough that a filter keeping one match in ten still fills the page in one round (the
  // ranking costs about the same for any window; the owner lookup is by key).
  let window = Math.max(256, want * 12);
  for (let round = 0; round < RANK_ROUNDS; round++) {
    const args: unknown[] = [match];
    let keyset = "";
    if (after) {
      keyset = ` WHERE (s."score" > ? OR (s."score" = ? AND s."fts" > ?))`;
      args.push(after.r, after.r, after.f);
    }
    args.push(window);
    const candidates = await db().$queryRawUnsafe<{ fts: number | bigint; score: number }[]>(
      `SELECT s.* FROM (
         SELECT f."rowid" AS "fts", bm25("document_fts", 0.0, 10.0, 1.0) AS "score"
           FROM "document_fts" f WHERE "document_fts" MATCH ?
       ) s${keyset}
       ORDER BY s."score" ASC, s."fts" ASC
       LIMIT ?`,
      ...args,
    );
    if (candidates.length === 0) return out;
    // `+d."userId"`: look the rows up by key, not through the user's whole index.
    const ownArgs: unknown[] = [...candidates.map((c) => c.fts), viewer.userId];
    const own = await db().$queryRawUnsafe<{ fts: number | bigint; id: string }[]>(
      `SELECT f."rowid" AS "fts", d."id" AS "id"
         FROM "document_fts" f
         JOIN "document" d ON d."id" = f."documentId"
         ${join}
        WHERE f."rowid" IN (${candidates.map(() => "?").join(",")}) AND +d."userId" = ?${filters(query, ownArgs)}`,
      ...ownArgs,
    );
    const ids = new Map(own.map((r) => [String(r.fts), r.id]));
    for (const c of candidates) {
      const id = ids.get(String(c.fts));
      if (id === undefined) continue;
      out.push({ fts: c.fts, id, score: c.score });
      if (out.length >= want) return out;
    }
    if (candidates.length < window) return out; // every match seen
    const last = candidates.at(-1)!;
    after = { r: Number(last.score), f: Number(last.fts) };
    window *= 4;
  }
  const args: unknown[] = [match, viewer.userId];
  const inner = filters(query, args);
  let outer = "";
  if (after) {
    outer = ` WHERE (s."score" > ? OR (s."score" = ? AND s."fts" > ?))`;
    args.push(after.r, after.r, after.f);
  }
  args.push(want - out.length);
  const rest = await db().$queryRawUnsafe<Ranked[]>(
    `SELECT s.* FROM (
       SELECT f."rowid" AS "fts", d."id" AS "id", bm25("document_fts", 0.0, 10.0, 1.0) AS "score"
         FROM "document_fts" f
         JOIN "document" d ON d."id" = f."documentId"
         ${join}
        WHERE "document_fts" MATCH ? AND d."userId" = ?${inner}
     ) s${outer}
     ORDER BY s."score" ASC, s."fts" ASC
     LIMIT ?`,
    ...args,
  );
  return [...out, ...rest];
}

/**
 * SQLite: FTS5 MATCH, bm25 (lower is better; title counts 10x), keyset on (score, id): the
 * page's keys first (rankSqlite), then the columns, highlight() and snippet() of that page only.
 */
async function searchSqlite(viewer: Viewer, query: SearchQuery, tokens: string[]): Promise<SearchResult> {
  const match = ftsMatchExpression(tokens)!;
  const cursor = decodeCursor(query.cursor, "rank");
  let rows: (RankedRow & { fts: number | bigint })[];
  let more: Ranked | undefined;
  let onPage = new Set<string>();
  try {
    const ranked = await rankSqlite(viewer, query, match, cursor);
    if (ranked.length === 0) return { documents: [], next_cursor: null };
    const marks = ranked.map(() => "?").join(",");
    const details = await db().$queryRawUnsafe<(RankedRow & { fts: number | bigint })[]>(
      `SELECT f."rowid" AS "fts", d."id" AS "id", d."externalId" AS "externalId", d."kind" AS "kind", d."title" AS "title", d."url" AS "url", d."author" AS "author",
              d."updatedAt" AS "updatedAt", c."type" AS "provider",
              highlight("document_fts", 1, char(57344), char(57345)) AS "hl_title",
              snippet("document_fts", 2, char(57344), char(57345), '…', 24) AS "hl_text"
         FROM "document_fts" f
         JOIN "document" d ON d."id" = f."documentId"
         JOIN "connection" c ON c."id" = d."connectionId"
        WHERE "document_fts" MATCH ? AND f."rowid" IN (${marks}) AND +d."userId" = ?`,
      match,
      ...ranked.map((r) => r.fts),
      viewer.userId,
    );
    const byRow = new Map(details.map((d) => [String(d.fts), d]));
    rows = [];
    for (const r of ranked) {
      const d = byRow.get(String(r.fts));
      // Deleted between the two reads: the page is one shorter, nothing else changes.
      if (d) rows.push({ ...d, score: r.score });
    }
    more = ranked.length > query.limit ? ranked[query.limit - 1] : undefined;
    onPage = new Set(ranked.slice(0, query.limit).map((r) => String(r.fts)));
  } catch (error) {
    // The expression is built from quoted tokens, so this should not happen; if FTS5 still
    // rejects it, that is the query's fault (400), not the server's.
    if (error instanceof Error && /fts5|syntax error|unterminated|no such column/i.test(error.message)) {
      throw badRequest("q: could not search for that text; try other words");
    }
    throw error;
  }
  return {
    documents: rows
      .filter((r) => onPage.has(String(r.fts)))
      .map((r) => ({
        id: r.id,
        external_id: r.externalId,
        provider: r.provider,
        kind: r.kind,
        title: parseMarked(r.hl_title ?? r.title),
        snippet: trimSnippet(parseMarked(r.hl_text ?? "")),
        author: r.author,
        url: r.url,
        updated_at: toIso(r.updatedAt),
      })),
    next_cursor: more ? encodeCursor({ t: "rank", r: Number(more.score), id: more.id, f: Number(more.fts) }) : null,
  };
}

/** PostgreSQL: tsvector @@ to_tsquery (GIN index), ts_rank (higher is better), keyset on (score, id). */
async function searchPostgres(viewer: Viewer, query: SearchQuery, tokens: string[]): Promise<SearchResult> {
  const expr = tsQueryExpression(tokens);
  if (!expr) return { documents: [], next_cursor: null };
  const cursor = decodeCursor(query.cursor, "rank");
  // Keyset on the negated rank so both databases page "ascending score".
  const args: unknown[] = [expr, viewer.userId];
  const where = filters(query, args);
  let outer = "";
  if (cursor?.t === "rank") {
    outer = ` WHERE (s."score" > ? OR (s."score" = ? AND s."id" > ?))`;
    args.push(cursor.r, cursor.r, cursor.id);
  }
  args.push(query.limit + 1);
  const sql = `
    SELECT s.* FROM (
      SELECT d."id" AS "id", d."externalId" AS "externalId", d."kind" AS "kind", d."title" AS "title", LEFT(d."text", 20000) AS "text", d."url" AS "url",
             d."author" AS "author", d."updatedAt" AS "updatedAt", c."type" AS "provider",
             (-ts_rank(f."tsv", to_tsquery('simple', ?)))::float8 AS "score"
        FROM "document_fts" f
        JOIN "document" d ON d."id" = f."documentId"
        JOIN "connection" c ON c."id" = d."connectionId"
       WHERE f."tsv" @@ to_tsquery('simple', ?) AND d."userId" = ?${where}
    ) s${outer}
    ORDER BY s."score" ASC, s."id" ASC
    LIMIT ?`;
  // The tsquery is used twice: rank and match.
  const rows = await db().$queryRawUnsafe<RankedRow[]>(sql, expr, ...args);
  return finish(rows, query, (r) => ({
    id: r.id,
    external_id: r.externalId,
    provider: r.provider,
    kind: r.kind,
    title: { text: stripMarkers(r.title), highlights: highlightTokens(stripMarkers(r.title), tokens) },
    snippet: excerpt(r.text ?? "", tokens),
    author: r.author,
    url: r.url,
    updated_at: toIso(r.updatedAt),
  }));
}
