// Accounts and the sandbox as an attacker meets them (issue 16): sign-in throttling that slows
// a guesser without locking the owner out, a sign-up answer that does not say whether an
// address has an account, a cap on names, no sync email before the address is verified, the
// sandbox switched off, and a replayed sandbox consent that cannot fill the database. Each case
// runs over real HTTP against the built server, and reads its database.
import { request as httpRequest } from "node:http";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startOwnServer, type OwnServer } from "@/tests/helpers/own-server";
import { queryDb } from "@/tests/helpers/db-query";
import type { NotificationSummary } from "@/lib/notify/types";

const PASSWORD = "correct horse battery";
const GITHUB_APP = { id: "accounts-test-client", secret: "accounts-test-secret" };

let own: OwnServer;
let off: OwnServer | undefined;
let base: string;

beforeAll(async () => {
  own = await startOwnServer("accounts", { GITHUB_CLIENT_ID: GITHUB_APP.id, GITHUB_CLIENT_SECRET: GITHUB_APP.secret });
  base = own.server.baseUrl;
}, 120_000);

afterAll(async () => {
  await own?.dispose();
  await off?.dispose();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** A POST from a chosen loopback address (127.0.0.2 is "the attacker's machine"), like a second client would send it. */
function postFrom(localAddress: string, url: string, body: string, type = "application/json"): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: "POST", localAddress, headers: { "content-type": type, origin: base, "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: performance.now() - started }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const signInFrom = (address: string, email: string, password: string) => postFrom(address, `${base}/api/auth/sign-in/email`, JSON.stringify({ email, password }));
const signUpFrom = (address: string, body: Record<string, unknown>) => postFrom(address, `${base}/api/auth/sign-up/email`, JSON.stringify(body));

async function notifications(user: TestUser): Promise<NotificationSummary[]> {
  const r = await user.json<{ notifications: NotificationSummary[] }>("/api/notifications");
  expect(r.status).toBe(200);
  return r.body.notifications;
}

async function countRows(databaseUrl: string, sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await queryDb<{ n: number | string }>(databaseUrl, sql, ...params);
  return Number(row!.n);
}

describe("sign-in throttling", () => {
  it("ten wrong passwords from an attacker's address slow that address and do not stop the owner signing in from theirs", async () => {
    const owner = await TestUser.signUp(base, { verify: false });
    const attempts: Answer[] = [];
    for (let i = 0; i < 10; i += 1) attempts.push(await signInFrom("127.0.0.2", owner.email, `wrong password ${i}`));
    const statuses = attempts.map((a) => a.status);
    // The first few are merely wrong; then the attacker's address must wait, and is told how long.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const limited = attempts.find((a) => a.status === 429)!;
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(limited.body)).toMatchObject({ success: false, error: expect.stringMatching(/try again in \d+ s/) });

    // The owner, from their own address, signs in at once (the old per-account limit said 429 here).
    const mine = await signInFrom("127.0.0.1", owner.email, PASSWORD);
    expect(mine.status, mine.body).toBe(200);
    expect(String(mine.headers["set-cookie"])).toMatch(/session_token=/);
  });
});

describe("sign-up", () => {
  it("answers a taken address exactly like a new one, and tells the owner by email", async () => {
    const owner = await TestUser.signUp(base);
    const fresh: Answer[] = [];
    const taken: Answer[] = [];
    for (let i = 0; i < 3; i += 1) {
      fresh.push(await signUpFrom("127.0.0.1", { email: `new-${randomUUID().slice(0, 8)}@example.test`, password: "another long password", name: "Someone" }));
      taken.push(await signUpFrom("127.0.0.1", { email: owner.email, password: "another long password", name: "Someone" }));
    }
    const shape = (a: Answer) => {
      const body = JSON.parse(a.body) as { token?: unknown; user?: Record<string, unknown> };
      const cookies = ([] as string[]).concat(a.headers["set-cookie"] ?? []).map((c) => c.split("=")[0]).sort();
      return { status: a.status, keys: Object.keys(body).sort(), userKeys: Object.keys(body.user ?? {}).sort(), tokenType: typeof body.token, cookies };
    };
    for (const a of [...fresh, ...taken]) expect(shape(a)).toEqual(shape(fresh[0]!));
    expect(shape(fresh[0]!)).toMatchObject({ status: 200, keys: expect.arrayContaining(["user"]), cookies: expect.arrayContaining([expect.stringMatching(/session_token$/)]) });
    for (const a of taken) {
      expect(a.body).not.toMatch(/exist/i);
      expect((JSON.parse(a.body) as { user: { email: string } }).user.email).toBe(owner.email);
    }
    const median = (xs: Answer[]) => xs.map((a) => a.ms).sort((x, y) => x - y)[1]!;
    console.log(`[accounts] sign-up answer, median of 3: new address ${median(fresh).toFixed(0)} ms, taken address ${median(taken).toFixed(0)} ms`);
    // The same password hashing either way: a taken address does not answer in a fraction of the time.
    expect(median(taken)).toBeGreaterThan(median(fresh) * 0.3);

    // The owner's account is untouched (their password still works) and they got one email about it.
    expect((await signInFrom("127.0.0.1", owner.email, PASSWORD)).status).toBe(200);
    const mails = (await notifications(owner)).filter((n) => n.kind === "sign_up_attempt");
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to_email: owner.email, subject: expect.stringMatching(/tried to create/) });
    expect(await countRows(own.databaseUrl, `SELECT COUNT(*) AS n FROM "user" WHERE email = ?`, owner.email)).toBe(1);
  });

  it("refuses a name over 100 characters (and a 1 MB one) with a 4xx, creating nothing", async () => {
    const email = `long-${randomUUID().slice(0, 8)}@example.test`;
    const long = await signUpFrom("127.0.0.1", { email, password: PASSWORD, name: "x".repeat(101) });
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body)).toMatchObject({ success: false, error: "name must be at most 100 characters" });
    const huge = await signUpFrom("127.0.0.1", { email, password: PASSWORD, name: "x".repeat(1024 * 1024) });
    // 400 from the name cap, or 413 if a body limit stops it first: never an account.
    expect([400, 413]).toContain(huge.status);
    expect(await countRows(own.databaseUrl, `SELECT COUNT(*) AS n FROM "user" WHERE email = ?`, email)).toBe(0);
    expect((await signUpFrom("127.0.0.1", { email, password: PASSWORD, name: "x".repeat(100) })).status).toBe(200);

    // Renaming later has the same cap.
    const user = await TestUser.signUp(base, { verify: false });
    const rename = await user.json("/api/auth/update-user", { method: "POST", body: JSON.stringify({ name: "y".repeat(101) }) });
    expect(rename.status).toBe(400);
  });
});

describe("email verification", () => {
  it("sends no sync email to an unverified address; once the link in the outbox is opened, it does", async () => {
    const user = await TestUser.signUp(base, { verify: false });
    // The verification email is in the outbox (no SMTP here), addressed to the user.
    const verify = (await notifications(user)).find((n) => n.kind === "verify_email");
    expect(verify).toMatchObject({ to_email: user.email, status: "stored" });
    // Signing in works unverified: people try the app at once.
    expect((await signInFrom("127.0.0.1", user.email, PASSWORD)).status).toBe(200);
    const page = await user.fetch("/notifications");
    expect(await page.text()).toContain("Verify your email to get sync emails");

    await user.connectSandbox("github", { items: 10, latency_ms: 0, fault: "none" });
    const first = await user.startSync("github");
    expect((await user.waitForTerminal(first.syncId)).status).toBe("complete");
    await new Promise((r) => setTimeout(r, 1000));
    expect((await notifications(user)).filter((n) => n.kind.startsWith("sync_"))).toEqual([]);

    await user.verifyEmail();
    const [row] = await queryDb<{ v: number | boolean }>(own.databaseUrl, `SELECT "emailVerified" AS v FROM "user" WHERE email = ?`, user.email);
    expect(Boolean(row!.v)).toBe(true);
    // A sync that brings new items (the default preference mails those and failures).
    await user.connectSandbox("gmail", { items: 10, latency_ms: 0, fault: "none" });
    const second = await user.startSync("gmail");
    expect((await user.waitForTerminal(second.syncId)).status).toBe("complete");
    const sync = (await notifications(user)).filter((n) => n.kind.startsWith("sync_"));
    expect(sync.map((n) => n.run_id)).toEqual([second.syncId]);
    expect((await user.fetch("/notifications").then((r) => r.text())).includes("Verify your email to get sync emails")).toBe(false);
  });
});

describe("the sandbox's OAuth consent", () => {
  it("a sealed consent replayed 100 times writes at most one row, is rate limited, and yields one usable code", async () => {
    const callback = `${base}/api/integrations/github/oauth/callback`;
    const authorize = `${base}/sandbox/github/login/oauth/authorize?${new URLSearchParams({ client_id: GITHUB_APP.id, redirect_uri: callback, state: "s".repeat(43), scope: "repo" })}`;
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    const sealed = /name="request" value="([^"]+)"/.exec(await page.text())?.[1];
    expect(sealed).toBeDefined();
    const tokenRows = () => countRows(own.databaseUrl, `SELECT COUNT(*) AS n FROM sandbox_token`);
    const before = await tokenRows();

    const form = new URLSearchParams({ request: sealed!, decision: "allow" }).toString();
    const answers: Answer[] = [];
    for (let i = 0; i < 100; i += 1) answers.push(await postFrom("127.0.0.3", `${base}/sandbox/github/login/oauth/authorize`, form, "application/x-www-form-urlencoded"));
    const codes = answers.filter((a) => a.status === 302).map((a) => new URL(String(a.headers.location)).searchParams.get("code")!);
    const limited = answers.filter((a) => a.status === 429);
    console.log(`[accounts] consent replayed 100 times: ${codes.length} redirects with a code, ${limited.length} answered 429`);
    expect(codes.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 302 || a.status === 429)).toBe(true);
    expect((await tokenRows()) - before).toBeLessThanOrEqual(1);

    // Exchanging: the first code works, any other code of the same consent is refused.
    const exchange = (code: string) =>
      postFrom(
        "127.0.0.1",
        `${base}/sandbox/github/login/oauth/access_token`,
        new URLSearchParams({ client_id: GITHUB_APP.id, client_secret: GITHUB_APP.secret, code, redirect_uri: callback }).toString(),
        "application/x-www-form-urlencoded",
      );
    const first = new URLSearchParams((await exchange(codes[0]!)).body);
    expect(first.get("access_token")).toMatch(/^ghs_/);
    const again = new URLSearchParams((await exchange(codes.at(-1)!)).body);
    expect(again.get("access_token")).toBeNull();
    expect(again.get("error")).toBe("bad_verification_code");
  });
});

describe("SANDBOX_ENABLED=false", () => {
  it("answers the sandbox and its connect and scenario routes with JSON errors, hides Connect sandbox and writes nothing", async () => {
    off = await startOwnServer("accounts-nosandbox", { SANDBOX_ENABLED: "false" });
    const url = off.server.baseUrl;
    const user = await TestUser.signUp(url, { verify: false });
    const rowsBefore = await countRows(off.databaseUrl, `SELECT (SELECT COUNT(*) FROM connection) + (SELECT COUNT(*) FROM sandbox_token) AS n`);

    const connect = await user.json<{ success: boolean; error: string }>("/api/integrations/github/connect", { method: "POST", body: JSON.stringify({ mode: "sandbox" }) });
    expect(connect.status).toBe(409);
    expect(connect.body).toMatchObject({ success: false, error: expect.stringContaining("SANDBOX_ENABLED") });
    const scenario = await user.json("/api/integrations/github/sandbox", { method: "PUT", body: JSON.stringify({ items: 10, latency_ms: 0, fault: "none" }) });
    expect(scenario.status).toBe(409);
    expect(scenario.body).toMatchObject({ success: false });

    for (const path of ["/sandbox/github/user", "/sandbox/github/login/oauth/authorize", "/sandbox/gmail/token"]) {
      const get = await fetch(`${url}${path}`);
      expect(get.status, path).toBe(404);
      expect(await get.json()).toMatchObject({ success: false, error: expect.stringContaining("SANDBOX_ENABLED") });
      const post = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "request=x&decision=allow" });
      expect(post.status, path).toBe(404);
    }
    const list = await user.json<{ integrations: { sandbox_available?: boolean }[] }>("/api/integrations");
    expect(list.body.integrations.every((i) => i.sandbox_available === false)).toBe(true);
    expect(await countRows(off.databaseUrl, `SELECT (SELECT COUNT(*) FROM connection) + (SELECT COUNT(*) FROM sandbox_token) AS n`)).toBe(rowsBefore);
  }, 120_000);
});

describe("sandbox scenario size", () => {
  it("refuses more than 10,000 items with a 400 and keeps the stored scenario", async () => {
    const user = await TestUser.signUp(base, { verify: false });
    await user.connectSandbox("github", { items: 10_000, latency_ms: 0, fault: "none" });
    const big = await user.json<{ success: boolean; error: string }>("/api/integrations/github/sandbox", { method: "PUT", body: JSON.stringify({ items: 100_000, latency_ms: 0, fault: "none" }) });
    expect(big.status).toBe(400);
    expect(big.body).toMatchObject({ success: false, error: "items: items must be at most 10000" });
    const [conn] = await queryDb<{ s: string }>(own.databaseUrl, `SELECT "sandboxScenario" AS s FROM connection c JOIN "user" u ON u.id = c."userId" WHERE u.email = ?`, user.email);
    expect(JSON.parse(conn!.s)).toMatchObject({ items: 10_000 });
  });
});
