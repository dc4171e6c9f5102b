import { describe, expect, it } from "vitest";
import {
  countBelow,
  isBrokenItemIndex,
  issuesPage,
  itemIndex,
  listRepos,
  makeIssue,
  repoCount,
  repoIndexByName,
  repoOfItem,
  sandboxUser,
  type GithubIssue,
} from "./data";

const LOGIN = "sandbox-user";

/** Brute force: every item of repo j (given `items`), in index order. */
function bruteItems(items: number, j: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < items; i++) if (repoOfItem(i) === j) out.push(i);
  return out;
}

describe("github sandbox data", () => {
  it("has clamp(ceil(items/50), 1, 20) repositories", () => {
    expect([0, 1, 50, 51, 120, 130, 999, 1000, 100_000].map(repoCount)).toEqual([1, 1, 1, 2, 3, 3, 20, 20, 20]);
    const repos = listRepos(LOGIN, 130);
    expect(repos.map((r) => r.full_name)).toEqual(["sandbox-user/atlas-1", "sandbox-user/nimbus-2", "sandbox-user/quartz-3"]);
    expect(repos[0]!.owner.login).toBe(LOGIN);
    expect(repoIndexByName(130, "Nimbus-2")).toBe(1);
    expect(repoIndexByName(130, "ember-4")).toBe(-1); // only 3 repos at 130 items
    expect(repoIndexByName(1000, "ember-4")).toBe(3);
  });

  it("countBelow / itemIndex agree with brute force, across the 950 boundary", () => {
    const items = 1_337;
    for (let j = 0; j < 20; j++) {
      const all = bruteItems(items, j);
      expect(countBelow(j, items)).toBe(all.length);
      all.forEach((i, r) => expect(itemIndex(j, r)).toBe(i));
      for (const x of [0, 1, 49, 50, 949, 950, 951, 970, 1_000, 1_336, 1_337]) {
        expect(countBelow(j, x)).toBe(all.filter((i) => i < x).length);
      }
    }
    // Every item lands in exactly one repository, and repositories cover all items.
    let sum = 0;
    for (let j = 0; j < 20; j++) sum += countBelow(j, items);
    expect(sum).toBe(items);
  });

  it("pages match a brute-force filter for every state, direction and since", () => {
    const items = 1_010;
    const j = 7;
    const ranks = bruteItems(items, j).map((i, r) => ({ i, r, closed: (r + 1) % 3 === 0 }));
    const sinceMs = Date.UTC(2026, 0, 1) + 500 * 60_000 + 30_000; // between item 500 and 501
    for (const state of ["open", "closed", "all"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        for (const since of [undefined, sinceMs]) {
          let expected = ranks.filter((x) => state === "all" || (state === "closed") === x.closed);
          if (since !== undefined) expected = expected.filter((x) => x.i >= 501);
          if (direction === "desc") expected = expected.reverse();
          const got: number[] = [];
          for (let page = 1; page < 10; page++) {
            const p = issuesPage(LOGIN, items, j, { state, direction, sinceMs: since, page, perPage: 7 });
            expect(p.total).toBe(expected.length);
            got.push(...p.data.map((d) => d.number));
          }
          expect(got).toEqual(expected.slice(0, 63).map((x) => x.r + 1));
        }
      }
    }
  });

  it("is deterministic and stable when items grow", () => {
    const a = JSON.stringify(issuesPage(LOGIN, 120, 1, { state: "all", direction: "asc", page: 1, perPage: 100 }));
    const b = JSON.stringify(issuesPage(LOGIN, 120, 1, { state: "all", direction: "asc", page: 1, perPage: 100 }));
    expect(a).toBe(b);
    // Growing to 130 keeps the old items byte-identical and appends newer ones.
    const grown = issuesPage(LOGIN, 130, 1, { state: "all", direction: "asc", page: 1, perPage: 100 }).data;
    const old = JSON.parse(a) as { data: GithubIssue[] };
    expect(JSON.stringify(grown.slice(0, old.data.length))).toBe(JSON.stringify(old.data));
    expect(grown.length).toBeGreaterThan(old.data.length);
    // Even across a repository being added (100 -> 101 items: 2 -> 3 repos) items do not move.
    expect(JSON.stringify(makeIssue(LOGIN, 1, 10))).toBe(JSON.stringify(issuesPage(LOGIN, 101, 1, { state: "all", direction: "asc", page: 1, perPage: 100 }).data[10]));
  });

  it("serves realistic issues and pull requests", () => {
    const page = issuesPage(LOGIN, 1_000, 0, { state: "all", direction: "asc", page: 1, perPage: 100 }).data as GithubIssue[];
    const prs = page.filter((d) => d.pull_request);
    const issues = page.filter((d) => !d.pull_request);
    expect(prs.length).toBeGreaterThan(5);
    expect(issues.length).toBeGreaterThan(5);
    for (const d of page) {
      const kind = d.pull_request ? "pull" : "issues";
      expect(d.html_url).toBe(`https://github.com/sandbox-user/atlas-1/${kind}/${d.number}`);
      expect(d.url).toBe(`https://api.github.com/repos/sandbox-user/atlas-1/issues/${d.number}`);
      expect(Date.parse(d.created_at)).toBeLessThan(Date.parse(d.updated_at));
      expect(d.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(d.state).toBe(d.number % 3 === 0 ? "closed" : "open");
      expect(d.closed_at).toBe(d.state === "closed" ? d.updated_at : null);
      expect(typeof d.title).toBe("string");
      expect(d.user?.login).toBeTruthy();
    }
    expect(page[0]!.updated_at).toBe("2026-01-01T00:00:00Z"); // item 0
    expect(page.some((d) => d.body === null)).toBe(true);
    expect(page.some((d) => d.body === "")).toBe(true);
    expect(page.some((d) => /<b>bold<\/b>/.test(d.title))).toBe(true);
    expect(page.some((d) => /\p{Extended_Pictographic}/u.test(d.title))).toBe(true);
    expect(page.some((d) => d.labels.length === 2)).toBe(true);
    expect(sandboxUser().id).toBe(1);
  });

  it("marks every item with i % 10 === 3 as the one item_errors transfers away", () => {
    expect([3, 13, 23].every(isBrokenItemIndex)).toBe(true);
    expect([0, 4, 10].some(isBrokenItemIndex)).toBe(false);
  });

  it("computes a deep page of 100,000 items quickly", () => {
    const t = performance.now();
    const p = issuesPage(LOGIN, 100_000, 19, { state: "all", direction: "asc", page: 49, perPage: 100 });
    expect(p.total).toBe(countBelow(19, 100_000));
    expect(p.data).toHaveLength(100);
    expect(p.data[0]!.number).toBe(4_801);
    expect(performance.now() - t).toBeLessThan(200);
  });
});
