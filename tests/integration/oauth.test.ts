// Real provider connections, against the sandboxes' OAuth endpoints: a server of its own with
// an OAuth app configured for every provider and every <P>_*_URL setting pointing at its own
// /sandbox/<provider>/… endpoints. Drives the flow like a browser (start -> the sandbox's
// authorize page -> Allow -> callback), then checks what was stored, that it syncs, and every
// way it must refuse: tampered, expired, foreign and replayed state, replayed codes, a wrong
// PKCE verifier, a refused refresh, refused pasted tokens; and disconnecting.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { TEST_APP_SECRET, freePort, startServer, type RunningServer } from "@/tests/helpers/server";
import { warmUp } from "@/tests/helpers/warm-up";

type Provider = "github" | "gmail" | "slack" | "box";
const LABEL: Record<Provider, string> = { github: "GitHub", gmail: "Gmail", slack: "Slack", box: "Box" };
const PREFIX: Record<Provider, string> = { github: "GITHUB", gmail: "GOOGLE", slack: "SLACK", box: "BOX" };
const CLIENT: Record<Provider, { id: string; secret: string }> = {
  github: { id: "Iv1.sbxgithubclient", secret: "gh-secret-0123456789" },
  gmail: { id: "1234-sbx.apps.googleusercontent.com", secret: "GOCSPX-sbx-secret" },
  slack: { id: "1111.2222", secret: "slack-secret-abcdef" },
  box: { id: "boxsbxclient", secret: "box-secret-abcdef" },
};
/** Below /sandbox/<provider>: the real providers' paths. */
const PATHS: Record<Provider, { authorize: string; token: string; revoke: string; api: string }> = {
  github: { authorize: "/login/oauth/authorize", token: "/login/oauth/access_token", revoke: "/applications/{client_id}/grant", api: "" },
  gmail: { authorize: "/o/oauth2/v2/auth", token: "/token", revoke: "/revoke", api: "" },
  slack: { authorize: "/oauth/v2/authorize", token: "/api/oauth.v2.access", revoke: "/api/auth.revoke", api: "/api" },
  box: { authorize: "/api/oauth2/authorize", token: "/oauth2/token", revoke: "/oauth2/revoke", api: "" },
};
const ACCOUNT_LABEL: Record<Provider, string> = {
  github: "sandbox-user",
  gmail: "sandbox-user@gmail.com",
  slack: "2nd Brain Sandbox",
  box: "sandbox-user@example.com",
};
const TOKEN_PREFIX: Record<Provider, string> = { github: "ghs_sbx_", gmail: "ya29.sbx_", slack: "xoxb-sbx_", box: "box_sbx_" };

let server: RunningServer;
let base: string;
let dir: string;
let dbFile: string;
let logFile: string;
/** Slack's revoke endpoint is pointed at this stub, which always fails: disconnect must still work. */
let failingRevoke: Server;
const revokeCalls: { authorization: string | undefined }[] = [];
/** Every token value this suite saw stored: none may appear in the server's output. */
const seenTokens = new Set<string>();

const sandbox = (p: Provider, sub: string) => `${base}/sandbox/${p}${sub}`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sb-oauth-"));
  dbFile = path.join(dir, "oauth.db");
  logFile = path.join(dir, "server.log");
  failingRevoke = createServer((req, res) => {
    revokeCalls.push({ authorization: req.headers.authorization });
    req.resume();
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error: "internal_error" }));
  });
  await new Promise<void>((r) => failingRevoke.listen(0, "127.0.0.1", r));
  const stubUrl = `http://127.0.0.1:${(failingRevoke.address() as AddressInfo).port}/api/auth.revoke`;

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {};
  for (const p of Object.keys(PREFIX) as Provider[]) {
    const P = PREFIX[p];
    env[`${P}_CLIENT_ID`] = CLIENT[p].id;
    env[`${P}_CLIENT_SECRET`] = CLIENT[p].secret;
    env[`${P}_AUTHORIZE_URL`] = sandbox(p, PATHS[p].authorize);
    env[`${P}_TOKEN_URL`] = sandbox(p, PATHS[p].token);
    env[`${P}_REVOKE_URL`] = sandbox(p, PATHS[p].revoke);
    env[`${P}_API_URL`] = sandbox(p, PATHS[p].api);
  }
  env.SLACK_REVOKE_URL = stubUrl;
  server = await startServer({ databaseUrl: `file:${dbFile}`, port, env, logFile });
  await warmUp(server.baseUrl);
});

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((r) => (failingRevoke ? failingRevoke.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- helpers

function sqlite(readonly = true): Database.Database {
  return new Database(dbFile, { readonly });
}

/** The app's credentials envelope (lib/crypto.ts), opened independently of the app's code. */
function decrypt(envelope: string): unknown {
  const [, kid, iv, tag, body] = envelope.split(".");
  const key = Buffer.from(hkdfSync("sha256", TEST_APP_SECRET, "2nd-brain", `credentials:${kid}`, 32));
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv!, "base64url"));
  d.setAuthTag(Buffer.from(tag!, "base64url"));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(body!, "base64url")), d.final()]).toString("utf8"));
}

/** lib/oauth/seal.ts's envelope, sealed independently (to craft an expired state cookie). */
function sealLike(purpose: string, value: unknown): string {
  const key = Buffer.from(hkdfSync("sha256", TEST_APP_SECRET, "2nd-brain", `seal:${purpose}`, 32));
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([c.update(JSON.stringify(value), "utf8"), c.final()]);
  return `s1.${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64url")}`;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const s256 = (v: string) => createHash("sha256").update(v).digest("base64url");

interface Stored {
  id: string;
  mode: string;
  status: string;
  creds: { accessToken: string; refreshToken?: string; expiresAt?: string; source?: string } | null;
}

function stored(user: TestUser, type: Provider): Stored | null {
  const db = sqlite();
  try {
    const row = db
      .prepare(`SELECT c."id", c."mode", c."status", c."credentials" FROM "connection" c JOIN "user" u ON u."id" = c."userId" WHERE u."email" = ? AND c."type" = ?`)
      .get(user.email, type) as { id: string; mode: string; status: string; credentials: string } | undefined;
    if (!row) return null;
    const creds = decrypt(row.credentials) as Stored["creds"];
    if (creds?.accessToken) seenTokens.add(creds.accessToken);
    if (creds?.refreshToken) seenTokens.add(creds.refreshToken);
    return { id: row.id, mode: row.mode, status: row.status, creds };
  } finally {
    db.close();
  }
}

async function integration(user: TestUser, type: Provider): Promise<Record<string, unknown>> {
  const r = await user.json<{ integrations: Record<string, unknown>[] }>("/api/integrations");
  expect(r.status).toBe(200);
  return r.body.integrations.find((i) => i.type === type)!;
}

interface Started {
  authorizeUrl: URL;
  /** "sb_oauth_<type>=<sealed>" */
  stateCookie: string;
  setCookie: string;
}

async function startFlow(user: TestUser, type: Provider): Promise<Started> {
  const res = await user.fetch(`/api/integrations/${type}/oauth/start`, { redirect: "manual" });
  expect(res.status).toBe(302);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`sb_oauth_${type}=`));
  expect(setCookie).toBeDefined();
  return { authorizeUrl: new URL(res.headers.get("location")!), stateCookie: setCookie!.split(";")[0]!, setCookie: setCookie! };
}

/** Opens the sandbox's authorize page and presses Allow (or Deny); returns where it redirects. */
async function consent(authorizeUrl: URL, decision: "allow" | "deny" = "allow"): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(request).toBeDefined();
  expect(action).toBeDefined();
  const res = await fetch(new URL(action!, authorizeUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ request: request!, decision }).toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

async function callback(user: TestUser, url: URL, cookie?: string): Promise<{ location: string; setCookies: string[] }> {
  const res = await user.fetch(`${url.pathname}${url.search}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(302);
  return { location: res.headers.get("location")!, setCookies: res.headers.getSetCookie() };
}

async function connectViaOAuth(user: TestUser, type: Provider): Promise<{ started: Started; callbackUrl: URL }> {
  const started = await startFlow(user, type);
  const callbackUrl = await consent(started.authorizeUrl);
  const back = await callback(user, callbackUrl, started.stateCookie);
  expect(back.location).toBe(`/integrations?connected=${type}`);
  return { started, callbackUrl };
}

/** The suite as its own OAuth client of the sandbox (the app's registration): an authorization code. */
async function directCode(type: Provider, opts: { challenge?: string; accessType?: string } = {}): Promise<string> {
  const url = new URL(sandbox(type, PATHS[type].authorize));
  url.searchParams.set("client_id", CLIENT[type].id);
  url.searchParams.set("redirect_uri", `${base}/api/integrations/${type}/oauth/callback`);
  url.searchParams.set("state", "direct");
  url.searchParams.set("response_type", "code");
  if (opts.accessType) url.searchParams.set("access_type", opts.accessType);
  if (opts.challenge) {
    url.searchParams.set("code_challenge", opts.challenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  const back = await consent(url);
  expect(back.searchParams.get("state")).toBe("direct");
  return back.searchParams.get("code")!;
}

async function directExchange(type: Provider, code: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(sandbox(type, PATHS[type].token), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: `${base}/api/integrations/${type}/oauth/callback`,
      client_id: CLIENT[type].id,
      client_secret: CLIENT[type].secret,
      ...extra,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A working token straight from the sandbox (for the paste-a-token tests). */
async function sandboxIssuedToken(type: Provider): Promise<string> {
  const verifier = randomBytes(32).toString("base64url");
  const withPkce = type === "github" || type === "gmail";
  const code = await directCode(type, withPkce ? { challenge: s256(verifier) } : {});
  const r = await directExchange(type, code, withPkce ? { code_verifier: verifier } : {});
  expect(r.status).toBe(200);
  const token = r.body.access_token as string;
  expect(token.startsWith(TOKEN_PREFIX[type])).toBe(true);
  seenTokens.add(token);
  return token;
}

/** One cheap API call with the token at the sandbox: its HTTP status (Slack: ok/error). */
async function tokenWorks(type: Provider, token: string): Promise<boolean> {
  const url =
    type === "github" ? sandbox(type, "/user") : type === "gmail" ? sandbox(type, "/gmail/v1/users/me/profile") : type === "slack" ? sandbox(type, "/api/auth.test") : sandbox(type, "/2.0/users/me");
  const res = await fetch(url, { method: type === "slack" ? "POST" : "GET", headers: { authorization: `Bearer ${token}` } });
  if (type === "slack") return ((await res.json()) as { ok: boolean }).ok === true;
  await res.body?.cancel();
  return res.status === 200;
}

/** Changes sandbox tokens of the account behind `accessToken`, as a test-only lever (via the DB). */
function craftSandboxTokens(accessToken: string, change: { expireAccess?: boolean; revokeRefresh?: boolean }): void {
  const db = sqlite(false);
  try {
    const row = db.prepare(`SELECT "connectionId" FROM "sandbox_token" WHERE "tokenHash" = ?`).get(sha256(accessToken)) as { connectionId: string } | undefined;
    expect(row?.connectionId).toMatch(/^oauth_/);
    const past = Date.now() - 60_000;
    if (change.expireAccess) {
      const r = db.prepare(`UPDATE "sandbox_token" SET "expiresAt" = ? WHERE "connectionId" = ? AND "kind" = 'access'`).run(past, row!.connectionId);
      expect(r.changes).toBeGreaterThan(0);
    }
    if (change.revokeRefresh) {
      const r = db.prepare(`UPDATE "sandbox_token" SET "revokedAt" = ? WHERE "connectionId" = ? AND "kind" = 'refresh'`).run(past, row!.connectionId);
      expect(r.changes).toBeGreaterThan(0);
    }
  } finally {
    db.close();
  }
}

async function syncToEnd(user: TestUser, type: Provider) {
  const s = await user.startSync(type);
  expect(s.status).toBe(202);
  return user.waitForTerminal(s.syncId, 90_000);
}

// ---------------------------------------------------------------- connect

describe.each(["github", "gmail", "box", "slack"] as const)("OAuth connect: %s", (type) => {
  it("start -> sandbox authorize page -> Allow -> callback: a live, connected connection that syncs", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, type);

    // The authorize request, as the provider documents it.
    const a = started.authorizeUrl;
    expect(`${a.origin}${a.pathname}`).toBe(sandbox(type, PATHS[type].authorize));
    expect(a.searchParams.get("client_id")).toBe(CLIENT[type].id);
    expect(a.searchParams.get("redirect_uri")).toBe(`${base}/api/integrations/${type}/oauth/callback`);
    expect(a.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    if (type === "github" || type === "gmail") {
      expect(a.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.searchParams.get("code_challenge_method")).toBe("S256");
    } else {
      expect(a.searchParams.has("code_challenge")).toBe(false);
    }
    if (type === "gmail") {
      expect(a.searchParams.get("scope")).toBe("https://www.googleapis.com/auth/gmail.readonly");
      expect(a.searchParams.get("access_type")).toBe("offline");
      expect(a.searchParams.get("prompt")).toBe("consent");
      expect(a.searchParams.get("response_type")).toBe("code");
    }
    if (type === "slack") expect(a.searchParams.get("scope")).toBe("channels:read,channels:history,groups:read,groups:history,users:read");
    // The state cookie: sealed, httpOnly, Lax, scoped, 10 minutes; neither state nor verifier readable in it.
    expect(started.setCookie).toMatch(/; Path=\/api\/integrations; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(started.stateCookie).not.toContain(a.searchParams.get("state")!);

    const page = await (await fetch(a)).text();
    expect(page).toContain(`Allow 2nd Brain to read your sandbox ${LABEL[type]}?`);

    const cb = await consent(a);
    expect(`${cb.origin}${cb.pathname}`).toBe(`${base}/api/integrations/${type}/oauth/callback`);
    expect(cb.searchParams.get("state")).toBe(a.searchParams.get("state"));
    const back = await callback(user, cb, started.stateCookie);
    expect(back.location).toBe(`/integrations?connected=${type}`);
    expect(back.setCookies.find((c) => c.startsWith(`sb_oauth_${type}=;`))).toMatch(/Max-Age=0/);

    expect(await integration(user, type)).toMatchObject({
      connected: true,
      mode: "live",
      status: "connected",
      account_label: ACCOUNT_LABEL[type],
      live_available: true,
      item_count: 0,
    });
    const s = stored(user, type)!;
    expect(s).toMatchObject({ mode: "live", status: "connected" });
    expect(s.creds!.accessToken.startsWith(TOKEN_PREFIX[type])).toBe(true);
    expect(s.creds!.source).toBe("oauth");
    if (type === "gmail" || type === "box") {
      expect(s.creds!.refreshToken).toMatch(type === "gmail" ? /^ya29\.sbx_r_/ : /^box_sbx_r_/);
      expect(Date.parse(s.creds!.expiresAt!)).toBeGreaterThan(Date.now() + 50 * 60_000);
    } else {
      expect(s.creds!.refreshToken).toBeUndefined();
    }

    // The sync reads the provider through <P>_API_URL (the sandbox) with the stored token.
    const end = await syncToEnd(user, type);
    expect(end.status, end.error_message).toBe("complete");
    expect(end.error_message).toBeUndefined();
    expect(end.processed_items).toBeGreaterThan(0);
    expect((await integration(user, type)).item_count).toBe(end.processed_items);
  }, 120_000);
});

describe("OAuth state", () => {
  it("a tampered state is refused and nothing is stored", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, "github");
    const cb = await consent(started.authorizeUrl);
    const state = cb.searchParams.get("state")!;
    cb.searchParams.set("state", `${state.slice(0, -1)}${state.endsWith("A") ? "B" : "A"}`);
    const back = await callback(user, cb, started.stateCookie);
    expect(back.location).toBe("/integrations?error=state_mismatch&provider=github");
    expect(stored(user, "github")).toBeNull();
    expect(await integration(user, "github")).toMatchObject({ connected: false, mode: null, status: null });
  });

  it("a tampered state cookie is refused", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, "gmail");
    const cb = await consent(started.authorizeUrl);
    const [name, value] = started.stateCookie.split("=") as [string, string];
    const flipped = `${value.slice(0, 20)}${value[20] === "a" ? "b" : "a"}${value.slice(21)}`;
    const back = await callback(user, cb, `${name}=${flipped}`);
    expect(back.location).toBe("/integrations?error=state_invalid&provider=gmail");
    expect(stored(user, "gmail")).toBeNull();
  });

  it("a callback without the state cookie (another browser) is refused", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, "box");
    const cb = await consent(started.authorizeUrl);
    expect((await callback(user, cb)).location).toBe("/integrations?error=state_missing&provider=box");
    expect(stored(user, "box")).toBeNull();
  });

  it("an expired state is refused", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, "github"); // for the user id: read it from the DB
    const db = sqlite();
    const { id: userId } = db.prepare(`SELECT "id" FROM "user" WHERE "email" = ?`).get(user.email) as { id: string };
    db.close();
    const expired = sealLike("oauth-state", { v: 1, s: "expired-state-value-0123456789abcdef", u: userId, p: "github", exp: Date.now() - 1000 });
    const url = new URL(`${base}/api/integrations/github/oauth/callback?code=whatever&state=expired-state-value-0123456789abcdef`);
    expect((await callback(user, url, `sb_oauth_github=${expired}`)).location).toBe("/integrations?error=state_expired&provider=github");
    // …and the same crafted cookie, unexpired, is accepted as far as the state goes (the code then fails).
    const fresh = sealLike("oauth-state", { v: 1, s: "fresh-state-value-0123456789abcdefgh", u: userId, p: "github", exp: Date.now() + 60_000 });
    const url2 = new URL(`${base}/api/integrations/github/oauth/callback?code=not-a-code&state=fresh-state-value-0123456789abcdefgh`);
    expect((await callback(user, url2, `sb_oauth_github=${fresh}`)).location).toBe("/integrations?error=exchange_failed&provider=github");
    expect(stored(user, "github")).toBeNull();
    expect(started.stateCookie).toMatch(/^sb_oauth_github=s1\./);
  });

  it("another user's callback (URL and cookie) is refused for the signed-in user", async () => {
    const alice = await TestUser.signUp(base);
    const mallory = await TestUser.signUp(base);
    const started = await startFlow(alice, "github");
    const cb = await consent(started.authorizeUrl);
    expect((await callback(mallory, cb, started.stateCookie)).location).toBe("/integrations?error=user_mismatch&provider=github");
    expect(stored(mallory, "github")).toBeNull();
    expect(stored(alice, "github")).toBeNull();
  });

  it("a callback replayed with its cookie is refused and changes nothing", async () => {
    const user = await TestUser.signUp(base);
    const { started, callbackUrl } = await connectViaOAuth(user, "github");
    const before = stored(user, "github")!;
    expect((await callback(user, callbackUrl, started.stateCookie)).location).toBe("/integrations?error=state_replayed&provider=github");
    expect(stored(user, "github")!.creds).toEqual(before.creds);
  });

  it("Deny at the provider comes back as access_denied, nothing stored", async () => {
    const user = await TestUser.signUp(base);
    const started = await startFlow(user, "slack");
    const cb = await consent(started.authorizeUrl, "deny");
    expect(cb.searchParams.get("error")).toBe("access_denied");
    expect(cb.searchParams.has("code")).toBe(false);
    expect((await callback(user, cb, started.stateCookie)).location).toBe("/integrations?error=access_denied&provider=slack");
    expect(stored(user, "slack")).toBeNull();
  });

  it("a signed-out callback goes to sign-in; a start needs a session", async () => {
    const res = await fetch(`${base}/api/integrations/github/oauth/callback?code=x&state=y`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/sign-in");
    const start = await fetch(`${base}/api/integrations/github/oauth/start`, { redirect: "manual" });
    expect(start.status).toBe(401);
  });
});

describe("authorization codes", () => {
  it("a replayed code is refused, and what its first use issued is revoked", async () => {
    const user = await TestUser.signUp(base);
    const { callbackUrl } = await connectViaOAuth(user, "github");
    const first = stored(user, "github")!.creds!.accessToken;
    expect(await tokenWorks("github", first)).toBe(true);

    // A second flow, finished with the first flow's code.
    const second = await startFlow(user, "github");
    const replay = new URL(callbackUrl);
    replay.searchParams.set("state", second.authorizeUrl.searchParams.get("state")!);
    expect((await callback(user, replay, second.stateCookie)).location).toBe("/integrations?error=exchange_failed&provider=github");

    // Like Google: the code may have leaked, so the tokens it produced stop working…
    expect(await tokenWorks("github", first)).toBe(false);
    expect(stored(user, "github")!.creds!.accessToken).toBe(first);
    // …and the next sync says to reconnect.
    const end = await syncToEnd(user, "github");
    expect(end.status).toBe("error");
    expect(end.error_message).toContain("Reconnect GitHub");
    expect(await integration(user, "github")).toMatchObject({ connected: true, status: "needs_reauth" });
  });

  it("a wrong PKCE verifier is invalid_grant, and the code is spent by the attempt", async () => {
    const verifier = randomBytes(32).toString("base64url");
    const code = await directCode("gmail", { challenge: s256(verifier), accessType: "offline" });
    const wrong = await directExchange("gmail", code, { code_verifier: randomBytes(32).toString("base64url") });
    expect(wrong).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Invalid code verifier." } });
    const late = await directExchange("gmail", code, { code_verifier: verifier });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe("invalid_grant");

    const missing = await directExchange("gmail", await directCode("gmail", { challenge: s256(verifier) }));
    expect(missing).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const ok = await directExchange("gmail", await directCode("gmail", { challenge: s256(verifier), accessType: "offline" }), { code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "https://www.googleapis.com/auth/gmail.readonly" });
    expect(ok.body.access_token).toMatch(/^ya29\.sbx_/);
    expect(ok.body.refresh_token).toMatch(/^ya29\.sbx_r_/);
    seenTokens.add(ok.body.access_token as string);
  });

  it("GitHub answers a wrong verifier and a wrong secret the way GitHub does (200 with an error)", async () => {
    const verifier = randomBytes(32).toString("base64url");
    const wrong = await directExchange("github", await directCode("github", { challenge: s256(verifier) }), { code_verifier: `${verifier.slice(0, -1)}x` });
    expect(wrong.status).toBe(200);
    expect(wrong.body.error).toBe("bad_verification_code");
    const secret = await directExchange("github", await directCode("github", { challenge: s256(verifier) }), { code_verifier: verifier, client_secret: "nope" });
    expect(secret.status).toBe(200);
    expect(secret.body.error).toBe("incorrect_client_credentials");
  });

  it("a consent posted from another site is refused", async () => {
    const url = new URL(sandbox("github", PATHS.github.authorize));
    for (const [k, v] of Object.entries({ client_id: CLIENT.github.id, state: "s", redirect_uri: `${base}/api/integrations/github/oauth/callback` })) url.searchParams.set(k, v);
    const html = await (await fetch(url)).text();
    const request = /name="request" value="([^"]+)"/.exec(html)![1]!;
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ request, decision: "allow" }).toString(),
      redirect: "manual",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("This consent was not sent from this page.");
  });

  it("a code is bound to its redirect_uri; an unregistered redirect_uri gets no redirect at all", async () => {
    const code = await directCode("box");
    const other = await directExchange("box", code, { redirect_uri: `${base}/api/integrations/github/oauth/callback` });
    expect(other).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const url = new URL(sandbox("box", PATHS.box.authorize));
    for (const [k, v] of Object.entries({ client_id: CLIENT.box.id, response_type: "code", state: "s", redirect_uri: "https://evil.example/api/integrations/box/oauth/callback" })) url.searchParams.set(k, v);
    const page = await fetch(url, { redirect: "manual" });
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
    expect(await page.text()).toContain("not the app&#39;s registered callback");
  });
});

// ---------------------------------------------------------------- refresh

describe("refresh against the sandbox token endpoints", () => {
  it("Box: an expired access token is refreshed during the sync, the rotated refresh token stored", async () => {
    const user = await TestUser.signUp(base);
    await connectViaOAuth(user, "box");
    const before = stored(user, "box")!.creds!;
    craftSandboxTokens(before.accessToken, { expireAccess: true });
    expect(await tokenWorks("box", before.accessToken)).toBe(false);

    const end = await syncToEnd(user, "box");
    expect(end.status).toBe("complete");
    const after = stored(user, "box")!.creds!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toMatch(/^box_sbx_r_/);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await tokenWorks("box", after.accessToken)).toBe(true);
    // The old refresh token was spent by the rotation.
    const reuse = await fetch(sandbox("box", "/oauth2/token"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: before.refreshToken! }).toString(),
    });
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
  }, 120_000);

  it.each(["gmail", "box"] as const)("%s: a refused refresh ends the sync with Reconnect and marks needs_reauth", async (type) => {
    const user = await TestUser.signUp(base);
    await connectViaOAuth(user, type);
    const creds = stored(user, type)!.creds!;
    craftSandboxTokens(creds.accessToken, { expireAccess: true, revokeRefresh: true });

    const end = await syncToEnd(user, type);
    expect(end.status).toBe("error");
    expect(end.error_message).toContain(`Reconnect ${LABEL[type]}`);
    const it = await integration(user, type);
    expect(it).toMatchObject({ connected: true, mode: "live", status: "needs_reauth" });
    expect(it.status_message).toContain(`Reconnect ${LABEL[type]}`);
    expect(stored(user, type)!.creds!.refreshToken).toBe(creds.refreshToken); // nothing new was stored

    // Reconnecting through OAuth makes it whole again.
    await connectViaOAuth(user, type);
    expect(await integration(user, type)).toMatchObject({ connected: true, status: "connected", status_message: null });
  }, 120_000);
});

// ---------------------------------------------------------------- pasted tokens

describe("a pasted token", () => {
  it.each(["github", "slack", "box"] as const)("%s: a working token is checked, stored encrypted, and syncs", async (type) => {
    const user = await TestUser.signUp(base);
    const token = await sandboxIssuedToken(type);
    const r = await user.json<{ integration: Record<string, unknown> }>(`/api/integrations/${type}/connect`, {
      method: "POST",
      body: JSON.stringify({ mode: "token", token }),
    });
    expect(r.status).toBe(200);
    expect(r.body.integration).toMatchObject({ connected: true, mode: "live", status: "connected", account_label: ACCOUNT_LABEL[type] });
    expect(JSON.stringify(r.body)).not.toContain(token);
    expect(stored(user, type)!.creds).toEqual({ accessToken: token, source: "token" });
    if (type === "github") {
      const end = await syncToEnd(user, type);
      expect(end.status).toBe("complete");
      expect(end.processed_items).toBeGreaterThan(0);
    }
  }, 120_000);

  it.each([
    ["github", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "GitHub refused this token (HTTP 401)"],
    ["slack", "xoxb-1111-2222-notarealtoken", "Slack refused this token (invalid_auth)"],
    ["box", "notaboxtoken0123456789", "Box refused this token (HTTP 401)"],
  ] as const)("%s: a refused token is a 400 with a readable message, nothing stored", async (type, token, message) => {
    const user = await TestUser.signUp(base);
    const r = await user.json<{ success: boolean; error: string }>(`/api/integrations/${type}/connect`, {
      method: "POST",
      body: JSON.stringify({ mode: "token", token }),
    });
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
    expect(r.body.error).toContain(message);
    expect(r.body.error).toContain("nothing was stored");
    expect(stored(user, type)).toBeNull();
    expect(await integration(user, type)).toMatchObject({ connected: false });
  });

  it("token checks are limited to 10 a minute per user", async () => {
    const user = await TestUser.signUp(base);
    const paste = (i: number) =>
      user.json<{ error: string }>(`/api/integrations/github/connect`, { method: "POST", body: JSON.stringify({ mode: "token", token: `ghp_guess_${i}` }) });
    for (let i = 0; i < 10; i += 1) expect((await paste(i)).status).toBe(400);
    const limited = await paste(10);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatch(/^Too many token checks; try again in \d+ s\.$/);
  });

  it("a refused token leaves an existing connection as it was", async () => {
    const user = await TestUser.signUp(base);
    await user.connectSandbox("github");
    const before = stored(user, "github")!;
    const r = await user.json(`/api/integrations/github/connect`, { method: "POST", body: JSON.stringify({ mode: "token", token: "ghp_wrong" }) });
    expect(r.status).toBe(400);
    expect(stored(user, "github")).toEqual(before);
  });

  it("Gmail takes no pasted token; malformed tokens are refused before any call", async () => {
    const user = await TestUser.signUp(base);
    const gmail = await user.json<{ error: string }>(`/api/integrations/gmail/connect`, { method: "POST", body: JSON.stringify({ mode: "token", token: "ya29.x" }) });
    expect(gmail.status).toBe(400);
    expect(gmail.body.error).toContain("Gmail does not take a pasted token");
    for (const body of [{ mode: "token" }, { mode: "token", token: "" }, { mode: "token", token: 42 }, { mode: "token", token: "two words" }, { mode: "token", token: "x".repeat(5000) }, { mode: "token", token: "t", extra: 1 }]) {
      const r = await user.json<{ success: boolean; error: string }>(`/api/integrations/github/connect`, { method: "POST", body: JSON.stringify(body) });
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(r.body.success).toBe(false);
      expect(typeof r.body.error).toBe("string");
    }
    expect(stored(user, "github")).toBeNull();
  });
});

// ---------------------------------------------------------------- disconnect

describe("disconnect", () => {
  it("revokes at the provider, forgets the credentials and deletes the documents when asked", async () => {
    const user = await TestUser.signUp(base);
    await connectViaOAuth(user, "github");
    const token = stored(user, "github")!.creds!.accessToken;
    const end = await syncToEnd(user, "github");
    expect(end.status).toBe("complete");
    const count = (await integration(user, "github")).item_count as number;
    expect(count).toBeGreaterThan(0);
    const connId = stored(user, "github")!.id;
    const db = sqlite();
    const ftsBefore = (db.prepare(`SELECT COUNT(*) AS n FROM "document_fts" WHERE "documentId" IN (SELECT "id" FROM "document" WHERE "connectionId" = ?)`).get(connId) as { n: number }).n;
    db.close();
    expect(ftsBefore).toBe(count);

    const r = await user.json<{ integration: Record<string, unknown>; revoked: boolean; deleted_items: number; message: string }>("/api/integrations/github/disconnect", {
      method: "POST",
      body: JSON.stringify({ delete_documents: true }),
    });
    expect(r.status).toBe(200);
    expect(r.body.revoked).toBe(true);
    expect(r.body.deleted_items).toBe(count);
    expect(r.body.message).toContain("Access was revoked at GitHub");
    expect(r.body.integration).toMatchObject({ connected: false, mode: null, status: "disconnected", item_count: 0, account_label: null });

    expect(await tokenWorks("github", token)).toBe(false);
    const after = stored(user, "github")!;
    expect(after).toMatchObject({ status: "disconnected", creds: null });
    const db2 = sqlite();
    expect((db2.prepare(`SELECT COUNT(*) AS n FROM "document" WHERE "connectionId" = ?`).get(connId) as { n: number }).n).toBe(0);
    expect((db2.prepare(`SELECT COUNT(*) AS n FROM "document_fts"`).all() as { n: number }[])[0]!.n).toBeGreaterThanOrEqual(0);
    db2.close();
    // Nothing left to sync with.
    const again = await user.json<{ error: string }>("/api/integrations/github/sync", { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.body.error).toContain("not connected");
  }, 120_000);

  it("keeps the documents unless asked, and revokes Google's grant (the refresh token stops working too)", async () => {
    const user = await TestUser.signUp(base);
    await connectViaOAuth(user, "gmail");
    const creds = stored(user, "gmail")!.creds!;
    expect((await syncToEnd(user, "gmail")).status).toBe("complete");
    const count = (await integration(user, "gmail")).item_count as number;
    expect(count).toBeGreaterThan(0);

    const r = await user.json<{ revoked: boolean; deleted_items: number; integration: Record<string, unknown> }>("/api/integrations/gmail/disconnect", {
      method: "POST",
      body: JSON.stringify({ delete_documents: false }),
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ revoked: true, deleted_items: 0 });
    expect(r.body.integration).toMatchObject({ connected: false, status: "disconnected", item_count: count });
    expect(await tokenWorks("gmail", creds.accessToken)).toBe(false);
    const refresh = await fetch(sandbox("gmail", "/token"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: creds.refreshToken! }).toString(),
    });
    expect(refresh.status).toBe(400);
  }, 120_000);

  it("still disconnects when the provider's revoke fails, and says so", async () => {
    const user = await TestUser.signUp(base);
    await connectViaOAuth(user, "slack");
    const token = stored(user, "slack")!.creds!.accessToken;
    const calls = revokeCalls.length;
    const r = await user.json<{ revoked: boolean; message: string; integration: Record<string, unknown> }>("/api/integrations/slack/disconnect", {
      method: "POST",
      body: JSON.stringify({ delete_documents: false }),
    });
    expect(r.status).toBe(200);
    expect(r.body.revoked).toBe(false);
    expect(r.body.message).toContain("Slack did not confirm revoking access (internal_error)");
    expect(r.body.integration).toMatchObject({ connected: false, status: "disconnected" });
    expect(stored(user, "slack")!.creds).toBeNull();
    // The stub (SLACK_REVOKE_URL) was asked, with the token as Slack expects it.
    expect(revokeCalls.length).toBe(calls + 1);
    expect(revokeCalls.at(-1)!.authorization).toBe(`Bearer ${token}`);
  });

  it("a sandbox connection: its sandbox token is revoked", async () => {
    const user = await TestUser.signUp(base);
    await user.connectSandbox("github");
    const token = stored(user, "github")!.creds!.accessToken;
    expect(await tokenWorks("github", token)).toBe(true);
    const r = await user.json<{ revoked: boolean; message: string }>("/api/integrations/github/disconnect", { method: "POST", body: JSON.stringify({ delete_documents: false }) });
    expect(r.status).toBe(200);
    expect(r.body.revoked).toBe(true);
    expect(r.body.message).toContain("The sandbox token was revoked");
    expect(await tokenWorks("github", token)).toBe(false);
  });

  it("is refused while a sync runs, and for a provider never connected", async () => {
    const user = await TestUser.signUp(base);
    await user.connectSandbox("github", { items: 200, latency_ms: 1500, fault: "none" });
    const s = await user.startSync("github");
    const r = await user.json<{ success: boolean; error: string }>("/api/integrations/github/disconnect", { method: "POST", body: JSON.stringify({ delete_documents: true }) });
    expect(r.status).toBe(409);
    expect(r.body.error).toContain("A GitHub sync is running");
    expect(stored(user, "github")).toMatchObject({ status: "connected", mode: "sandbox" });
    await user.json(`/api/sync-progress/${s.syncId}/cancel`, { method: "POST" });
    await user.waitForTerminal(s.syncId);

    const never = await user.json<{ error: string }>("/api/integrations/box/disconnect", { method: "POST", body: JSON.stringify({ delete_documents: false }) });
    expect(never.status).toBe(409);
    expect(never.body.error).toBe("Box is not connected.");
  });

  it("malformed bodies and cross-site requests are 4xx and change nothing", async () => {
    const user = await TestUser.signUp(base);
    await user.connectSandbox("github");
    const before = stored(user, "github");
    for (const body of ["{", "null", "[]", "{}", '{"delete_documents":"yes"}', '{"delete_documents":true,"x":1}', '{"delete_documents":1}']) {
      const res = await user.fetch("/api/integrations/github/disconnect", { method: "POST", body });
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
      expect(((await res.json()) as { success: boolean }).success).toBe(false);
    }
    const cross = await user.fetch("/api/integrations/github/disconnect", { method: "POST", body: '{"delete_documents":true}', headers: { origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    const bad = await user.fetch("/api/integrations/nope/disconnect", { method: "POST", body: '{"delete_documents":true}' });
    expect(bad.status).toBe(400);
    expect(stored(user, "github")).toEqual(before);
  });
});

describe("callback input", () => {
  it("never answers 5xx, whatever comes back", async () => {
    const user = await TestUser.signUp(base);
    const queries = ["", "?code=", "?state=", "?code=%00&state=%00", `?code=${"a".repeat(5000)}&state=x`, "?error=server_error", "?error=%E2%80%AE&state=x", "?code=a&code=b&state=x"];
    for (const type of ["github", "gmail", "nope", "gi%74hub%2F..", "%E2%80%AE"]) {
      for (const q of queries) {
        const res = await user.fetch(`/api/integrations/${type}/oauth/callback${q}`, { redirect: "manual" });
        expect(res.status, `${type} ${q}`).toBeLessThan(500);
        if (type === "github" || type === "gmail") expect(res.status, `${type} ${q}`).toBe(302);
        if (res.status === 302) expect(res.headers.get("location"), `${type} ${q}`).toMatch(/^\/integrations\?error=[a-z_]+(&provider=[a-z]+)?$/);
        await res.body?.cancel();
      }
    }
    for (const type of ["github", "gmail"] as const) expect(stored(user, type)).toBeNull();
  });
});

describe("secrets", () => {
  it("no token this suite saw stored appears in the server's output", () => {
    expect(seenTokens.size).toBeGreaterThan(10);
    const log = readFileSync(logFile, "utf8");
    for (const token of seenTokens) expect(log.includes(token)).toBe(false);
  });
});

// ---------------------------------------------------------------- the suite's shared server: nothing configured

describe("a provider without an OAuth app", () => {
  const shared = inject("baseUrl");

  it("start answers 409 in a user's words (the settings are the operator's: start-up log, README); the summary says only that live is unavailable", async () => {
    const user = await TestUser.signUp(shared);
    for (const [type, prefix] of Object.entries(PREFIX)) {
      const r = await user.json<{ success: boolean; error: string }>(`/api/integrations/${type}/oauth/start`);
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ success: false, code: "conflict" });
      expect(r.body.error).toMatch(/^Connecting a real (Gmail|Slack|Box|GitHub) account is not set up on this server yet\./);
      expect(r.body.error).not.toContain(`${prefix}_CLIENT_ID`);
      const it = await integration(user, type as Provider);
      expect(it).toMatchObject({ live_available: false });
      // What an operator must set is in the start-up log and the README, not in users' answers.
      expect(JSON.stringify(it)).not.toContain(`${prefix}_CLIENT_ID`);
      expect(it).not.toHaveProperty("not_configured_hint");
    }
  });
});
