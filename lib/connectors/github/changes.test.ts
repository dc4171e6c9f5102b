// Edits, deletions and additions (the sandbox's change log, as POST .../sandbox/changes writes
// it) reach the connector's pages through GitHub's own signals: `since` for new and edited
// issues, the deletion probe for deleted ones. Real Octokit against the sandbox over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxChange } from "@/lib/contract";
import type { SyncContext, SyncPage } from "@/lib/connectors/types";
import { githubChangeModel } from "@/lib/sandbox/github/changes";
import { countBelow, repoCount, repoName } from "@/lib/sandbox/github/data";

import { startGithubSandbox, type GithubSandboxFixture } from "@/lib/sandbox/github/test-helpers";
import { githubConnector, type GithubCursor } from "./connector";

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

async function sync(token: string, cursor: unknown) {
  const sent: Array<{ url: string; status: number }> = [];
  const pages: SyncPage[] = [];
  const gen = githubConnector.sync(ctxFor(token, cursor, sent));
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
    // /user/repos + per repository (2): the survey's page (the fetch's too), the probe at the
    // old position (mismatch) and one page of its numbers: 1 + 2 × 3 = 7, no re-read of issues.
    expect(after.sent).toHaveLength(1 + 2 * 3);
    expect(after.sent.filter((r) => /sort=created/.test(r.url))).toHaveLength(4);

    // Settled: nothing yielded, nothing removed twice. The probes at the repositories' new
    // positions are unconditional once (the located tally has no ETag yet), then 304 too.
    const settled = await sync(token, after.cursor);
    expect(settled.pages).toEqual([]);
    expect(settled.sent.filter((r) => r.status !== 304).map((r) => new URL(r.url).searchParams.get("sort"))).toEqual(["created", "created"]);
    const quietAgain = await sync(token, settled.cursor);
    expect(quietAgain.pages).toEqual([]);
    expect(quietAgain.sent.every((r) => r.status === 304)).toBe(true);

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
});
