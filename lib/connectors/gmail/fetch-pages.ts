// messages.get for the ids a listing hands out: bounded concurrency, a few pages in flight ahead
// of the one the engine is writing, and the page (with its checkpoint) the connector yields.
import { setMaxListeners } from "node:events";
import type { DocumentInput, ItemFailure, SyncContext, SyncPage } from "@/lib/connectors/types";
import { Limiter } from "@/lib/connectors/kit/concurrency";
import type { GmailApi } from "./client";
import { readEmail, type FetchResult } from "./read-email";
import type { GmailCheckpoint } from "./types";

/**
 * Fetches the ids `take` hands out, in order, `concurrency` at a time, and yields them in pages
 * of `pageSize` (with the page's ids). Up to a few pages are in flight ahead of the one being
 * yielded, so the engine writing a page never leaves the connection idle; messages are held
 * only for those pages. `take(n)` gives the next ids (fewer at the end, none when done); it
 * may list more on the way. Closing the generator (or one fetch failing) stops the rest.
 */
export async function* fetchPages(
  api: GmailApi,
  ctx: SyncContext,
  take: (n: number) => Promise<string[]>,
  opts: {
    /** messages.get in flight at most (the engine's pacing), and per yielded page. */
    concurrency: number;
    pageSize: number;
    /** messages.get in flight at once (the streamed listing keeps one slot for its list request). */
    slots?: number;
  },
): AsyncGenerator<{ ids: string[]; results: FetchResult[] }, void, void> {
  const { concurrency, pageSize, slots = concurrency } = opts;
  const controller = new AbortController();
  const ahead = Math.max(2, Math.ceil(concurrency / pageSize) + 1);
  // Every queued and in-flight fetch listens to it (all removed when they settle).
  setMaxListeners(ahead * pageSize + concurrency + 16, controller.signal);
  const onAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });
  const limiter = new Limiter(Math.max(1, slots));
  let firstError: { error: unknown } | undefined;

  const fetchOne = async (id: string): Promise<FetchResult> => {
    try {
      return await readEmail(api, id, controller.signal);
    } catch (err) {
      if (!firstError && !controller.signal.aborted) {
        firstError = { error: err };
        controller.abort(err);
      }
      throw err;
    }
  };

  const pages: Array<Promise<{ ids: string[]; results: FetchResult[] }>> = [];
  let exhausted = false;
  // One take at a time, in order: page k's fetches queue up before page k+1's.
  let taking: Promise<unknown> = Promise.resolve();
  const startPage = () => {
    const chunk = taking.then(async () => {
      if (exhausted) return [];
      const ids = await take(pageSize);
      if (ids.length === 0) exhausted = true;
      return ids;
    });
    taking = chunk.catch(() => undefined);
    const page = chunk.then(async (ids) => ({ ids, results: await Promise.all(ids.map((id) => limiter.run(() => fetchOne(id), controller.signal))) }));
    page.catch(() => undefined); // awaited later; never an unhandled rejection meanwhile
    pages.push(page);
  };
  try {
    for (let k = 0; k < ahead; k++) startPage();
    while (pages.length > 0) {
      let page: { ids: string[]; results: FetchResult[] };
      try {
        page = await pages.shift()!;
      } catch (err) {
        ctx.signal.throwIfAborted();
        throw firstError ? firstError.error : err;
      }
      if (page.ids.length === 0) break; // the ids ran out (every later page is empty too)
      startPage();
      yield page;
    }
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    if (!controller.signal.aborted) controller.abort(new Error("Gmail fetch stopped"));
  }
}

/** take() over a list held in memory, from index `from`. */
export function takeFrom(ids: readonly string[], from: number): (n: number) => Promise<string[]> {
  let next = from;
  return async (n) => {
    const chunk = ids.slice(next, next + n);
    next += chunk.length;
    return chunk;
  };
}

export function toPage(results: FetchResult[], checkpoint: GmailCheckpoint, alsoRemoved: readonly string[] = []): SyncPage {
  const documents: DocumentInput[] = [];
  const failures: ItemFailure[] = [];
  const labels: string[] = [];
  const removed: string[] = [...alsoRemoved];
  for (const r of results) {
    if (r.ok === true) {
      documents.push(r.document);
      labels.push(r.label);
    } else if (r.ok === "removed") {
      removed.push(r.externalId);
    } else {
      failures.push(r.failure);
      // Gone at Gmail: a copy an earlier run stored must not stay in the library.
      if ("gone" in r) removed.push(r.failure.externalId);
    }
  }
  return { documents, failures, labels, checkpoint, ...(removed.length ? { removed } : {}) };
}

export const lastOf = (ids: readonly string[], end: number, from: number, previous: string[]): string[] =>
  [...ids.slice(Math.max(from, end - 3), end).reverse(), ...previous].slice(0, 3);
