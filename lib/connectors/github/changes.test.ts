// Edits, deletions and additions (the sandbox's change log, as POST .../sandbox/changes writes
// it) reach the connector's pages through GitHub's own signals: `since` for new and edited
// issues, the deletion probe for deleted ones. Real Octokit against the sandbox over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxChange } from "@/lib/contract";
import type { SyncContext, SyncPage } from "@/lib/connectors/types";
import { githubChangeModel } from "@/lib/sandbox/github/changes";
import { countBelow, repoCount, repoName } from "@/lib/sandbox/github/data";

import { startGithubSandbox, type GithubSandboxFixture } from "@/lib/sandbox/github/test-helpers";
import { createGithubConnector, githubConnector, type GithubCursor } from "./connector";

let gh: GithubSandboxFixture;
beforeAll(async () => {
  gh = await startGithubSandbox();
});
afterAll(async () => {
  await gh.close();
});

function ctxFor(token: string, cursor: unknown, sent: Array<{ url: string; status: number }>): SyncContext {
  return {
    signal: new AbortController().signal,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      sent.push({ url: String(input instanceof Request ? input.url : input), status: res.status });
      return res;
    },
    baseUrl: gh.baseUrl,
    credentials: { accessToken: token },
    cursor,
    checkpoint: null,
    progress: { stage: () => {}, total: () => {}, phase: () => {}, capped: () => {} },
    limits: { maxPages: 1_000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1_000 },
  };
}

async function sync(token: string, cursor: unknown, connector = githubConnector) {
  const sent: Array<{ url: string; status: number }> = [];
  const pages: SyncPage[] = [];
  const gen = connector.sync(ctxFor(token, cursor, sent));
  let step = await gen.next();
  for (; !step.done; step = await gen.next()) pages.push(step.value);
  return { pages, sent, cursor: step.value.cursor as GithubCursor, docs: pages.flatMap((p) => p.documents), removed: pages.flatMap((p) => p.removed ?? []) };
}

function allIds(count: number): string[] {
  const ids: string[] = [];
  for (let j = 0; j < repoCount(count); j++) for (let r = 0; r < countBelow(j, count); r++) ids.push(`sandbox-user/${repoName(j)}#${r + 1}`);
  return ids;
}

describe("github connector: changes", () => {
  it("an incremental sync after 3 adds, 3 edits and 3 deletes yields exactly those, in a handful of requests", async () => {
    const items = 90;
    const { token, account } = gh.account({ items });
    const full = await sync(token, null);
    expect(full.docs.map((d) => d.externalId).sort()).toEqual(allIds(items).sort());
    expect(full.removed).toEqual([]);

    const quiet = await sync(token, full.cursor);
    expect(quiet.pages).toEqual([]);
    expect(quiet.sent.every((r) => r.status === 304)).toBe(true);

    const at = Date.now();
    const log: SandboxChange[] = [
      ...[0, 1, 2].map((k) => ({ seq: k + 1, kind: "add" as const, index: items + k, at })),
      ...[5, 40, 77].map((index, k) => ({ seq: 4 + k, kind: "edit" as const, index, at })),
      ...[10, 50, 61].map((index, k) => ({ seq: 7 + k, kind: "delete" as const, index, at })),
    ];
    account.changes = log;
    const id = (i: number) => githubChangeModel.externalId(i, account);
    const added = [90, 91, 92].map(id);
    const edited = [5, 40, 77].map(id);
    const deleted = [10, 50, 61].map(id);

    const after = await sync(token, quiet.cursor);
    expect(after.docs.map((d) => d.externalId).sort()).toEqual([...added, ...edited].sort());
    for (const d of after.docs.filter((x) => edited.includes(x.externalId))) {
      expect(d.title).toMatch(/\(edited\)$/);
      expect(d.text).toMatch(/edited/);
      expect(d.updatedAt.getTime()).toBe(Math.floor(at / 1000) * 1000);
    }
    for (const d of after.docs.filter((x) => added.includes(x.externalId))) expect(d.metadata).toMatchObject({ state: "open" });
    expect(new Set(after.removed)).toEqual(new Set(deleted));
    // /user/repos + one conditional request per repository (2), answered 200 with its one page:
    // that page (no `since`) is the fetch's too and shows what is gone. 3 requests in all.
    expect(after.sent.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(after.sent.filter((r) => /sort=created/.test(r.url))).toEqual([]);

    // Settled: nothing yielded, nothing removed twice, 304s only.
    const settled = await sync(token, after.cursor);
    expect(settled.pages).toEqual([]);
    expect(settled.sent.map((r) => r.status)).toEqual([304, 304, 304]);

    // What the sandbox now answers for them one by one: 410 for a deleted issue.
    const [owner, rest] = deleted[0]!.split("/");
    const [repo, n] = rest!.split("#");
    const gone = await fetch(`${gh.baseUrl}/repos/${owner}/${repo}/issues/${n}`, { headers: { authorization: `token ${token}` } });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toEqual({ message: "This issue was deleted", documentation_url: "https://docs.github.com/rest/issues/issues#get-an-issue" });
  });

  it("an edit that only a later sync sees is one document, updated, never a second one", async () => {
    const { token, account } = gh.account({ items: 30 });
    const full = await sync(token, null);
    account.changes = [{ seq: 1, kind: "edit", index: 7, at: Date.now() - 5_000 }];
    const one = await sync(token, full.cursor);
    account.changes = [...account.changes, { seq: 2, kind: "edit", index: 7, at: Date.now() }];
    const two = await sync(token, one.cursor);
    const id = githubChangeModel.externalId(7, account);
    expect(one.docs.map((d) => d.externalId)).toEqual([id]);
    expect(two.docs.map((d) => d.externalId)).toEqual([id]);
    expect(two.docs[0]!.text).toMatch(/edited 2 times/);
  });

  it("repositories longer than a page: a conditional probe per repository, and a listing of numbers only where one is gone", async () => {
    const connector = createGithubConnector({ perPage: 10 });
    const { token, account } = gh.account({ items: 100 }); // 2 repositories of 75 and 25 issues
    const full = await sync(token, null, connector);
    expect(full.docs).toHaveLength(100);
    const quiet = await sync(token, full.cursor, connector);
    expect(quiet.pages).toEqual([]);
    expect(quiet.sent.every((r) => r.status === 304)).toBe(true);
    // The final pages have a `since`: so each repository is probed, conditionally (304).
    expect(quiet.sent.filter((r) => /sort=created/.test(r.url) && /per_page=1&/.test(r.url))).toHaveLength(2);

    account.changes = [
      { seq: 1, kind: "delete", index: 4, at: Date.now() }, // atlas-1
      { seq: 2, kind: "delete", index: 20, at: Date.now() }, // atlas-1
    ];
    const after = await sync(token, quiet.cursor, connector);
    expect(new Set(after.removed)).toEqual(new Set([4, 20].map((i) => githubChangeModel.externalId(i, account))));
    expect(after.docs).toEqual([]);
    const byKind = after.sent.map((r) => {
      const u = new URL(r.url);
      return `${u.pathname.split("/")[4] ?? u.pathname} ${u.searchParams.get("sort") === "created" ? `probe-${u.searchParams.get("per_page")}` : "listing"} ${r.status}`;
    });
    // atlas-1: listing 304, probe at the old position (200, another issue), its 74 numbers on 1
    // page of 100; nimbus-2: listing 304, probe 304. Nothing re-read besides.
    expect(byKind.filter((k) => k.startsWith("atlas-1"))).toEqual(["atlas-1 listing 304", "atlas-1 probe-1 200", "atlas-1 probe-100 200"]);
    expect(byKind.filter((k) => k.startsWith("nimbus-2"))).toEqual(["nimbus-2 listing 304", "nimbus-2 probe-1 304"]);
    const settled = await sync(token, after.cursor, connector);
    expect(settled.pages).toEqual([]);
    expect(settled.removed).toEqual([]);
  });
});
