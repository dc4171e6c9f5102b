import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebClient, type ConversationsHistoryResponse, type ConversationsListResponse, type UsersListResponse } from "@slack/web-api";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import type { SandboxScenario } from "@/lib/contract";
import { FAULT_CURSOR_TTL_MS, createSlackSandbox } from "./handler";
import { CURSOR_MAX_AGE_MS } from "./methods";
import { GHOST_CHANNEL, channelId, countBelow, firstIndexAtOrAfter, isBrokenItemIndex, parseTs, tsOf, itemIndex, type SlackMessage } from "./data";
import { startSlackSandbox, type SlackSandboxFixture } from "./test-helpers";

let fx: SlackSandboxFixture;
beforeAll(async () => {
  fx = await startSlackSandbox();
});
afterAll(async () => {
  await fx.close();
});

const silent = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => "error" as never, setName() {} };

function client(token: string): WebClient {
  return new WebClient(token, { slackApiUrl: `${fx.baseUrl}/`, retryConfig: { retries: 0 }, logger: silent, rejectRateLimitedCalls: true });
}

/** A POST like WebClient's: form-encoded arguments, token in the Authorization header. */
async function call(method: string, token: string | null, args: Record<string, string> = {}, signal?: AbortSignal) {
  const res = await fetch(`${fx.baseUrl}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new URLSearchParams(args).toString(),
    signal,
  });
  return res;
}

async function body(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** The handler alone, with its own auth and clock (no HTTP): for quota and cursor-age tests. */
function direct(scenario: Partial<SandboxScenario>) {
  const auth = new MemorySandboxAuth();
  const clock = { t: Date.UTC(2026, 1, 1, 12) };
  const key = `direct-${Math.random().toString(36).slice(2)}`;
  const { accessToken } = auth.account(key, { items: 2_000, latency_ms: 0, fault: "none", ...scenario }, false);
  const handler = createSlackSandbox({ auth, now: () => clock.t });
  const send = async (method: string, args: Record<string, string> = {}) => {
    const res = await handler(
      new Request(`http://sandbox.test/slack/api/${method}`, {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(args).toString(),
      }),
      `/api/${method}`,
    );
    return res;
  };
  return { send, clock, auth, key };
}

describe("slack sandbox: auth and errors", () => {
  it("answers HTTP 200 with Slack's ok:false codes for missing, unknown and expired tokens", async () => {
    const missing = await call("auth.test", null);
    expect(missing.status).toBe(200);
    expect(missing.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await body(missing)).toEqual({ ok: false, error: "not_authed" });
    expect(await body(await call("auth.test", "xoxb-nope"))).toEqual({ ok: false, error: "invalid_auth" });

    const a = fx.account({ items: 10 });
    expect(await body(await call("auth.test", a.token))).toMatchObject({ ok: true, team: "2nd Brain Sandbox", team_id: "T05SBX2ND" });
    fx.auth.expireAccessTokens(a.key); // what the app's expired_token fault does to the token rows
    expect(await body(await call("auth.test", a.token))).toEqual({ ok: false, error: "token_expired" });

    const f = fx.account({ items: 10, fault: "expired_token" });
    const res = await call("conversations.list", f.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ ok: false, error: "token_expired" });
  });

  it("takes the token and arguments from a POST form, a JSON body or a GET query", async () => {
    const a = fx.account({ items: 500 });
    const form = await body(await call("conversations.list", a.token, { limit: "1" }));
    expect((form.channels as unknown[]).length).toBe(1);
    const json = await fetch(`${fx.baseUrl}/conversations.list`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${a.token}` },
      body: JSON.stringify({ limit: 2 }),
    });
    expect(((await body(json)).channels as unknown[]).length).toBe(2);
    const get = await fetch(`${fx.baseUrl}/conversations.list?limit=1&token=${a.token}`);
    expect(((await body(get)).channels as unknown[]).length).toBe(1);
    const inBody = await fetch(`${fx.baseUrl}/auth.test`, { method: "POST", body: new URLSearchParams({ token: a.token }) });
    expect((await body(inBody)).ok).toBe(true);
  });

  it("answers unknown methods 404 unknown_method, and bad arguments with Slack's codes", async () => {
    const a = fx.account({ items: 500 });
    const unknown = await call("chat.postMessage", a.token);
    expect(unknown.status).toBe(404);
    expect(await body(unknown)).toEqual({ ok: false, error: "unknown_method", req_method: "chat.postMessage" });
    expect(await body(await call("conversations.history", a.token))).toEqual({ ok: false, error: "channel_not_found" });
    expect(await body(await call("conversations.history", a.token, { channel: channelId(3) }))).toEqual({ ok: false, error: "channel_not_found" });
    expect(await body(await call("conversations.history", a.token, { channel: channelId(0), oldest: "soon" }))).toEqual({ ok: false, error: "invalid_ts_oldest" });
    expect(await body(await call("conversations.history", a.token, { channel: channelId(0), cursor: "bm9wZQ==" }))).toEqual({ ok: false, error: "invalid_cursor" });
    expect(await body(await call("conversations.replies", a.token, { channel: channelId(0), ts: "1.000001" }))).toEqual({ ok: false, error: "thread_not_found" });
    expect(await body(await call("conversations.list", a.token, { types: "public_channel,dm" }))).toEqual({ ok: false, error: "invalid_types" });
  });
});

describe("slack sandbox: methods", () => {
  it("conversations.list: types, exclude_archived, membership and cursor pagination", async () => {
    const a = fx.account({ items: 20_000 }); // 50 channels
    const all = await client(a.token).paginate("conversations.list", { types: "public_channel,private_channel", limit: 7 });
    const channels: Array<{ id: string; is_private: boolean; is_archived: boolean; is_member: boolean }> = [];
    for await (const page of all) channels.push(...((page as ConversationsListResponse).channels as typeof channels));
    expect(channels).toHaveLength(50);
    expect(channels.map((c) => c.id)).toEqual(Array.from({ length: 50 }, (_, j) => channelId(j)));
    const publicOnly = (await body(await call("conversations.list", a.token, { limit: "1000" }))).channels as typeof channels;
    expect(publicOnly).toHaveLength(40);
    expect(publicOnly.every((c) => !c.is_private)).toBe(true);
    const active = (await body(await call("conversations.list", a.token, { limit: "1000", types: "public_channel,private_channel", exclude_archived: "true" })))
      .channels as typeof channels;
    expect(active).toHaveLength(47);
    expect(active.filter((c) => !c.is_member).map((c) => c.id)).toEqual([channelId(6), channelId(22)]);

    const first = await body(await call("conversations.list", a.token, { limit: "45", types: "public_channel,private_channel" }));
    const next = (first.response_metadata as { next_cursor: string }).next_cursor;
    expect(atob(next)).toMatch(new RegExp(`^team:${channelId(44)}:\\d+:0$`));
    const last = await body(await call("conversations.list", a.token, { limit: "45", types: "public_channel,private_channel", cursor: next }));
    expect((last.channels as unknown[]).length).toBe(5);
    expect(last.response_metadata).toEqual({ next_cursor: "" });
  });

  it("conversations.history: newest first, limit, has_more + next_cursor, oldest/latest/inclusive", async () => {
    const a = fx.account({ items: 1_000 });
    const web = client(a.token);
    const ch = channelId(1);
    const pages: string[][] = [];
    for await (const page of web.paginate("conversations.history", { channel: ch, limit: 100 })) {
      pages.push(((page as ConversationsHistoryResponse).messages ?? []).map((m) => m.ts!));
    }
    const ts = pages.flat();
    expect(pages.length).toBeGreaterThan(2);
    expect(ts.map((t) => parseTs(t)!)).toEqual(ts.map((t) => parseTs(t)!).sort((x, y) => y - x));
    expect(new Set(ts).size).toBe(ts.length);
    expect(ts.length).toBeLessThan(countBelow(1, 1_000)); // replies are not in history
    expect(ts[0]).toBe(tsOf(itemIndex(1, countBelow(1, 1_000) - 1)));

    const oldest = ts[10]!;
    const latest = ts[2]!;
    const exclusive = await web.conversations.history({ channel: ch, oldest, latest });
    expect(exclusive.messages!.map((m) => m.ts)).toEqual(ts.slice(3, 10));
    const inclusive = await web.conversations.history({ channel: ch, oldest, latest, inclusive: true });
    expect(inclusive.messages!.map((m) => m.ts)).toEqual(ts.slice(2, 11));
    const limited = await web.conversations.history({ channel: ch, oldest, limit: 4 });
    expect(limited.messages!.map((m) => m.ts)).toEqual(ts.slice(0, 4));
    expect(limited.has_more).toBe(true);
    const rest = await web.conversations.history({ channel: ch, oldest, limit: 100, cursor: limited.response_metadata!.next_cursor! });
    expect(rest.messages!.map((m) => m.ts)).toEqual(ts.slice(4, 10));
    expect(rest.has_more).toBe(false);
    expect(rest.response_metadata?.next_cursor).toBe(""); // the last page: an empty cursor, as Slack sends
    // The answer's documented fields (ConversationsHistoryResponse): pin_count, channel_actions_*.
    expect(rest).toMatchObject({ ok: true, pin_count: expect.any(Number), channel_actions_count: 0, channel_actions_ts: expect.any(Number) });
  });

  it("conversations.replies: the parent first, then replies; oldest filters replies only; non-members refused", async () => {
    const a = fx.account({ items: 1_000 });
    const web = client(a.token);
    const history = await web.conversations.history({ channel: channelId(0), limit: 999 });
    const parent = history.messages!.find((m) => (m.reply_count ?? 0) >= 2)!;
    const all = await web.conversations.replies({ channel: channelId(0), ts: parent.ts! });
    expect(all.messages!.map((m) => m.ts)[0]).toBe(parent.ts);
    expect(all.messages).toHaveLength(1 + parent.reply_count!);
    expect(all.messages!.slice(1).every((m) => m.thread_ts === parent.ts && m.parent_user_id === parent.user)).toBe(true);
    const later = await web.conversations.replies({ channel: channelId(0), ts: parent.ts!, oldest: all.messages![1]!.ts! });
    expect(later.messages!.map((m) => m.ts)).toEqual([parent.ts, ...all.messages!.slice(2).map((m) => m.ts)]);
    const paged = await web.conversations.replies({ channel: channelId(0), ts: parent.ts!, limit: 1 });
    expect(paged.messages).toHaveLength(2);
    expect(paged.has_more).toBe(true);
    const page2 = await web.conversations.replies({ channel: channelId(0), ts: parent.ts!, limit: 1, cursor: paged.response_metadata!.next_cursor! });
    expect(page2.messages!.map((m) => m.ts)).toEqual([parent.ts, all.messages![2]!.ts]);

    const big = fx.account({ items: 3_000 }); // channel 6 exists: the app was never invited
    expect(await body(await call("conversations.history", big.token, { channel: channelId(6) }))).toEqual({ ok: false, error: "not_in_channel" });
  });

  it("users.list: people (unicode names), a deleted user and bots, with cursor pagination", async () => {
    const a = fx.account({ items: 10 });
    const members: Array<{ id: string; deleted: boolean; is_bot: boolean; profile: { real_name: string } }> = [];
    for await (const page of client(a.token).paginate("users.list", { limit: 4 })) members.push(...((page as UsersListResponse).members as typeof members));
    expect(members).toHaveLength(14);
    expect(new Set(members.map((m) => m.id)).size).toBe(14);
    expect(members.filter((m) => m.deleted)).toHaveLength(1);
    expect(members.filter((m) => m.is_bot)).toHaveLength(2);
    expect(members.map((m) => m.profile.real_name)).toContain("Ελένη Παπαδοπούλου");
  });
});

describe("slack sandbox: rate tiers", () => {
  it("enforces the published tiers per account and method as a sliding minute, with 429 + Retry-After", async () => {
    const { send, clock } = direct({});
    for (let k = 0; k < 20; k++) expect((await send("conversations.list")).status).toBe(200); // Tier 2
    clock.t += 30_000;
    const limited = await send("conversations.list");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    expect(await limited.json()).toEqual({ ok: false, error: "ratelimited" });
    expect((await send("users.list")).status).toBe(200); // another method has its own window
    for (let k = 0; k < 50; k++) expect((await send("conversations.history", { channel: channelId(0), limit: "1" })).status).toBe(200); // Tier 3
    expect((await send("conversations.history", { channel: channelId(0) })).status).toBe(429);
    for (let k = 0; k < 100; k++) expect((await send("auth.test")).status).toBe(200); // Tier 4
    expect((await send("auth.test")).status).toBe(429);
    clock.t += 30_001; // the first list calls leave the window
    expect((await send("conversations.list")).status).toBe(200);
  });

  it("rate_limit fault: 5 calls per 2 s over all methods, then 429 with Retry-After 1-2", async () => {
    const { send, clock } = direct({ fault: "rate_limit" });
    for (let k = 0; k < 5; k++) expect((await send(k % 2 ? "auth.test" : "users.list")).status).toBe(200);
    const limited = await send("conversations.list");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    clock.t += 1_200;
    expect((await send("auth.test")).headers.get("retry-after")).toBe("1");
    clock.t += 800;
    expect((await send("auth.test")).status).toBe(200);
  });
});

describe("slack sandbox: faults", () => {
  it("server_error: HTTP 500 JSON or 503 HTML; malformed: truncated JSON for lists only", async () => {
    const s = fx.account({ items: 10, fault: "server_error" });
    const statuses = new Set<number>();
    for (let k = 0; k < 4; k++) {
      const res = await call("conversations.list", s.token);
      statuses.add(res.status);
      const text = await res.text();
      if (res.status === 503) expect(text).toMatch(/^<html>/);
      else expect(JSON.parse(text)).toEqual({ ok: false, error: "internal_error" });
    }
    expect(statuses).toEqual(new Set([500, 503]));

    const m = fx.account({ items: 100, fault: "malformed" });
    expect((await body(await call("auth.test", m.token))).ok).toBe(true);
    for (const [method, args] of [
      ["conversations.list", {}],
      ["users.list", {}],
      ["conversations.history", { channel: channelId(0) }],
    ] as const) {
      const res = await call(method, m.token, args);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('{"ok":true')).toBe(true);
      expect(() => JSON.parse(text)).toThrow();
    }
  });

  it("expired_cursor: a cursor older than the fault's TTL is refused with invalid_cursor", async () => {
    const { send, clock } = direct({ fault: "expired_cursor" });
    const first = (await (await send("conversations.history", { channel: channelId(0), limit: "10" })).json()) as {
      response_metadata: { next_cursor: string };
    };
    const cursor = first.response_metadata.next_cursor;
    clock.t += FAULT_CURSOR_TTL_MS / 2;
    expect(((await (await send("conversations.history", { channel: channelId(0), limit: "10", cursor })).json()) as { ok: boolean }).ok).toBe(true);
    clock.t += FAULT_CURSOR_TTL_MS;
    expect(await (await send("conversations.history", { channel: channelId(0), limit: "10", cursor })).json()).toEqual({ ok: false, error: "invalid_cursor" });

    const normal = direct({});
    const c = ((await (await normal.send("conversations.list", { limit: "1" })).json()) as { response_metadata: { next_cursor: string } }).response_metadata.next_cursor;
    normal.clock.t += CURSOR_MAX_AGE_MS - 1_000; // without the fault cursors keep working for half an hour
    expect(((await (await normal.send("conversations.list", { limit: "1", cursor: c })).json()) as { ok: boolean }).ok).toBe(true);
    normal.clock.t += 2_000; // then they are too old, fault or not
    expect(await (await normal.send("conversations.list", { limit: "1", cursor: c })).json()).toEqual({ ok: false, error: "invalid_cursor" });
  });

  it("item_errors: broken messages, and a listed channel that is gone by the time it is read", async () => {
    const a = fx.account({ items: 400, fault: "item_errors" });
    const list = await body(await call("conversations.list", a.token, { types: "public_channel,private_channel" }));
    const ids = (list.channels as Array<{ id: string; name: string }>).map((c) => c.id);
    expect(ids).toEqual([channelId(0), channelId(GHOST_CHANNEL)]);
    expect(await body(await call("conversations.history", a.token, { channel: channelId(GHOST_CHANNEL) }))).toEqual({ ok: false, error: "channel_not_found" });
    const history = await body(await call("conversations.history", a.token, { channel: channelId(0), limit: "999" }));
    // Messages Slack really serves that hold nothing to keep: a deleted or limit-hidden file, a huddle record.
    const messages = history.messages as SlackMessage[];
    const files = messages.filter((m) => m.files?.some((f) => f.mode === "tombstone" || f.mode === "hidden_by_limit"));
    const huddles = messages.filter((m) => m.subtype === "huddle_thread");
    expect(files.length).toBeGreaterThan(10);
    expect(huddles.length).toBeGreaterThan(5);
    for (const m of [...files, ...huddles]) {
      expect(m.text).toBe("");
      expect(isBrokenItemIndex(firstIndexAtOrAfter(parseTs(m.ts!)!))).toBe(true);
    }
    expect(messages.every((m) => typeof m.text === "string" && (m.blocks === undefined || Array.isArray(m.blocks)))).toBe(true);
  });

  it("latency_ms delays, slow is at least 1.5 s, hang only ends when the caller aborts", async () => {
    const a = fx.account({ items: 10, latency_ms: 200 });
    let t = performance.now();
    expect((await call("auth.test", a.token)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);

    const slow = fx.account({ items: 10, latency_ms: 10, fault: "slow" });
    t = performance.now();
    expect((await call("auth.test", slow.token)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(1_490);

    const hang = fx.account({ items: 10, fault: "hang" });
    const controller = new AbortController();
    t = performance.now();
    const pending = call("conversations.list", hang.token, {}, controller.signal);
    setTimeout(() => controller.abort(), 150);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});
