// The real connector (the official @googleapis/gmail SDK) against the Gmail sandbox over real
// HTTP on 127.0.0.1, mounted at /sandbox/gmail as in the app.
import { StaleCheckpointError } from "@/lib/connectors/kit/stale-checkpoint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, ConnectorCredentials, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { isBrokenMessage, brokenKindOf, bodyKindOf, messageFacts, messageId } from "@/lib/sandbox/gmail/data";
import { attachmentSpecOf } from "@/lib/sandbox/gmail/attachments";
import { startGmailSandbox, type GmailSandboxFixture, type GmailTestAccount } from "@/lib/sandbox/gmail/test-helpers";
import { GMAIL_QUOTA, createGmailConnector, gmailConnector, gmailQuotaCost, parseCheckpoint, parseCursor, type GmailCheckpoint, type GmailCursor } from "./connector";



let gm: GmailSandboxFixture;
beforeAll(async () => {
  gm = await startGmailSandbox();
});
afterAll(async () => {
  await gm.close();
});

const LIMITS: SyncLimits = { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10000, maxFolders: 1000 };

interface Recorded {
  stages: string[];
  totals: number[];
  capped: string[];
  /** Every request that went through ctx.fetch: "GET /gmail/v1/users/me/messages?maxResults=500". */
  requests: string[];
  maxInFlight: number;
  signals: number;
}

function makeCtx(
  account: Pick<GmailTestAccount, "accessToken"> & { refreshToken?: string },
  opts: { cursor?: unknown; checkpoint?: unknown; fetch?: typeof fetch; signal?: AbortSignal; limits?: Partial<SyncLimits> } = {},
): { ctx: SyncContext; rec: Recorded } {
  const rec: Recorded = { stages: [], totals: [], capped: [], requests: [], maxInFlight: 0, signals: 0 };
  const inner = opts.fetch ?? globalThis.fetch;
  let inFlight = 0;
  const counting: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    rec.requests.push(`${init?.method ?? "GET"} ${url.pathname.replace(/^\/sandbox\/gmail/, "")}${url.search}`);
    if (init?.signal instanceof AbortSignal) rec.signals++;
    inFlight++;
    rec.maxInFlight = Math.max(rec.maxInFlight, inFlight);
    try {
      return await inner(input, init);
    } finally {
      inFlight--;
    }
  };
  const ctx: SyncContext = {
    signal: opts.signal ?? new AbortController().signal,
    fetch: counting,
    baseUrl: gm.baseUrl,
    credentials: { accessToken: account.accessToken, ...(account.refreshToken ? { refreshToken: account.refreshToken } : {}) },
    cursor: opts.cursor ?? null,
    checkpoint: opts.checkpoint ?? null,
    progress: {
      stage: (w) => rec.stages.push(w),
      total: (n) => rec.totals.push(n),
      phase: () => undefined,
      capped: (note) => rec.capped.push(note),
    },
    limits: { ...LIMITS, ...opts.limits },
  };
  return { ctx, rec };
}

async function run(connector: Connector, ctx: SyncContext, stopAfterPages = Infinity) {
  const pages: SyncPage[] = [];
  const gen = connector.sync(ctx);
  let step = await gen.next();
  let cursor: GmailCursor | undefined;
  while (!step.done) {
    pages.push(step.value);
    if (pages.length >= stopAfterPages) {
      await gen.return({ cursor: null });
      break;
    }
    step = await gen.next();
  }
  if (step.done) cursor = step.value.cursor as GmailCursor;
  return {
    pages,
    cursor,
    docs: pages.flatMap((p) => p.documents),
    ids: pages.flatMap((p) => [...p.documents.map((d) => d.externalId), ...p.failures.map((f) => f.externalId)]),
    failures: pages.flatMap((p) => p.failures),
    checkpoint: pages.at(-1)?.checkpoint as GmailCheckpoint | undefined,
  };
}

/** Message ids newest first, as messages.list gives them. */
const newestFirst = (items: number, upTo = items) => Array.from({ length: upTo }, (_, k) => messageId(items - 1 - k));
const oldestFirst = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => messageId(from + k));
const count = (reqs: string[], re: RegExp) => reqs.filter((r) => re.test(r)).length;
const GET_MESSAGE = /^GET \/gmail\/v1\/users\/me\/messages\/[0-9a-f]{16}\?format=full$/;
const LIST = /^GET \/gmail\/v1\/users\/me\/messages\?/;
const HISTORY = /^GET \/gmail\/v1\/users\/me\/history\?/;
const ATTACHMENT = /^GET \/gmail\/v1\/users\/me\/messages\/[0-9a-f]{16}\/attachments\/ANGjdJ_/;
/** Messages from..to-1 whose attachment is text-like: one messages.attachments.get each. */
const textAttachments = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k).filter((i) => bodyKindOf(i) === "mixed" && attachmentSpecOf(i).text !== null).length;
const ALL_TYPES = "historyTypes=messageAdded&historyTypes=messageDeleted&historyTypes=labelAdded&historyTypes=labelRemoved";

describe("gmail connector: connect and quota", () => {
  it("returns the mailbox address as the account label, with one getProfile", async () => {
    const a = gm.account({ items: 5 });
    const { ctx, rec } = makeCtx(a);
    expect(await gmailConnector.connect(ctx)).toEqual({ accountLabel: "sandbox-user@gmail.com" });
    expect(rec.requests).toEqual(["GET /gmail/v1/users/me/profile"]);
  });

  it("propagates the SDK's 401 (with Google's body) for a bad token", async () => {
    const { ctx } = makeCtx({ accessToken: "ya29.bogus" });
    const err = await gmailConnector.connect(ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, message: expect.stringContaining("invalid authentication credentials") });
    expect((err as { response: { data: { error: { status: string } } } }).response.data.error.status).toBe("UNAUTHENTICATED");
    // The token never shows up in the error (gaxios redacts the Authorization header).
    expect(JSON.stringify((err as { config: unknown }).config)).not.toContain("ya29.bogus");
  });

  it("publishes Gmail's quota: 15,000 units/min, 250/s, by method", () => {
    expect(gmailConnector.quota).toBe(GMAIL_QUOTA);
    expect(GMAIL_QUOTA).toMatchObject({ capacity: 15_000, refillPerSecond: 250, maxConcurrency: 40 });
    const cost = (u: string, m = "GET") => gmailQuotaCost(new URL(u), m);
    for (const root of ["https://gmail.googleapis.com", `${gm.baseUrl}`]) {
      expect(cost(`${root}/gmail/v1/users/me/messages/18c0ffee00000001?format=full`)).toBe(5);
      expect(cost(`${root}/gmail/v1/users/me/messages?maxResults=500`)).toBe(5);
      expect(cost(`${root}/gmail/v1/users/me/history?startHistoryId=1`)).toBe(2);
      expect(cost(`${root}/gmail/v1/users/me/profile`)).toBe(1);
      expect(cost(`${root}/gmail/v1/users/me/messages/send`, "POST")).toBe(100);
    }
    expect(cost(`${gm.baseUrl}/token`, "POST")).toBe(0);
    expect(cost("https://oauth2.googleapis.com/token", "POST")).toBe(0);
  });
});

describe("gmail connector: full sync", () => {
  it("yields every email once with the exact total, and every request goes through ctx.fetch", async () => {
    const items = 1_234;
    const a = gm.account({ items, latency_ms: 2 });
    const { ctx, rec } = makeCtx(a);
    const hitsBefore = gm.hits.length;
    const { pages, docs, failures, cursor, checkpoint } = await run(gmailConnector, ctx);

    expect(failures).toEqual([]);
    expect(docs).toHaveLength(items);
    expect(docs.map((d) => d.externalId)).toEqual(newestFirst(items)); // list order, nothing twice
    expect(rec.totals).toEqual([items]);
    expect(rec.stages).toEqual(["Listing emails…", "Fetching emails…"]);
    expect(rec.capped).toEqual([]);
    expect(cursor).toEqual({ historyId: String(999 + items) });

    // 1 profile + 3 list pages of 500 + one messages.get per email, all of them through ctx.fetch.
    expect(rec.requests[0]).toBe("GET /gmail/v1/users/me/profile");
    expect(LIST.test(rec.requests[1]!)).toBe(true);
    expect(rec.requests.filter((r) => LIST.test(r)).every((r) => r.includes("maxResults=500") && r.includes("includeSpamTrash=false"))).toBe(true);
    // The listing is read as the fetching goes (one page ahead), not all before it.
    const lastList = rec.requests.findLastIndex((r) => LIST.test(r));
    expect(rec.requests.slice(0, lastList).filter((r) => GET_MESSAGE.test(r)).length).toBeGreaterThan(0);
    expect(count(rec.requests, LIST)).toBe(3);
    expect(count(rec.requests, GET_MESSAGE)).toBe(items);
    // ...and one messages.attachments.get per text-like attachment (CSV, notes, JSON).
    expect(count(rec.requests, ATTACHMENT)).toBe(textAttachments(0, items));
    expect(textAttachments(0, items)).toBeGreaterThan(20);
    expect(rec.requests).toHaveLength(1 + 3 + items + textAttachments(0, items));
    expect(gm.hits.length - hitsBefore).toBe(rec.requests.length); // the sandbox saw nothing else
    expect(rec.signals).toBe(rec.requests.length); // each carried an AbortSignal
    expect(rec.maxInFlight).toBeGreaterThan(10);
    expect(rec.maxInFlight).toBeLessThanOrEqual(GMAIL_QUOTA.maxConcurrency);

    // Pages of 100 with a label per email, and a checkpoint that says where it got to.
    expect(pages.map((p) => p.documents.length + p.failures.length)).toEqual([...Array(12).fill(100), 34]);
    for (const p of pages) p.documents.forEach((d, k) => expect(p.labels![k]).toBe(`Email: ${d.title}`));
    expect(checkpoint).toMatchObject({ phase: "full", historyId: String(999 + items), total: items, done: items, last: [messageId(0), messageId(1), messageId(2)] });

    // One document checked field by field against what the sandbox served.
    const i = 1_000;
    const f = messageFacts(i);
    const doc = docs.find((d) => d.externalId === messageId(i))!;
    expect(doc).toEqual({
      externalId: f.id,
      kind: "email",
      title: f.subject?.trim() || "(no subject)",
      text: expect.any(String),
      url: `https://mail.google.com/mail/u/0/#all/${f.threadId}`,
      author: f.from,
      metadata: { threadId: f.threadId, labels: f.labelIds, to: f.to, snippet: expect.any(String), historyId: "2000" },
      createdAt: new Date(f.internalDate),
      updatedAt: new Date(f.internalDate),
    });
    // Threads: several emails share a threadId.
    const perThread = new Map<string, number>();
    for (const d of docs) perThread.set((d.metadata as { threadId: string }).threadId, (perThread.get((d.metadata as { threadId: string }).threadId) ?? 0) + 1);
    expect(Math.max(...perThread.values())).toBe(12);
  }, 20_000);

  it("an empty mailbox completes with nothing, and its cursor", async () => {
    const a = gm.account({ items: 0 });
    const { ctx, rec } = makeCtx(a);
    const { pages, cursor } = await run(gmailConnector, ctx);
    expect(pages).toEqual([]);
    expect(rec.totals).toEqual([0]);
    expect(cursor).toEqual({ historyId: "999" });
  });

  it("maxPages caps the listing: capped() is told, and only what was listed is fetched", async () => {
    const connector = createGmailConnector({ listPageSize: 50, pageSize: 30 });
    const a = gm.account({ items: 250 });
    const { ctx, rec } = makeCtx(a, { limits: { maxPages: 2 } });
    const { docs, cursor, checkpoint } = await run(connector, ctx);
    expect(rec.capped).toEqual(["Stopped after 2 pages of emails (SYNC_MAX_PAGES)"]);
    expect(count(rec.requests, LIST)).toBe(2);
    expect(docs.map((d) => d.externalId)).toEqual(newestFirst(250, 100));
    expect(rec.totals).toEqual([100]);
    expect(cursor).toEqual({ historyId: "1249" });
    expect(checkpoint).toMatchObject({ capped: { pages: 2, lastId: messageId(150) } });
  });
});

describe("gmail connector: incremental sync", () => {
  it("after raising items, fetches only the new emails via history (oldest first)", async () => {
    const connector = createGmailConnector({ historyPageSize: 20 });
    const a = gm.account({ items: 300 });
    const first = await run(connector, makeCtx(a).ctx);
    expect(first.docs).toHaveLength(300);
    expect(first.cursor).toEqual({ historyId: "1299" });

    a.update({ items: 345 });
    const { ctx, rec } = makeCtx(a, { cursor: first.cursor });
    const second = await run(connector, ctx);
    expect(second.docs.map((d) => d.externalId)).toEqual(oldestFirst(300, 345));
    expect(count(rec.requests, GET_MESSAGE)).toBe(45);
    expect(count(rec.requests, LIST)).toBe(0);
    expect(count(rec.requests, HISTORY)).toBe(3); // 45 records, 20 a page
    expect(rec.requests[0]).toBe(`GET /gmail/v1/users/me/history?startHistoryId=1299&${ALL_TYPES}&maxResults=20`);
    expect(rec.stages).toEqual(["Checking for changes…", "Fetching emails…"]);
    expect(rec.totals).toEqual([45]);
    expect(second.cursor).toEqual({ historyId: "1344" });
    expect(second.checkpoint).toMatchObject({ phase: "incremental", startHistoryId: "1299", total: 45, done: 45 });

    // Nothing new: one history request, no pages, the same cursor.
    const third = makeCtx(a, { cursor: second.cursor });
    const none = await run(connector, third.ctx);
    expect(none.pages).toEqual([]);
    expect(third.rec.requests).toEqual([`GET /gmail/v1/users/me/history?startHistoryId=1344&${ALL_TYPES}&maxResults=20`]);
    expect(third.rec.totals).toEqual([0]);
    expect(none.cursor).toEqual({ historyId: "1344" });
  });

  it("expired history (404): says so and falls back to a full resync", async () => {
    const a = gm.account({ items: 120 });
    const first = await run(gmailConnector, makeCtx(a).ctx);
    a.update({ items: 130, fault: "expired_cursor" });
    const { ctx, rec } = makeCtx(a, { cursor: first.cursor });
    const { docs, failures, cursor } = await run(gmailConnector, ctx);
    expect(rec.stages).toEqual(["Checking for changes…", "History expired — full resync", "Listing emails…", "Fetching emails…"]);
    expect(failures).toEqual([]);
    expect(docs.map((d) => d.externalId)).toEqual(newestFirst(130));
    expect(rec.totals).toEqual([130]);
    expect(cursor).toEqual({ historyId: "1129" });
    expect(rec.requests[0]).toMatch(/^GET \/gmail\/v1\/users\/me\/history\?startHistoryId=1119&/);
  });

  it("an unusable cursor means a full sync", async () => {
    const a = gm.account({ items: 15 });
    for (const cursor of [{ historyId: "abc" }, { since: "2025-01-01" }, "1234", []]) {
      const { ctx, rec } = makeCtx(a, { cursor });
      const { docs } = await run(gmailConnector, ctx);
      expect(docs).toHaveLength(15);
      expect(rec.stages[0]).toBe("Listing emails…");
    }
    expect(parseCursor({ historyId: 1299 })).toEqual({ historyId: "1299" });
  });
});

describe("gmail connector: checkpoints", () => {
  const connector = createGmailConnector({ listPageSize: 40, pageSize: 25, concurrency: 8 });

  it("resumes a full sync without losing or repeating an email, and without listing everything again", async () => {
    const items = 230;
    const a = gm.account({ items });
    const whole = await run(connector, makeCtx(a).ctx);
    expect(whole.ids).toEqual(newestFirst(items));
    expect(whole.pages).toHaveLength(10);

    for (const stopAfter of [1, 3, 7, 9]) {
      const partial = await run(connector, makeCtx(a).ctx, stopAfter);
      const checkpoint = JSON.parse(JSON.stringify(partial.checkpoint)) as GmailCheckpoint; // as the engine stores it
      expect(checkpoint).toMatchObject({ phase: "full", historyId: "1229", total: items, done: stopAfter * 25 });
      const { ctx, rec } = makeCtx(a, { checkpoint });
      const rest = await run(connector, ctx);
      expect([...partial.ids, ...rest.ids]).toEqual(newestFirst(items)); // nothing lost, nothing twice, same order
      expect(rest.cursor).toEqual(whole.cursor);
      expect(rec.totals).toEqual([items]); // the first attempt's total
      // Listing resumes at the page that held the last handled email: 6 pages of 40 in all.
      const listPageOfLast = Math.floor((stopAfter * 25 - 1) / 40);
      expect(count(rec.requests, LIST)).toBe(6 - listPageOfLast);
      expect(count(rec.requests, /profile/)).toBe(0);
    }
  }, 20_000); // four syncs of 230 emails (and their attachments) on a shared, loaded machine

  it("resumes exactly when mail arrived in between, and the next incremental sync gets that mail", async () => {
    const a = gm.account({ items: 230 });
    const partial = await run(connector, makeCtx(a).ctx, 4);
    a.update({ items: 260 });
    const rest = await run(connector, makeCtx(a, { checkpoint: partial.checkpoint }).ctx);
    expect([...partial.ids, ...rest.ids]).toEqual(newestFirst(230));
    expect(rest.cursor).toEqual({ historyId: "1229" }); // read before the original listing
    const next = await run(connector, makeCtx(a, { cursor: rest.cursor }).ctx);
    expect(next.ids).toEqual(oldestFirst(230, 260));
  });

  it("falls back to listing from the start when the saved page token is refused, and calls the checkpoint stale when the ids are gone", async () => {
    const a = gm.account({ items: 120 });
    const partial = await run(connector, makeCtx(a).ctx, 2);
    const cp = partial.checkpoint as Extract<GmailCheckpoint, { phase: "full" }>;
    expect(cp.pageToken).toMatch(/^\d{20}$/);

    const badToken = makeCtx(a, { checkpoint: { ...cp, pageToken: "12345" } });
    const r1 = await run(connector, badToken.ctx);
    expect([...partial.ids, ...r1.ids]).toEqual(newestFirst(120));
    expect(badToken.rec.requests[0]).toBe("GET /gmail/v1/users/me/messages?maxResults=40&includeSpamTrash=false&pageToken=12345");
    expect(badToken.rec.requests[1]).toBe("GET /gmail/v1/users/me/messages?maxResults=40&includeSpamTrash=false");

    // Where the last run stopped is not listed any more: continuing "from the count" would skip
    // or repeat emails, so the engine is told to list again from the start.
    const unknownIds = makeCtx(a, { checkpoint: { ...cp, last: ["ffffffffffffffff"] } });
    await expect(run(connector, unknownIds.ctx)).rejects.toBeInstanceOf(StaleCheckpointError);

    // The mailbox shrank below what the run still had to do: stale too.
    a.update({ items: 60 });
    await expect(run(connector, makeCtx(a, { checkpoint: cp }).ctx)).rejects.toMatchObject({ name: "StaleCheckpointError", why: expect.stringMatching(/no longer listed|shrank/) });
    a.update({ items: 120 });

    // A checkpoint that says "all done" finishes at once with its cursor.
    const done = makeCtx(a, { checkpoint: { ...cp, done: 120 } });
    expect(await run(connector, done.ctx)).toMatchObject({ pages: [], cursor: { historyId: "1119" } });
    expect(done.rec.requests).toEqual([]);
  });

  it("resumes an incremental sync", async () => {
    const a = gm.account({ items: 100 });
    const first = await run(connector, makeCtx(a).ctx);
    a.update({ items: 180 });
    const partial = await run(connector, makeCtx(a, { cursor: first.cursor }).ctx, 2);
    expect(partial.checkpoint).toMatchObject({ phase: "incremental", startHistoryId: "1099", total: 80, done: 50 });
    const { ctx, rec } = makeCtx(a, { cursor: first.cursor, checkpoint: JSON.parse(JSON.stringify(partial.checkpoint)) });
    const rest = await run(connector, ctx);
    expect([...partial.ids, ...rest.ids]).toEqual(oldestFirst(100, 180));
    expect(rest.cursor).toEqual({ historyId: "1179" });
    expect(rec.totals).toEqual([80]);
  });

  it("resumes a capped full sync within the same cap", async () => {
    const capped = createGmailConnector({ listPageSize: 50, pageSize: 30 });
    const a = gm.account({ items: 250 });
    const partial = await run(capped, makeCtx(a, { limits: { maxPages: 2 } }).ctx, 2);
    const { ctx, rec } = makeCtx(a, { checkpoint: partial.checkpoint, limits: { maxPages: 2 } });
    const rest = await run(capped, ctx);
    expect([...partial.ids, ...rest.ids]).toEqual(newestFirst(250, 100));
    expect(rec.capped).toEqual(["Stopped after 2 pages of emails (SYNC_MAX_PAGES)"]);
  });

  it("ignores a checkpoint it cannot read", () => {
    expect(parseCheckpoint({ phase: "full", total: 1 })).toBeUndefined();
    expect(parseCheckpoint({ phase: "other", total: 1, done: 0 })).toBeUndefined();
    expect(parseCheckpoint(null)).toBeUndefined();
    expect(parseCheckpoint({ phase: "incremental", startHistoryId: "5", total: 3, done: 1, last: ["a", 4, "b", "c", "d"] })).toEqual({
      phase: "incremental",
      startHistoryId: "5",
      total: 3,
      done: 1,
      last: ["a", "b", "c"],
    });
  });
});

describe("gmail connector: faults", () => {
  it("item_errors: failures with readable reasons, the rest are documents", async () => {
    const a = gm.account({ items: 120, fault: "item_errors" });
    const { ctx, rec } = makeCtx(a);
    const { docs, failures } = await run(gmailConnector, ctx);
    const broken = Array.from({ length: 120 }, (_, i) => i).filter(isBrokenMessage);
    expect(failures).toHaveLength(12);
    expect(docs).toHaveLength(120 - 12);
    expect(rec.totals).toEqual([120]);
    expect(new Set(failures.map((f) => f.externalId))).toEqual(new Set(broken.map(messageId)));
    for (const f of failures) {
      const i = broken.find((k) => messageId(k) === f.externalId)!;
      if (brokenKindOf(i) === "deleted") {
        expect(f).toEqual({
          externalId: messageId(i),
          reason: "This email was deleted in Gmail after the sync listed it, so there was nothing to read. Nothing to do.",
          detail: "HTTP 404: Requested entity was not found.",
        });
      } else {
        expect(f).toEqual({
          externalId: messageId(i),
          reason: `This email was deleted in Gmail while 2nd Brain was reading its attachment “figures-${i}.csv”, so it was left out. Nothing to do.`,
          detail: "messages.attachments.get: HTTP 404: Requested entity was not found.",
        });
      }
    }
  });

  it("expired token: 401 propagates; an engine-like fetch that refreshes once on 401 completes the sync", async () => {
    const a = gm.account({ items: 60 });
    gm.auth.expireAccessTokens(a.key);
    await expect(run(gmailConnector, makeCtx(a).ctx)).rejects.toMatchObject({ status: 401 });

    // Like lib/sync/provider-fetch: on 401, refresh (shared), update the credentials in place, retry once.
    let refreshes = 0;
    let credentials: ConnectorCredentials;
    let refreshing: Promise<string> | null = null;
    const engineFetch: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      const res = await fetch(input, { ...init, headers });
      if (res.status !== 401) return res;
      await res.arrayBuffer();
      const used = headers.get("authorization")?.split(" ")[1];
      const fresh =
        used !== credentials.accessToken
          ? credentials.accessToken
          : await (refreshing ??= gmailConnector
              .refresh!(credentials, { fetch, signal: new AbortController().signal, tokenUrl: gm.tokenUrl, clientId: "cid" })
              .then((c) => {
                refreshes++;
                Object.assign(credentials, c);
                return c.accessToken;
              }));
      headers.set("authorization", `Bearer ${fresh}`);
      return fetch(input, { ...init, headers });
    };
    const { ctx, rec } = makeCtx(a, { fetch: engineFetch });
    credentials = ctx.credentials;
    const { docs } = await run(gmailConnector, ctx);
    expect(docs).toHaveLength(60);
    expect(refreshes).toBe(1);
    expect(ctx.credentials.accessToken).not.toBe(a.accessToken);
    expect(ctx.credentials.refreshToken).toBe(a.refreshToken);
    expect(rec.requests).toHaveLength(1 + 1 + 60 + textAttachments(0, 60)); // the retry happened inside the fetch, not as a new SDK request
  });

  it("rate_limit: 429 and 403 userRateLimitExceeded arrive with Retry-After; waiting them out completes the sync", async () => {
    const a = gm.account({ items: 60, fault: "rate_limit" }); // 1 + 5 + 300 units > 250 per 2 s
    await expect(run(gmailConnector, makeCtx(a).ctx)).rejects.toMatchObject({ kind: "rate_limit", status: 429 });

    const b = gm.account({ items: 60, fault: "rate_limit" });
    const refusals: Array<[number, string | null]> = [];
    const waitingFetch: typeof fetch = async (input, init) => {
      for (;;) {
        const res = await fetch(input, init);
        if (res.status !== 429 && res.status !== 403) return res;
        refusals.push([res.status, res.headers.get("retry-after")]);
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after")) * 1000));
      }
    };
    const t0 = performance.now();
    const { docs } = await run(createGmailConnector({ concurrency: 10 }), makeCtx(b, { fetch: waitingFetch }).ctx);
    expect(docs).toHaveLength(60);
    expect(refusals.length).toBeGreaterThan(1);
    expect(new Set(refusals.map(([s]) => s))).toEqual(new Set([429, 403]));
    for (const [, retryAfter] of refusals) expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(performance.now() - t0).toBeGreaterThan(900);
  }, 15_000);

  it("a 403 userRateLimitExceeded that reaches the connector reads as a rate limit, not as 'reconnect'", async () => {
    const a = gm.account({ items: 60, fault: "rate_limit" });
    let seen403 = false;
    const only403: typeof fetch = async (input, init) => {
      for (;;) {
        const res = await fetch(input, init);
        if (res.status === 429) {
          await res.arrayBuffer();
          continue; // skip the 429s: hand the next 403 to the SDK
        }
        if (res.status === 403) seen403 = true;
        return res;
      }
    };
    const err = await run(createGmailConnector({ concurrency: 1 }), makeCtx(a, { fetch: only403 }).ctx).catch((e: unknown) => e);
    expect(seen403).toBe(true);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ kind: "rate_limit", status: 403, message: "Gmail's per-user rate limit was exceeded; try again in a few minutes." });
  });

  it("hang: aborting ctx.signal ends the sync promptly", async () => {
    const a = gm.account({ items: 50, fault: "hang" });
    const controller = new AbortController();
    const { ctx } = makeCtx(a, { signal: controller.signal });
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error("stalled")), 200);
    await expect(run(gmailConnector, ctx)).rejects.toBeTruthy();
    expect(performance.now() - t0).toBeLessThan(1_500);
  });

  it("hang while fetching: aborting ctx.signal ends the pending page promptly", async () => {
    const a = gm.account({ items: 300 });
    const controller = new AbortController();
    const { ctx } = makeCtx(a, { signal: controller.signal });
    const gen = createGmailConnector({ pageSize: 50, concurrency: 20 }).sync(ctx);
    expect((await gen.next()).done).toBe(false);
    a.update({ fault: "hang" }); // what is still to be fetched now hangs
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error("stalled")), 200);
    await expect(async () => {
      for (;;) if ((await gen.next()).done) break;
    }).rejects.toThrow("stalled");
    expect(performance.now() - t0).toBeLessThan(1_500);
  });

  it("closing the generator between pages aborts the fetches already in flight", async () => {
    const a = gm.account({ items: 300, latency_ms: 250 });
    let inFlight = 0;
    let aborted = 0;
    const tracking: typeof fetch = async (input, init) => {
      inFlight++;
      try {
        return await fetch(input, init);
      } catch (err) {
        if (init?.signal?.aborted) aborted++;
        throw err;
      } finally {
        inFlight--;
      }
    };
    const { ctx } = makeCtx(a, { fetch: tracking });
    const gen = createGmailConnector({ pageSize: 50, concurrency: 20 }).sync(ctx);
    expect((await gen.next()).done).toBe(false);
    expect(inFlight).toBeGreaterThan(0); // the next pages are being fetched ahead
    const t0 = performance.now();
    await gen.return({ cursor: null });
    while (inFlight > 0 && performance.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 5));
    expect(inFlight).toBe(0);
    expect(performance.now() - t0).toBeLessThan(200); // before the 250 ms latency is over
    expect(aborted).toBeGreaterThan(0);
  });

  it("malformed and server_error faults fail with readable errors", async () => {
    const m = gm.account({ items: 50, fault: "malformed" });
    const err = await run(gmailConnector, makeCtx(m).ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ kind: "malformed" });
    expect((err as Error).message).toMatch(/^Gmail sent a malformed response for the message list: expected a JSON object, got \d+ characters of unparseable text$/);

    const s = gm.account({ items: 50, fault: "server_error" });
    const e2 = await run(gmailConnector, makeCtx(s).ctx).catch((e: unknown) => e);
    expect(e2).toMatchObject({ status: expect.any(Number) });
    expect([500, 503]).toContain((e2 as { status: number }).status);
  });
});

describe("gmail connector: refresh", () => {
  it("trades the refresh token at the token endpoint (form-encoded), keeping the refresh token", async () => {
    const a = gm.account({ items: 5 });
    const bodies: string[] = [];
    const spy: typeof fetch = async (input, init) => {
      bodies.push(String(init?.body));
      expect(new Headers(init?.headers).get("content-type")).toBe("application/x-www-form-urlencoded");
      return fetch(input, init);
    };
    const before = Date.now();
    const fresh = await gmailConnector.refresh!(
      { accessToken: a.accessToken, refreshToken: a.refreshToken },
      { fetch: spy, signal: new AbortController().signal, tokenUrl: gm.tokenUrl, clientId: "client-1", clientSecret: "s3cret" },
    );
    expect(Object.fromEntries(new URLSearchParams(bodies[0]))).toEqual({
      grant_type: "refresh_token",
      refresh_token: a.refreshToken,
      client_id: "client-1",
      client_secret: "s3cret",
    });
    expect(fresh.accessToken).not.toBe(a.accessToken);
    expect(fresh.refreshToken).toBe(a.refreshToken);
    const expires = Date.parse(fresh.expiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    // The new token works.
    const { docs } = await run(gmailConnector, makeCtx({ accessToken: fresh.accessToken }).ctx);
    expect(docs).toHaveLength(5);
  });

  it("invalid_grant -> SyncError('auth', 'Google refused to renew access. Reconnect Gmail.')", async () => {
    const a = gm.account({ items: 1 });
    gm.auth.revokeRefreshTokens(a.key);
    const rctx = { fetch, signal: new AbortController().signal, tokenUrl: gm.tokenUrl };
    const err = await gmailConnector.refresh!({ accessToken: a.accessToken, refreshToken: a.refreshToken }, rctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ kind: "auth", status: 400, message: "Google refused to renew access. Reconnect Gmail." });
    await expect(gmailConnector.refresh!({ accessToken: "x" }, rctx)).rejects.toMatchObject({ kind: "auth" });
    // A token endpoint in trouble is not the user's fault.
    const down: typeof fetch = async () => new Response("oops", { status: 503 });
    await expect(gmailConnector.refresh!({ accessToken: "x", refreshToken: "r" }, { ...rctx, fetch: down })).rejects.toMatchObject({ kind: "provider", status: 503 });
  });
});
