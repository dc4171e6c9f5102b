import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Octokit } from "@octokit/rest";
import { createGithubSandbox, type SandboxAccount } from "./handler";
import { countBelow, itemIndex } from "./data";
import { startGithubSandbox, type GithubSandboxFixture } from "./test-helpers";

const BAD_CREDENTIALS = { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" };
const NOT_FOUND = { message: "Not Found", documentation_url: "https://docs.github.com/rest" };

let gh: GithubSandboxFixture;
beforeAll(async () => {
  gh = await startGithubSandbox();
});
afterAll(async () => {
  await gh.close();
});

function get(path: string, token?: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${gh.baseUrl}${path}`, {
    headers: { ...(token ? { authorization: `token ${token}` } : {}), ...headers },
    signal,
  });
}

describe("github sandbox: auth and errors", () => {
  it("answers 401 with GitHub's body for an unknown token, and 'Requires authentication' without one", async () => {
    for (const res of [await get("/user", "nope"), await fetch(`${gh.baseUrl}/user`, { headers: { authorization: "Bearer nope" } })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.json()).toEqual(BAD_CREDENTIALS);
      // 401s carry the unauthenticated limit's headers (60 an hour per address).
      expect(res.headers.get("x-ratelimit-limit")).toBe("60");
      expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeLessThan(60);
    }
    const none = await get("/user");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: "Requires authentication", documentation_url: "https://docs.github.com/rest" });
    expect(none.headers.get("x-ratelimit-limit")).toBe("60");
  });

  it("refuses the 61st unauthenticated request of the hour with 403", async () => {
    const handler = createGithubSandbox({ resolveToken: async () => null, now: () => Date.UTC(2026, 1, 2) });
    const call = () => handler(new Request("http://sandbox.test/github/user", { headers: { "x-forwarded-for": "203.0.113.9" } }), "/user");
    for (let k = 0; k < 60; k++) expect((await call()).status).toBe(401);
    const over = await call();
    expect(over.status).toBe(403);
    expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(((await over.json()) as { message: string }).message).toMatch(/^API rate limit exceeded for 203\.0\.113\.9\./);
  });

  it("accepts both `token` and `Bearer` schemes", async () => {
    const { token } = gh.account({ items: 10 });
    const a = await get("/user", token);
    const b = await fetch(`${gh.baseUrl}/user`, { headers: { authorization: `Bearer ${token}` } });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(((await b.json()) as { login: string }).login).toBe("sandbox-user");
  });

  it("answers 404 with GitHub's body for unknown paths, repos and methods", async () => {
    const { token } = gh.account({ items: 120 });
    for (const res of [
      await get("/nope", token),
      await get("/repos/sandbox-user/ember-4/issues", token), // only 3 repos at 120 items
      await get("/repos/someone-else/atlas-1/issues", token),
      await fetch(`${gh.baseUrl}/user`, { method: "POST", headers: { authorization: `token ${token}` }, body: "{}" }),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
    const bad = await get("/repos/sandbox-user/atlas-1/issues?state=weird", token);
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { message: string }).message).toBe("Validation Failed");
  });

  it("serves the faults server_error, expired_token, malformed and expired_cursor", async () => {
    const s = gh.account({ items: 50, fault: "server_error" });
    const r1 = await get("/user", s.token);
    expect(r1.status).toBe(502);
    expect(await r1.json()).toEqual({ message: "Server Error" });

    const e = gh.account({ items: 50, fault: "expired_token" });
    const r2 = await get("/user/repos", e.token);
    expect(r2.status).toBe(401);
    expect(await r2.json()).toEqual(BAD_CREDENTIALS);

    const m = gh.account({ items: 50, fault: "malformed" });
    const user = await get("/user", m.token);
    expect(user.status).toBe(200);
    expect(((await user.json()) as { login: string }).login).toBe("sandbox-user");
    for (const path of ["/user/repos", "/repos/sandbox-user/atlas-1/issues?state=all"]) {
      const res = await get(path, m.token);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const text = await res.text();
      expect(text.startsWith("[{")).toBe(true);
      expect(() => JSON.parse(text)).toThrow();
    }

    const c = gh.account({ items: 50, fault: "expired_cursor" });
    const r3 = await get("/repos/sandbox-user/atlas-1/issues?state=all&per_page=100", c.token);
    expect(r3.status).toBe(200);
    expect(((await r3.json()) as unknown[]).length).toBe(50);
  });
});

describe("github sandbox: headers and pagination", () => {
  it("sends GitHub's rate-limit, request-id and etag headers", async () => {
    const { token } = gh.account({ items: 10 });
    const before = Math.floor(Date.now() / 1000);
    const res = await get("/user", token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("4999");
    expect(res.headers.get("x-ratelimit-used")).toBe("1");
    expect(res.headers.get("x-ratelimit-resource")).toBe("core");
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(before + 3599);
    expect(reset).toBeLessThanOrEqual(before + 3601);
    expect(res.headers.get("x-github-request-id")).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/);
    expect(res.headers.get("etag")).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const body = (await res.json()) as { login: string; id: number };
    expect(body).toMatchObject({ login: "sandbox-user", id: 1 });

    const second = await get("/user", token);
    expect(second.headers.get("x-ratelimit-remaining")).toBe("4998");
    const rl = (await (await get("/rate_limit", token)).json()) as { rate: { used: number; remaining: number; limit: number } };
    expect(rl.rate).toMatchObject({ limit: 5000, used: 2, remaining: 4998 }); // /rate_limit itself is free
  });

  it("answers 304 to a matching If-None-Match without spending quota", async () => {
    const { token } = gh.account({ items: 120 });
    const path = "/repos/sandbox-user/nimbus-2/issues?state=all&per_page=10";
    const first = await get(path, token);
    const etag = first.headers.get("etag")!;
    expect(first.headers.get("x-ratelimit-used")).toBe("1");
    await first.arrayBuffer();

    const cached = await get(path, token, { "if-none-match": etag });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    expect(await cached.text()).toBe("");
    expect(cached.headers.get("x-ratelimit-used")).toBe("1");
    expect(cached.headers.get("x-ratelimit-remaining")).toBe("4999");

    const changed = await get(path, token, { "if-none-match": 'W/"something-else"' });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("x-ratelimit-used")).toBe("2");
    expect(await changed.text()).toBe(await (await get(path, token)).text()); // same bytes every time
  });

  it("changes the ETag whenever the answer for a URL changes: body or Link header", async () => {
    const { token, account } = gh.account({ items: 120 });
    const paths = [
      "/user/repos?per_page=100", // the repositories' updated_at and open_issues move
      "/repos/sandbox-user/atlas-1/issues?state=all&sort=updated&direction=asc&per_page=100", // a new item on the page
      "/repos/sandbox-user/atlas-1/issues?state=all&sort=updated&direction=asc&per_page=1", // same first item, one more page
    ];
    const before = await Promise.all(
      paths.map(async (p) => {
        const res = await get(p, token);
        return { etag: res.headers.get("etag")!, body: await res.text() };
      }),
    );
    const user = (await get("/user", token)).headers.get("etag")!;
    account.scenario = { ...account.scenario, items: 130 };
    for (const [k, p] of paths.entries()) {
      const res = await get(p, token, { "if-none-match": before[k]!.etag });
      expect(res.status, p).toBe(200);
      expect(res.headers.get("etag")).not.toBe(before[k]!.etag);
      const body = await res.text();
      if (k === 2) expect(body).toBe(before[k]!.body); // only the Link header differs
      else expect(body).not.toBe(before[k]!.body);
    }
    const same = await get("/user", token, { "if-none-match": user });
    expect(same.status).toBe(304);
  });

  it("builds Link headers exactly like GitHub, from the request URL", async () => {
    const { token } = gh.account({ items: 1_000 }); // 20 repositories
    const base = `${gh.baseUrl}/user/repos?per_page=5`;
    const p2 = await get("/user/repos?per_page=5&page=2", token);
    expect(p2.headers.get("link")).toBe(
      `<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=4>; rel="last", <${base}&page=1>; rel="first"`,
    );
    const p1 = await get("/user/repos?per_page=5", token);
    expect(p1.headers.get("link")).toBe(`<${base}&page=2>; rel="next", <${base}&page=4>; rel="last"`);
    const names = ((await p1.json()) as Array<{ full_name: string }>).map((r) => r.full_name);
    expect(names).toEqual([...names].sort());
    expect(names[0]).toBe("sandbox-user/atlas-1");
    const p4 = await get("/user/repos?per_page=5&page=4", token);
    expect(p4.headers.get("link")).toBe(`<${base}&page=3>; rel="prev", <${base}&page=1>; rel="first"`);
    expect(((await p4.json()) as unknown[]).length).toBe(5);
    const single = await get("/user/repos?per_page=100", token);
    expect(single.headers.get("link")).toBeNull();
    expect(((await single.json()) as unknown[]).length).toBe(20);
  });

  it("counts with per_page=1 and filters by state and since", async () => {
    const { token } = gh.account({ items: 1_000 });
    const total = countBelow(4, 1_000);
    const one = await get("/repos/sandbox-user/lumen-5/issues?state=all&per_page=1", token);
    const last = /<([^>]+)>; rel="last"/.exec(one.headers.get("link") ?? "")?.[1];
    expect(new URL(last!).searchParams.get("page")).toBe(String(total));
    expect(new URL(last!).pathname).toBe("/github/repos/sandbox-user/lumen-5/issues");

    const open = (await (await get("/repos/sandbox-user/lumen-5/issues?per_page=100", token)).json()) as Array<{ state: string; number: number; pull_request?: unknown }>;
    expect(open.every((d) => d.state === "open")).toBe(true); // GitHub's default is state=open
    expect(open[0]!.number).toBeGreaterThan(open[1]!.number); // default: created, desc
    expect(open.some((d) => d.pull_request)).toBe(true);
    expect(open.some((d) => !d.pull_request)).toBe(true);

    const since = "2026-01-01T15:00:00Z"; // item 900 onwards
    const recent = (await (await get(`/repos/sandbox-user/lumen-5/issues?state=all&sort=updated&direction=asc&per_page=100&since=${since}`, token)).json()) as Array<{ updated_at: string }>;
    expect(recent.length).toBe(countBelow(4, 1_000) - countBelow(4, 900));
    expect(recent.every((d) => d.updated_at >= since)).toBe(true);
    // The first item of repo 4 at or after item 900 is item 916 (900..949 are dealt over 19 repos).
    expect(itemIndex(4, countBelow(4, 900))).toBe(916);
    expect(recent[0]!.updated_at).toBe("2026-01-01T15:16:00Z");
  });

  it("is what Octokit expects (paginate follows the Link header)", async () => {
    const { token } = gh.account({ items: 1_000 });
    const octokit = new Octokit({ baseUrl: gh.baseUrl, auth: token, log: { debug() {}, info() {}, warn() {}, error() {} } });
    const repos = await octokit.paginate(octokit.rest.repos.listForAuthenticatedUser, { per_page: 3 });
    expect(repos).toHaveLength(20);
    const { data: me } = await octokit.rest.users.getAuthenticated();
    expect(me.login).toBe("sandbox-user");
    const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: "sandbox-user", repo: "atlas-1", state: "all", per_page: 100 });
    expect(issues).toHaveLength(countBelow(0, 1_000));
    await expect(octokit.rest.repos.listForAuthenticatedUser({ headers: { "if-none-match": "*" } })).rejects.toMatchObject({ status: 304 });
  });
});

describe("github sandbox: quotas", () => {
  it("rate_limit fault: 10 requests per 3 s window, then 403 with reset and retry-after", async () => {
    let clock = Date.UTC(2026, 1, 1, 12, 0, 0, 250);
    const accounts = new Map<string, SandboxAccount>([["t", { key: `rl-${Date.now()}`, scenario: { items: 120, latency_ms: 0, fault: "rate_limit" } }]]);
    const handler = createGithubSandbox({ resolveToken: async (t) => accounts.get(t) ?? null, now: () => clock });
    const call = () => handler(new Request("http://sandbox.test/github/user", { headers: { authorization: "token t" } }), "/user");

    const windowEnd = Math.ceil((clock + 3_000) / 1000);
    for (let k = 1; k <= 10; k++) {
      const res = await call();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("10");
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(10 - k));
      expect(res.headers.get("x-ratelimit-reset")).toBe(String(windowEnd));
    }
    clock += 1_000;
    const limited = await call();
    expect(limited.status).toBe(403);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-used")).toBe("10");
    expect(limited.headers.get("x-ratelimit-reset")).toBe(String(windowEnd));
    expect(limited.headers.get("retry-after")).toBe("2"); // the window ends 2.0 s later
    expect(await limited.json()).toEqual({
      message: "API rate limit exceeded for user ID 1.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    });
    clock += 2_000; // the window is over
    const again = await call();
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining")).toBe("9");
  });

  it("enforces the core quota of 5000 per hour per account key", async () => {
    let clock = Date.UTC(2026, 1, 1, 12);
    const key = `core-${Date.now()}`;
    const scenario = { items: 10, latency_ms: 0, fault: "none" } as const;
    const accounts = new Map<string, SandboxAccount>([
      ["a", { key, scenario }],
      ["b", { key, scenario }], // a second token of the same connection shares the bucket
      ["c", { key: `${key}-other`, scenario }],
    ]);
    const handler = createGithubSandbox({ resolveToken: async (t) => accounts.get(t) ?? null, now: () => clock });
    const call = (t: string) => handler(new Request("http://sandbox.test/github/user", { headers: { authorization: `token ${t}` } }), "/user");
    // 100 ms apart: under the secondary limit (900 a minute), so only the hourly one bites.
    for (let k = 0; k < 4_999; k++) {
      await call("a");
      clock += 100;
    }
    const lastOk = await call("b");
    expect(lastOk.status).toBe(200);
    expect(lastOk.headers.get("x-ratelimit-remaining")).toBe("0");
    const over = await call("a");
    expect(over.status).toBe(403);
    expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(over.headers.get("retry-after")).toBeNull(); // GitHub's primary limit only says x-ratelimit-reset
    expect(((await over.json()) as { message: string }).message).toBe("API rate limit exceeded for user ID 1.");
    expect((await call("c")).status).toBe(200);
    clock += 3_600_000 - 4_999 * 100;
    const fresh = await call("a");
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("x-ratelimit-remaining")).toBe("4999");
  });
});

describe("github sandbox: latency and hang", () => {
  it("hang: aborting the request ends it promptly", async () => {
    const { token } = gh.account({ items: 10, fault: "hang" });
    const controller = new AbortController();
    const started = performance.now();
    const pending = get("/user", token, {}, controller.signal);
    setTimeout(() => controller.abort(), 150);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("delays by latency_ms, and slow by at least 1.5 s; an abort cuts the wait short", async () => {
    const { token } = gh.account({ items: 10, latency_ms: 250 });
    let t = performance.now();
    expect((await get("/user", token)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(240);

    const slow = gh.account({ items: 10, latency_ms: 10, fault: "slow" });
    t = performance.now();
    expect((await get("/user", slow.token)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(1_490);

    const controller = new AbortController();
    t = performance.now();
    const pending = get("/user", slow.token, {}, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - t).toBeLessThan(800);
  });
});

describe("github sandbox: changes and per-issue answers", () => {
  it("applies the change log: edits move to the end of sort=updated, deletes leave every listing and answer 410", async () => {
    const { token, account } = gh.account({ items: 40 });
    const at = Date.UTC(2026, 11, 6, 12);
    account.changes = [
      { seq: 1, kind: "add", index: 40, at },
      { seq: 2, kind: "edit", index: 2, at: at + 1000 },
      { seq: 3, kind: "delete", index: 5, at: at + 2000 },
    ];
    const res = await get("/repos/sandbox-user/atlas-1/issues?state=all&sort=updated&direction=asc&per_page=100", token);
    const list = (await res.json()) as Array<{ number: number; title: string; updated_at: string; created_at: string; state: string }>;
    expect(list.map((x) => x.number)).not.toContain(6);
    expect(list).toHaveLength(40);
    expect(list.at(-1)).toMatchObject({ number: 3, title: expect.stringMatching(/\(edited\)$/), updated_at: "2026-12-06T12:00:01Z" });
    expect(list.at(-2)).toMatchObject({ number: 41, state: "open", created_at: "2026-12-06T12:00:00Z" });
    const since = await get("/repos/sandbox-user/atlas-1/issues?state=all&since=2026-12-06T12:00:00Z", token);
    expect(((await since.json()) as Array<{ number: number }>).map((x) => x.number).sort()).toEqual([3, 41]);
    const byCreated = (await (await get("/repos/sandbox-user/atlas-1/issues?state=all&sort=created&direction=asc&per_page=100", token)).json()) as Array<{ number: number }>;
    expect(byCreated.map((x) => x.number)).toEqual([...Array.from({ length: 41 }, (_, k) => k + 1)].filter((n) => n !== 6));
    const one = await get("/repos/sandbox-user/atlas-1/issues/3", token);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { title: string }).title).toMatch(/\(edited\)$/);
    const gone = await get("/repos/sandbox-user/atlas-1/issues/6", token);
    expect(gone.status).toBe(410);
    expect(gone.headers.get("x-ratelimit-limit")).toBe("5000");
    expect((await get("/repos/sandbox-user/atlas-1/issues/99", token)).status).toBe(404);
  });

  it("item_errors: a transferred issue answers 301 with GitHub's redirect body, and its new home 404", async () => {
    const { token } = gh.account({ items: 20, fault: "item_errors" });
    const res = await fetch(`${gh.baseUrl}/repos/sandbox-user/atlas-1/issues/4`, { headers: { authorization: `token ${token}` }, redirect: "manual" });
    expect(res.status).toBe(301);
    // A relative Location (followed on the caller's own origin); the body names GitHub's URL.
    const location = res.headers.get("location")!;
    expect(location).toBe("/github/repositories/977000123/issues/4");
    expect(await res.json()).toMatchObject({ message: "Moved Permanently", url: "https://api.github.com/repositories/977000123/issues/4" });
    expect((await fetch(new URL(location, gh.baseUrl), { headers: { authorization: `token ${token}` } })).status).toBe(404);
    // The listing still shows it, already pointing at its new repository.
    const list = (await (await get("/repos/sandbox-user/atlas-1/issues?state=all&per_page=100", token)).json()) as Array<{ number: number; repository_url: string }>;
    expect(list.find((x) => x.number === 4)!.repository_url).toBe("https://api.github.com/repos/acme-archive/private-tracker");
    expect(list.find((x) => x.number === 5)!.repository_url).toBe("https://api.github.com/repos/sandbox-user/atlas-1");
  });

  it("refuses the 901st request of a minute with GitHub's secondary rate limit (403, retry-after, message)", async () => {
    const clock = Date.UTC(2026, 1, 3);
    const scenario = { items: 5, latency_ms: 0, fault: "none" } as const;
    const key = `secondary-${Date.now()}`;
    const handler = createGithubSandbox({ resolveToken: async () => ({ key, scenario }), now: () => clock });
    const call = () => handler(new Request("http://sandbox.test/github/user", { headers: { authorization: "token t" } }), "/user");
    for (let k = 0; k < 900; k++) expect((await call()).status).toBe(200);
    const over = await call();
    expect(over.status).toBe(403);
    expect(over.headers.get("retry-after")).toBe("60");
    expect(Number(over.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(0);
    expect(((await over.json()) as { message: string }).message).toMatch(/^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./);
  });
});
