// The real connector (real Octokit) against the GitHub sandbox over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, SyncContext, SyncPage } from "@/lib/connectors/types";
import { countBelow, itemIndex, repoCount, repoName, updatedAtMs, isoSeconds } from "@/lib/sandbox/github/data";
import { startGithubSandbox, type GithubSandboxFixture } from "@/lib/sandbox/github/test-helpers";
import { createGithubConnector, githubConnector, type GithubCheckpoint, type GithubCursor } from "./connector";

let gh: GithubSandboxFixture;
beforeAll(async () => {
  gh = await startGithubSandbox();
});
afterAll(async () => {
  await gh.close();
});

interface Recorded {
  stages: string[];
  totals: number[];
  requests: string[];
}

function makeCtx(
  token: string,
  opts: { cursor?: unknown; checkpoint?: unknown; fetch?: typeof fetch; signal?: AbortSignal } = {},
): { ctx: SyncContext; rec: Recorded } {
  const rec: Recorded = { stages: [], totals: [], requests: [] };
  const inner = opts.fetch ?? globalThis.fetch;
  const counting: typeof fetch = (input, init) => {
    rec.requests.push(String(input instanceof Request ? input.url : input));
    return inner(input, init);
  };
  const ctx: SyncContext = {
    signal: opts.signal ?? new AbortController().signal,
    fetch: counting,
    baseUrl: gh.baseUrl,
    credentials: { accessToken: token },
    cursor: opts.cursor ?? null,
    checkpoint: opts.checkpoint ?? null,
    progress: { stage: (w) => rec.stages.push(w), total: (n) => rec.totals.push(n) },
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

/** Requests to read c items at perPage with `since` keyset paging (each later page re-reads one boundary item). */
function pagesFor(c: number, perPage: number): number {
  return c <= perPage ? 1 : 1 + pagesFor(c - perPage + 1, perPage);
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
    // 1 repository list + 20 counts + the pages.
    expect(rec.requests).toHaveLength(1 + 20 + pageCount);
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

  it("incremental sync after raising items 120 -> 130 fetches only the new ones (+ each repo's boundary item)", async () => {
    const { token, account } = gh.account({ items: 120 });
    const first = await run(githubConnector, makeCtx(token).ctx);
    expect(first.docs).toHaveLength(120);
    expect(first.cursor!.since).toBe("2026-01-01T01:59:00Z"); // item 119

    account.scenario = { ...account.scenario, items: 130 };
    const { ctx, rec } = makeCtx(token, { cursor: first.cursor });
    const second = await run(githubConnector, ctx);
    const ids = second.docs.map((d) => d.externalId);
    const newIds = allIds(130).filter((id) => !allIds(120).includes(id));
    expect(newIds).toHaveLength(10);
    for (const id of newIds) expect(ids).toContain(id);
    // GitHub's `since` is inclusive: each repository's newest already-synced item comes back once.
    const boundary = [0, 1, 2].map((j) => `sandbox-user/${repoName(j)}#${countBelow(j, 120)}`);
    expect(ids.filter((id) => !newIds.includes(id)).sort()).toEqual(boundary.sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(rec.totals).toEqual([ids.length]);
    expect(second.cursor!.since).toBe("2026-01-01T02:09:00Z"); // item 129
    for (const q of rec.requests.filter((u) => u.includes("/issues?") && !u.includes("per_page=1&"))) {
      expect(new URL(q).searchParams.get("since")).not.toBeNull();
    }

    // Nothing changed: only the boundary items again.
    const third = await run(githubConnector, makeCtx(token, { cursor: second.cursor }).ctx);
    expect(third.docs.map((d) => d.externalId).sort()).toEqual(
      [0, 1, 2].map((j) => `sandbox-user/${repoName(j)}#${countBelow(j, 130)}`).sort(),
    );
    expect(third.cursor).toEqual(second.cursor);
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
      expect(rest.cursor).toEqual(whole.cursor);
      expect(rec.totals).toEqual([120]); // the whole run's total, as on the first attempt
    }

    // The plain { repoIndex, page, since } shape works too: start at the second repository.
    const fromRepo1 = await run(connector, makeCtx(token, { checkpoint: { repoIndex: 1, page: 1, since: null } }).ctx);
    expect(fromRepo1.docs.map((d) => d.externalId).sort()).toEqual(allIds(120).filter((id) => !id.includes("/atlas-1#")));
  });

  it("counts item_errors as failures with a reason, not a crash", async () => {
    const { token } = gh.account({ items: 120, fault: "item_errors" });
    const { ctx, rec } = makeCtx(token);
    const { docs, failures } = await run(githubConnector, ctx);
    expect(failures).toHaveLength(12); // i % 10 === 3 for i < 120
    expect(docs).toHaveLength(108);
    expect(rec.totals).toEqual([120]);
    for (const f of failures) {
      expect(f.externalId).toMatch(/^sandbox-user\/[a-z]+-\d+#\d+$/);
      expect(f.reason).toBe("GitHub sent a malformed item: title should be a string, got null");
    }
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
