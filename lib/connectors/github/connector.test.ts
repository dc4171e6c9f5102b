// The real connector (real Octokit) against the GitHub sandbox over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, ConnectorCredentials, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import { countBelow, itemIndex, repoCount, repoName, updatedAtMs, isoSeconds } from "@/lib/sandbox/github/data";
import { startGithubSandbox, type GithubSandboxFixture } from "@/lib/sandbox/github/test-helpers";
import { GITHUB_QUOTA, createGithubConnector, githubConnector, type GithubCheckpoint, type GithubCursor } from "./connector";

// What a person reads for an item that could not be read; the schema reason is its detail.
const UNREADABLE = "GitHub sent this item in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.";


let gh: GithubSandboxFixture;
beforeAll(async () => {
  gh = await startGithubSandbox();
});
afterAll(async () => {
  await gh.close();
});

interface Sent {
  url: string;
  status: number;
  ifNoneMatch: string | null;
  remaining: string | null;
}

interface Recorded {
  stages: string[];
  totals: number[];
  capped: string[];
  requests: string[];
  sent: Sent[];
}

const LIMITS: SyncLimits = { maxPages: 1_000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1_000 };

function makeCtx(
  token: string,
  opts: {
    cursor?: unknown;
    checkpoint?: unknown;
    fetch?: typeof fetch;
    signal?: AbortSignal;
    limits?: Partial<SyncLimits>;
    /** The engine hands connect() and sync() one credentials object. */
    credentials?: ConnectorCredentials;
  } = {},
): { ctx: SyncContext; rec: Recorded } {
  const rec: Recorded = { stages: [], totals: [], capped: [], requests: [], sent: [] };
  const inner = opts.fetch ?? globalThis.fetch;
  const counting: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    rec.requests.push(url);
    const res = await inner(input, init);
    const ifNoneMatch = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get("if-none-match");
    rec.sent.push({ url, status: res.status, ifNoneMatch, remaining: res.headers.get("x-ratelimit-remaining") });
    return res;
  };
  const ctx: SyncContext = {
    signal: opts.signal ?? new AbortController().signal,
    fetch: counting,
    baseUrl: gh.baseUrl,
    credentials: opts.credentials ?? { accessToken: token },
    cursor: opts.cursor ?? null,
    checkpoint: opts.checkpoint ?? null,
    progress: {
      stage: (w) => rec.stages.push(w),
      total: (n) => rec.totals.push(n),
      phase: () => {},
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
  while (!step.done) {
    pages.push(step.value);
    if (pages.length >= stopAfterPages) {
      await gen.return({ cursor: null });
      return { pages, cursor: undefined, docs: pages.flatMap((p) => p.documents), failures: pages.flatMap((p) => p.failures) };
    }
    step = await gen.next();
  }
  const cursor = step.value.cursor as GithubCursor;
  return { pages, cursor, docs: pages.flatMap((p) => p.documents), failures: pages.flatMap((p) => p.failures) };
}

/**
 * Requests to read c items at perPage with `since` keyset paging (each later page re-reads one
 * boundary item; a full page is never taken for the last one, so c === perPage needs two).
 */
function pagesFor(c: number, perPage: number): number {
  return c < perPage ? 1 : 1 + pagesFor(c - perPage + 1, perPage);
}

function withoutTallyEtags(cursor: GithubCursor | undefined): unknown {
  if (!cursor?.tally) return cursor;
  return { ...cursor, tally: Object.fromEntries(Object.entries(cursor.tally).map(([k, t]) => [k, { top: t.top, known: t.known }])) };
}

/** Every externalId the sandbox holds for `items` items. */
function allIds(items: number, login = "sandbox-user"): string[] {
  const ids: string[] = [];
  for (let j = 0; j < repoCount(items); j++) {
    for (let r = 0; r < countBelow(j, items); r++) ids.push(`${login}/${repoName(j)}#${r + 1}`);
  }
  return ids.sort();
}

describe("github connector: connect", () => {
  it("returns the login as the account label", async () => {
    const { token } = gh.account({ items: 5 });
    const { ctx, rec } = makeCtx(token);
    expect(await githubConnector.connect(ctx)).toEqual({ accountLabel: "sandbox-user" });
    expect(rec.requests).toEqual([`${gh.baseUrl}/user`]);
  });

  it("propagates Octokit's 401 for a bad token", async () => {
    const { ctx } = makeCtx("not-a-token");
    await expect(githubConnector.connect(ctx)).rejects.toMatchObject({ status: 401, message: expect.stringContaining("Bad credentials") });
  });
});

describe("github connector: sync", () => {
  it("full sync yields exactly every item, and the total it reported", async () => {
    const items = 2_600; // 20 repositories
    const { token } = gh.account({ items });
    const { ctx, rec } = makeCtx(token);
    const { pages, docs, failures, cursor } = await run(githubConnector, ctx);

    expect(failures).toEqual([]);
    expect(docs).toHaveLength(items);
    expect(docs.map((d) => d.externalId).sort()).toEqual(allIds(items));
    expect(rec.totals).toEqual([items]);
    expect(rec.stages).toEqual(["Listing repositories…", "Counting issues and pull requests…", "Fetching issues and pull requests…"]);
    const pageCount = Array.from({ length: 20 }, (_, j) => pagesFor(countBelow(j, items), 100)).reduce((a, b) => a + b, 0);
    expect(pageCount).toBeGreaterThan(20); // some repositories need several pages
    // 1 repository list + 20 counts + the pages + a deletion probe for each repository whose
    // next listing starts at a `since` (more than one page: the probe's ETag for next time).
    const multiPage = Array.from({ length: 20 }, (_, j) => pagesFor(countBelow(j, items), 100)).filter((p) => p > 1).length;
    expect(multiPage).toBeGreaterThan(0);
    expect(multiPage).toBeLessThan(20);
    expect(rec.requests).toHaveLength(1 + 20 + pageCount + multiPage);
    expect(rec.requests.filter((u) => /sort=created/.test(u) && /per_page=1(&|$)/.test(u))).toHaveLength(multiPage);
    expect(Object.keys(cursor!.tally ?? {})).toHaveLength(20);
    expect(pages).toHaveLength(pageCount);
    for (const p of pages) {
      expect(p.labels).toHaveLength(p.documents.length);
      p.documents.forEach((d, k) => expect(p.labels![k]).toBe(`${d.kind === "pull_request" ? "Pull request" : "Issue"}: ${d.title}`));
    }
    expect(new Set(docs.map((d) => d.kind))).toEqual(new Set(["issue", "pull_request"]));
    const sample = docs.find((d) => d.externalId === "sandbox-user/atlas-1#1")!;
    expect(sample).toMatchObject({
      kind: expect.stringMatching(/^(issue|pull_request)$/),
      url: expect.stringMatching(/^https:\/\/github\.com\/sandbox-user\/atlas-1\/(issues|pull)\/1$/),
      metadata: { repo: "sandbox-user/atlas-1", number: 1, state: "open", labels: expect.any(Array) },
      updatedAt: new Date("2026-01-01T00:00:00Z"),
    });
    // Repositories are fetched in full_name order, and the last checkpoint says "all done".
    const order = [...new Set(docs.map((d) => d.externalId.split("#")[0]))];
    expect(order).toEqual([...order].sort());
    expect(pages.at(-1)!.checkpoint).toMatchObject({ repoIndex: 20, page: 1, after: order.at(-1) });
    expect(cursor!.since).toBe(isoSeconds(updatedAtMs(items - 1)));
    expect(Object.keys(cursor!.repos)).toHaveLength(20);
  });

  it("incremental sync after raising items 120 -> 130 fetches exactly the new ones", async () => {
    const { token, account } = gh.account({ items: 120 });
    const first = await run(githubConnector, makeCtx(token).ctx);
    expect(first.docs).toHaveLength(120);
    expect(first.cursor!.since).toBe("2026-01-01T01:59:00Z"); // item 119
    // Each repository fits one page: the next run starts with that very request, conditionally.
    for (let j = 0; j < 3; j++) {
      const name = `sandbox-user/${repoName(j)}`;
      expect(first.cursor!.etags.issues[name]).toEqual({ etag: expect.stringMatching(/^W\//), since: null, page: 1, perPage: 100 });
      expect(first.cursor!.boundary[name]).toEqual([`${name}#${countBelow(j, 120)}`]);
    }

    account.scenario = { ...account.scenario, items: 130 };
    const { ctx, rec } = makeCtx(token, { cursor: first.cursor });
    const second = await run(githubConnector, ctx);
    const ids = second.docs.map((d) => d.externalId).sort();
    const newIds = allIds(130).filter((id) => !allIds(120).includes(id));
    expect(newIds).toHaveLength(10);
    expect(ids).toEqual(newIds.sort()); // nothing already synced comes again
    expect(rec.totals).toEqual([10]);
    expect(second.cursor!.since).toBe("2026-01-01T02:09:00Z"); // item 129
    // The repository list and each repository's page changed (200); the page the survey got
    // is the one the fetch uses: 1 + 3 requests in all. That page lists the whole repository
    // (no `since`), so it also shows that nothing was deleted: no deletion probe.
    expect(rec.sent.map((r) => [r.status, r.ifNoneMatch !== null])).toEqual(Array.from({ length: 4 }, () => [200, true]));

    // Nothing changed: 304s only, nothing yielded, the same cursor.
    const third = makeCtx(token, { cursor: second.cursor });
    const again = await run(githubConnector, third.ctx);
    expect(again.pages).toEqual([]);
    expect(third.rec.sent.map((r) => r.status)).toEqual([304, 304, 304, 304]);
    expect(third.rec.totals).toEqual([0]);
    expect(again.cursor).toEqual(second.cursor);
  });

  it("a cursor from before ETags (since per repository only) still syncs incrementally", async () => {
    const { token, account } = gh.account({ items: 120 });
    const first = await run(githubConnector, makeCtx(token).ctx);
    const old = { since: first.cursor!.since, repos: first.cursor!.repos };
    account.scenario = { ...account.scenario, items: 130 };
    const { ctx, rec } = makeCtx(token, { cursor: old });
    const second = await run(githubConnector, ctx);
    const ids = second.docs.map((d) => d.externalId);
    const newIds = allIds(130).filter((id) => !allIds(120).includes(id));
    for (const id of newIds) expect(ids).toContain(id);
    // Without the boundary keys, each repository's newest already-synced item comes once more.
    const boundary = [0, 1, 2].map((j) => `sandbox-user/${repoName(j)}#${countBelow(j, 120)}`);
    expect(ids.filter((id) => !newIds.includes(id)).sort()).toEqual(boundary.sort());
    expect(rec.totals).toEqual([ids.length]);
    // Listings start at each repository's position; without a tally, the deletion check lists
    // the repository's numbers once (sort=created) to learn it.
    for (const q of rec.requests.filter((u) => u.includes("/issues?") && !u.includes("sort=created"))) expect(new URL(q).searchParams.get("since")).not.toBeNull();
    for (let j = 0; j < 3; j++) {
      expect(second.cursor!.tally![`sandbox-user/${repoName(j)}`]).toEqual({ top: countBelow(j, 130), known: countBelow(j, 130) });
    }
    expect(second.cursor!.since).toBe("2026-01-01T02:09:00Z");
  });

  it("resumes from a checkpoint without losing or repeating a page", async () => {
    const connector = createGithubConnector({ perPage: 10 });
    const { token } = gh.account({ items: 120 });
    const whole = await run(connector, makeCtx(token).ctx);
    expect(whole.docs).toHaveLength(120);
    const perRepo = [0, 1, 2].map((j) => pagesFor(countBelow(j, 120), 10));
    expect(perRepo).toEqual([9, 4, 1]); // 82, 32 and 6 items
    expect(whole.pages).toHaveLength(14);

    for (const stopAfter of [2, 9, 11]) {
      const partial = await run(connector, makeCtx(token).ctx, stopAfter);
      const checkpoint = partial.pages.at(-1)!.checkpoint as GithubCheckpoint;
      // After page 2: inside the first repository; after 9: it is done; after 11: inside the second.
      expect(checkpoint).toMatchObject(
        stopAfter === 9
          ? { repoIndex: 1, page: 1, after: "sandbox-user/atlas-1" }
          : { repoIndex: stopAfter === 2 ? 0 : 1, page: 1, repo: stopAfter === 2 ? "sandbox-user/atlas-1" : "sandbox-user/nimbus-2" },
      );
      // JSON round trip, as the engine stores it.
      const { ctx, rec } = makeCtx(token, { checkpoint: JSON.parse(JSON.stringify(checkpoint)) });
      const rest = await run(connector, ctx);
      const ids = [...partial.docs, ...rest.docs].map((d) => d.externalId);
      expect(ids).toHaveLength(120); // nothing repeated
      expect(ids.sort()).toEqual(allIds(120)); // nothing lost
      // The same cursor, except that a repository interrupted mid-way has its deletion tally from
      // a full listing of numbers, without a probe ETag (the next run's probe is unconditional).
      expect(withoutTallyEtags(rest.cursor)).toEqual(withoutTallyEtags(whole.cursor));
      expect(rec.totals).toEqual([120]); // the whole run's total, as on the first attempt
    }

    // The plain { repoIndex, page, since } shape works too: start at the second repository.
    const fromRepo1 = await run(connector, makeCtx(token, { checkpoint: { repoIndex: 1, page: 1, since: null } }).ctx);
    expect(fromRepo1.docs.map((d) => d.externalId).sort()).toEqual(allIds(120).filter((id) => !id.includes("/atlas-1#")));
  });

  it("a resumed run never skips data because of a stale ETag", async () => {
    const connector = createGithubConnector({ perPage: 10 });
    const { token, account } = gh.account({ items: 120 });
    const first = await run(connector, makeCtx(token).ctx);
    expect(first.docs).toHaveLength(120);

    // Incremental run at 130 items, interrupted right after the first repository is done.
    account.scenario = { ...account.scenario, items: 130 };
    const partial: SyncPage[] = [];
    const gen = connector.sync(makeCtx(token, { cursor: first.cursor }).ctx);
    for (let step = await gen.next(); !step.done; step = await gen.next()) {
      partial.push(step.value);
      if ((step.value.checkpoint as GithubCheckpoint).after === "sandbox-user/atlas-1") break;
    }
    await gen.return({ cursor: null });
    const checkpoint = JSON.parse(JSON.stringify(partial.at(-1)!.checkpoint)) as GithubCheckpoint;
    expect(checkpoint).toMatchObject({ repoIndex: 1, after: "sandbox-user/atlas-1" });
    expect(checkpoint.state?.["sandbox-user/atlas-1"]?.last?.etag).toMatch(/^W\//);

    // More items arrive (3 of them in the repository already done), then the run resumes.
    account.scenario = { ...account.scenario, items: 140 };
    const rest = await run(connector, makeCtx(token, { cursor: first.cursor, checkpoint }).ctx);
    const second = [...partial.flatMap((p) => p.documents), ...rest.docs].map((d) => d.externalId);
    // The repository read before the interruption keeps the ETag of what was read then...
    expect(rest.cursor!.etags.issues["sandbox-user/atlas-1"]).toEqual(checkpoint.state!["sandbox-user/atlas-1"]!.last);

    // ...so the next run gets a 200 for it and fetches its 3 new items; the others answer 304.
    const { ctx, rec } = makeCtx(token, { cursor: rest.cursor });
    const third = await run(connector, ctx);
    const atlasNew = allIds(140).filter((id) => id.includes("/atlas-1#") && !allIds(130).includes(id));
    expect(atlasNew).toHaveLength(3);
    expect(third.docs.map((d) => d.externalId).sort()).toEqual(atlasNew.sort());
    const issueStatuses = rec.sent.filter((r) => r.url.includes("/issues?")).map((r) => [new URL(r.url).pathname.split("/")[4], r.status]);
    expect(issueStatuses).toContainEqual(["nimbus-2", 304]);
    expect(issueStatuses).toContainEqual(["quartz-3", 304]);

    const all = [...second, ...third.docs.map((d) => d.externalId)];
    expect(new Set(all).size).toBe(all.length); // nothing twice
    expect(all.sort()).toEqual(allIds(140).filter((id) => !allIds(120).includes(id)).sort()); // nothing lost

    const fourth = makeCtx(token, { cursor: third.cursor });
    expect((await run(connector, fourth.ctx)).pages).toEqual([]);
    expect(new Set(fourth.rec.sent.map((r) => r.status))).toEqual(new Set([304]));
  });

  it("SYNC_MAX_PAGES caps the pages per repository, says so, and the next sync continues", async () => {
    const connector = createGithubConnector({ perPage: 10 });
    const { token } = gh.account({ items: 120 });
    const ids: string[] = [];
    let cursor: unknown = null;
    const notes: string[][] = [];
    for (let k = 0; k < 10; k++) {
      const { ctx, rec } = makeCtx(token, { cursor, limits: { maxPages: 3 } });
      const r = await run(connector, ctx);
      ids.push(...r.docs.map((d) => d.externalId));
      cursor = r.cursor;
      notes.push(rec.capped);
      if (rec.capped.length === 0) break;
    }
    // 82, 32 and 6 items at 10 a page: atlas-1 needs 9 pages, nimbus-2 4.
    expect(notes[0]).toEqual([
      "Stopped at 3 pages of issues in sandbox-user/atlas-1 (SYNC_MAX_PAGES); the next sync continues from there",
      "Stopped at 3 pages of issues in sandbox-user/nimbus-2 (SYNC_MAX_PAGES); the next sync continues from there",
    ]);
    expect(notes.at(-1)).toEqual([]);
    expect(notes.length).toBe(3); // atlas-1: 28 + 27 + 27 new items
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(allIds(120));
  });

  it("counts item_errors as failures with a reason, not a crash", async () => {
    const { token } = gh.account({ items: 120, fault: "item_errors" });
    const { ctx, rec } = makeCtx(token);
    const { docs, failures } = await run(githubConnector, ctx);
    expect(failures).toHaveLength(12); // i % 10 === 3 for i < 120: transferred while listed
    expect(docs).toHaveLength(108);
    expect(rec.totals).toEqual([120]);
    for (const f of failures) {
      expect(f.externalId).toMatch(/^sandbox-user\/[a-z]+-\d+#\d+$/);
      expect(f.reason).toBe("This issue was moved to another repository (or deleted there) and your GitHub account cannot see it, so it is not in your library.");
      expect(f.title).toEqual(expect.any(String));
      // Octokit's fetch followed the 301 to the new home, which answered 404.
      expect(f.detail).toMatch(/^GET \/repos\/sandbox-user\/[a-z]+-\d+\/issues\/\d+: 301 Moved Permanently, then HTTP 404 Not Found at http:\/\/127\.0\.0\.1:\d+\/github\/repositories\/977000123\/issues\/\d+$/);
    }
    // Each one was read on its own, once (fetch follows the redirect itself); nothing else was.
    expect(rec.requests.filter((u) => /\/issues\/\d+$/.test(new URL(u).pathname))).toHaveLength(12);
    const brokenIds = new Set<string>();
    for (let i = 3; i < 120; i += 10) {
      const j = i % Math.min(Math.floor(i / 50) + 1, 20);
      brokenIds.add(`sandbox-user/${repoName(j)}#${countBelow(j, i) + 1}`);
      expect(itemIndex(j, countBelow(j, i))).toBe(i);
    }
    expect(new Set(failures.map((f) => f.externalId))).toEqual(brokenIds);
  });

  it("rate_limit fault: errors propagate, and a fetch that waits completes the sync", async () => {
    const items = 300; // 6 repositories: 13 requests > 10 per 3 s window
    const a = gh.account({ items, fault: "rate_limit" });
    await expect(run(githubConnector, makeCtx(a.token).ctx)).rejects.toMatchObject({ status: 403 });

    const b = gh.account({ items, fault: "rate_limit" });
    let waits = 0;
    const waitingFetch: typeof fetch = async (input, init) => {
      for (;;) {
        const res = await fetch(input, init);
        if (res.status !== 403 || res.headers.get("x-ratelimit-remaining") !== "0") return res;
        waits++;
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(3);
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, retryAfter * 1000));
      }
    };
    const started = performance.now();
    const { docs } = await run(githubConnector, makeCtx(b.token, { fetch: waitingFetch }).ctx);
    expect(docs).toHaveLength(items);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(performance.now() - started).toBeGreaterThan(900);
  }, 15_000);

  it("hang: aborting ctx.signal ends the sync promptly", async () => {
    const { token } = gh.account({ items: 50, fault: "hang" });
    const controller = new AbortController();
    const { ctx } = makeCtx(token, { signal: controller.signal });
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("stalled")), 200);
    await expect(run(githubConnector, ctx)).rejects.toBeTruthy();
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(controller.signal.aborted).toBe(true);
  });

  it("malformed and server_error faults fail with readable errors", async () => {
    const m = gh.account({ items: 50, fault: "malformed" });
    await expect(run(githubConnector, makeCtx(m.token).ctx)).rejects.toThrow(
      /^GitHub sent a malformed response for the repository list \(page 1\): expected a JSON array, got \d+ characters of unparseable text$/,
    );
    const s = gh.account({ items: 50, fault: "server_error" });
    await expect(run(githubConnector, makeCtx(s.token).ctx)).rejects.toMatchObject({ status: 502, message: "Server Error" });
    const e = gh.account({ items: 50, fault: "expired_token" });
    await expect(run(githubConnector, makeCtx(e.token).ctx)).rejects.toMatchObject({ status: 401 });
  });
});

describe("github connector: conditional requests", () => {
  it("a re-sync of 20 repositories x 250 items (on average) with nothing new is 304s only: no quota, no documents", async () => {
    const items = 5_000;
    const { token, account } = gh.account({ items });
    const credentials: ConnectorCredentials = { accessToken: token };
    const full = makeCtx(token, { credentials });
    expect(await githubConnector.connect(full.ctx)).toEqual({ accountLabel: "sandbox-user" });
    const first = await run(githubConnector, full.ctx);
    expect(first.docs).toHaveLength(items);
    expect(full.rec.sent.every((r) => r.status === 200 && r.ifNoneMatch === null)).toBe(true);
    expect(full.rec.sent).toHaveLength(1 + 1 + 20 + 63 + 20); // /user, repositories, counts, pages, deletion probes
    const remaining = String(5_000 - full.rec.sent.length);
    expect(Math.min(...full.rec.sent.map((r) => Number(r.remaining)))).toBe(Number(remaining));
    const cursor = JSON.parse(JSON.stringify(first.cursor)) as GithubCursor;
    expect(cursor.etags.user).toEqual({ etag: expect.stringMatching(/^W\//), login: "sandbox-user" });
    expect(cursor.etags.repoPages).toEqual([{ etag: expect.stringMatching(/^W\//), repos: expect.any(Array), more: false }]);
    expect(cursor.etags.repoPages![0]!.repos).toHaveLength(20);
    expect(Object.keys(cursor.etags.issues)).toHaveLength(20);
    // atlas-1 has 372 items: pages at no `since`, since=#100, since=#199, since=#298 (75 items).
    const atlas = "sandbox-user/atlas-1";
    expect(countBelow(0, items)).toBe(372);
    expect(cursor.etags.issues[atlas]).toEqual({
      etag: expect.stringMatching(/^W\//),
      since: isoSeconds(updatedAtMs(itemIndex(0, 297))),
      page: 1,
      perPage: 100,
    });
    expect(cursor.repos[atlas]).toBe(isoSeconds(updatedAtMs(itemIndex(0, 371))));
    expect(cursor.boundary[atlas]).toEqual([`${atlas}#372`]);

    // Connect + sync again, as the engine runs them: one 304 for /user, the repository list and
    // each repository; the rate limit does not move.
    const again = makeCtx(token, { cursor, credentials });
    expect(await githubConnector.connect(again.ctx)).toEqual({ accountLabel: "sandbox-user" });
    const second = await run(githubConnector, again.ctx);
    expect(second.pages).toEqual([]);
    expect(again.rec.totals).toEqual([0]);
    expect(again.rec.sent).toHaveLength(42); // + one conditional deletion probe per repository
    expect(again.rec.sent.map((r) => r.status)).toEqual(Array.from({ length: 42 }, () => 304));
    expect(again.rec.sent.map((r) => r.remaining)).toEqual(Array.from({ length: 42 }, () => remaining));
    expect(again.rec.sent.every((r) => r.ifNoneMatch !== null)).toBe(true);
    expect(second.cursor).toEqual(cursor);

    // 10 new items (one each in the first 10 repositories): only those repositories answer 200.
    account.scenario = { ...account.scenario, items: items + 10 };
    const third = makeCtx(token, { cursor: second.cursor, credentials });
    await githubConnector.connect(third.ctx);
    const changed = await run(githubConnector, third.ctx);
    const newIds = Array.from({ length: 10 }, (_, j) => `sandbox-user/${repoName(j)}#${countBelow(j, items) + 1}`);
    expect(changed.docs.map((d) => d.externalId).sort()).toEqual(newIds.sort());
    expect(third.rec.totals).toEqual([10]);
    const byPath = new Map(third.rec.sent.map((r) => [new URL(r.url).pathname.replace(/^\/github/, ""), r.status]));
    // The survey's page is the fetch's: nothing asked twice; + 20 deletion probes.
    expect(third.rec.sent).toHaveLength(42);
    expect(byPath.get("/user")).toBe(304);
    expect(byPath.get("/user/repos")).toBe(200); // the repositories' updated_at moved
    for (let j = 0; j < 20; j++) expect(byPath.get(`/repos/sandbox-user/${repoName(j)}/issues`)).toBe(j < 10 ? 200 : 304);
    // Quota: the repository list, the 10 changed repositories and their probes (at a new
    // position, so unconditional); the other 10 probes answer 304.
    expect(Math.min(...third.rec.sent.map((r) => Number(r.remaining)))).toBe(Number(remaining) - 21);
    expect(changed.cursor!.etags.issues[atlas]!.etag).not.toBe(cursor.etags.issues[atlas]!.etag);
    expect(changed.cursor!.etags.issues["sandbox-user/kepler-18"]).toEqual(cursor.etags.issues["sandbox-user/kepler-18"]);
    expect(changed.cursor!.boundary[atlas]).toEqual([`${atlas}#373`]);

    // And quiet again.
    const fourth = makeCtx(token, { cursor: changed.cursor, credentials });
    await githubConnector.connect(fourth.ctx);
    expect((await run(githubConnector, fourth.ctx)).pages).toEqual([]);
    expect(fourth.rec.sent.map((r) => r.status)).toEqual(Array.from({ length: 42 }, () => 304));
  });

  it("connect answers from the cursor on 304 and still rejects a bad token", async () => {
    const { token } = gh.account({ items: 5 });
    const credentials: ConnectorCredentials = { accessToken: token };
    const a = makeCtx(token, { credentials });
    await githubConnector.connect(a.ctx);
    const { cursor } = await run(githubConnector, a.ctx);
    expect(cursor!.etags.user?.login).toBe("sandbox-user");

    const b = makeCtx(token, { cursor });
    expect(await githubConnector.connect(b.ctx)).toEqual({ accountLabel: "sandbox-user" });
    expect(b.rec.sent.map((r) => r.status)).toEqual([304]);

    // A stale ETag is only a question: the answer is the real user.
    const stale = { ...cursor!, etags: { ...cursor!.etags, user: { etag: 'W/"stale"', login: "someone-else" } } };
    const c = makeCtx(token, { cursor: stale });
    expect(await githubConnector.connect(c.ctx)).toEqual({ accountLabel: "sandbox-user" });
    expect(c.rec.sent.map((r) => r.status)).toEqual([200]);

    const d = makeCtx("not-a-token", { cursor });
    await expect(githubConnector.connect(d.ctx)).rejects.toMatchObject({ status: 401 });
  });

  it("publishes GitHub's quota for the pacer", () => {
    expect(githubConnector.quota).toBe(GITHUB_QUOTA);
    expect(createGithubConnector({ perPage: 10 }).quota).toBe(GITHUB_QUOTA); // one pacer per account, whatever the options
    expect(GITHUB_QUOTA.refillPerSecond! * 3_600).toBeCloseTo(5_000);
    expect(GITHUB_QUOTA.maxConcurrency).toBeLessThanOrEqual(100);
    expect(GITHUB_QUOTA.capacity).toBeLessThanOrEqual(900);
    expect(GITHUB_QUOTA.cost!(new URL("https://api.github.com/user/repos"), "GET")).toBe(1);
  });
});
