// The Web API methods the sandbox serves (auth.test, conversations.list/history/replies,
// users.list) over the generated workspace, with Slack's opaque cursors.
import type {
  ConversationsHistoryResponse,
  ConversationsListResponse,
  ConversationsRepliesResponse,
  UsersListResponse,
  WebAPICallResult,
} from "@slack/web-api";
import type { SandboxChangeView, SandboxScenario } from "@/lib/contract";
import {
  GHOST_CHANNEL,
  authTest,
  channelCount,
  channelIndexById,
  historyPage,
  isNonMemberChannel,
  listMembers,
  makeChannel,
  parseTs,
  rankOfTs,
  repliesPage,
} from "./data";
import { ApiError, boolArg, intArg, tsArg } from "./args";

/** The `expired_cursor` fault: cursors stop working this long after they were handed out. */
export const FAULT_CURSOR_TTL_MS = 1_000;
/**
 * Without the fault, a cursor older than this is refused too. Slack publishes no lifetime for its
 * cursors, only that invalid_cursor means "Value passed for cursor was not valid or is no longer
 * valid" (conversations.history's error list) and that a client should start over; this
 * sandbox's choice is half an hour, far longer than any page-to-page gap of a running sync.
 */
export const CURSOR_MAX_AGE_MS = 30 * 60_000;

// Cursors are opaque to clients. Ours: base64("<kind>:<position>:<issued at ms>:<change seq>"),
// e.g. "next_ts:1767225660000123:1767225700000:0" (Slack's own decode to "next_ts:<ts micros>"
// or "team:C0…"). The change seq is the last change of the dataset when the cursor was handed
// out: a cursor reused after the data changed is no longer valid (invalid_cursor), like a
// cursor into a listing that moved under it.
type CursorKind = "team" | "next_ts" | "user" | "reply_ts";

function encodeCursor(kind: CursorKind, position: string, ctx: RouteCtx): string {
  return btoa(`${kind}:${position}:${ctx.now}:${ctx.changeSeq}`);
}

function decodeCursor(raw: string, kind: CursorKind, ctx: RouteCtx): string {
  let decoded: string;
  try {
    decoded = atob(raw);
  } catch {
    throw new ApiError("invalid_cursor");
  }
  const m = /^([a-z_]+):([^:]+):(\d+):(\d+)$/.exec(decoded);
  if (!m || m[1] !== kind) throw new ApiError("invalid_cursor");
  const issuedAt = Number(m[3]);
  if (ctx.scenario.fault === "expired_cursor" && ctx.now - issuedAt > FAULT_CURSOR_TTL_MS) throw new ApiError("invalid_cursor");
  if (ctx.now - issuedAt > CURSOR_MAX_AGE_MS) throw new ApiError("invalid_cursor");
  if (Number(m[4]) !== ctx.changeSeq) throw new ApiError("invalid_cursor");
  return m[2]!;
}

export interface RouteCtx {
  args: URLSearchParams;
  scenario: SandboxScenario;
  now: number;
  /** The account's changes applied over the seeded data (absent: none). */
  changes?: SandboxChangeView;
  /** The seq of the account's latest change (0: none): cursors handed out before a change stop working. */
  changeSeq: number;
}

/** Messages in the dataset (seeded + added). */
function itemCount(ctx: RouteCtx): number {
  return ctx.changes?.count ?? ctx.scenario.items;
}

export interface MethodResult {
  body: WebAPICallResult;
  /** A list method: the `malformed` fault truncates it. */
  list?: boolean;
}

function channelArg(ctx: RouteCtx, withGhost: boolean): number {
  const id = ctx.args.get("channel");
  if (!id) throw new ApiError("channel_not_found");
  const j = channelIndexById(id, itemCount(ctx), withGhost);
  if (j < 0) throw new ApiError("channel_not_found");
  return j;
}

function conversationsList(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const allowed = new Set(["public_channel", "private_channel", "mpim", "im"]);
  const types = (args.get("types") ?? "public_channel")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length === 0 || types.some((t) => !allowed.has(t))) throw new ApiError("invalid_types");
  const excludeArchived = boolArg(args.get("exclude_archived"));
  const limit = intArg(args.get("limit"), 100, 1, 1000);
  const cursor = args.get("cursor");
  const after = cursor ? decodeCursor(cursor, "team", ctx) : undefined;

  const indices = Array.from({ length: channelCount(itemCount(ctx)) }, (_, j) => j);
  if (scenario.fault === "item_errors") indices.push(GHOST_CHANNEL);
  const all = indices
    .map((j) => makeChannel(j, itemCount(ctx), ctx.changes))
    .filter((c) => (c.is_private ? types.includes("private_channel") : types.includes("public_channel")))
    .filter((c) => !(excludeArchived && c.is_archived));
  let start = 0;
  if (after !== undefined) {
    const k = all.findIndex((c) => c.id! > after);
    start = k < 0 ? all.length : k;
  }
  const channels = all.slice(start, start + limit);
  const more = start + limit < all.length;
  const body: ConversationsListResponse = {
    ok: true,
    channels,
    response_metadata: { next_cursor: more ? encodeCursor("team", channels.at(-1)!.id!, ctx) : "" },
  };
  return { body, list: true };
}

function usersList(ctx: RouteCtx): MethodResult {
  const { args } = ctx;
  const limit = intArg(args.get("limit"), 1000, 1, 1000) || 1000;
  const cursor = args.get("cursor");
  const all = listMembers();
  let start = 0;
  if (cursor) {
    const after = decodeCursor(cursor, "user", ctx);
    const k = all.findIndex((m) => m.id === after);
    if (k < 0) throw new ApiError("invalid_cursor");
    start = k + 1;
  }
  const members = all.slice(start, start + limit);
  const more = start + limit < all.length;
  const body: UsersListResponse = {
    ok: true,
    members,
    cache_ts: Math.floor(ctx.now / 1000),
    response_metadata: { next_cursor: more ? encodeCursor("user", members.at(-1)!.id!, ctx) : "" },
  };
  return { body, list: true };
}

function conversationsHistory(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const j = channelArg(ctx, scenario.fault === "item_errors");
  if (j === GHOST_CHANNEL) throw new ApiError("channel_not_found"); // deleted after it was listed
  if (isNonMemberChannel(j)) throw new ApiError("not_in_channel");
  const oldest = tsArg(args, "oldest");
  let latest = tsArg(args, "latest");
  const inclusive = boolArg(args.get("inclusive"));
  let latestInclusive = inclusive;
  const limit = intArg(args.get("limit"), 100, 1, 999);
  const cursor = args.get("cursor");
  if (cursor) {
    const pos = Number(decodeCursor(cursor, "next_ts", ctx));
    if (!Number.isSafeInteger(pos)) throw new ApiError("invalid_cursor");
    // The cursor continues below the last message handed out (exclusive), within the original range.
    if (latest === undefined || pos <= latest) {
      latest = pos;
      latestInclusive = false;
    }
  }
  const page = historyPage(itemCount(ctx), j, {
    oldest,
    oldestInclusive: inclusive,
    latest,
    latestInclusive,
    limit,
    breakItems: scenario.fault === "item_errors",
    changes: ctx.changes,
  });
  const last = page.messages.at(-1);
  const lastMicros = last ? parseTs(String(last.ts)) : null;
  const more = page.hasMore && lastMicros !== null;
  // The answer's fields as conversations.history documents them and @slack/web-api types them
  // (ConversationsHistoryResponse): messages, has_more, pin_count, channel_actions_ts (a number
  // there), channel_actions_count, response_metadata.next_cursor ("" on the last page).
  const body: ConversationsHistoryResponse = {
    ok: true,
    messages: page.messages,
    has_more: more,
    pin_count: j === 0 ? 2 : 0,
    channel_actions_ts: channelActionsTs(j),
    channel_actions_count: 0,
    response_metadata: { next_cursor: more ? encodeCursor("next_ts", String(lastMicros), ctx) : "" },
  };
  return { body, list: true };
}

function conversationsReplies(ctx: RouteCtx): MethodResult {
  const { args, scenario } = ctx;
  const j = channelArg(ctx, scenario.fault === "item_errors");
  if (j === GHOST_CHANNEL) throw new ApiError("channel_not_found");
  if (isNonMemberChannel(j)) throw new ApiError("not_in_channel");
  const tsRaw = args.get("ts");
  if (!tsRaw) throw new ApiError("thread_not_found");
  const micros = parseTs(tsRaw);
  if (micros === null) throw new ApiError("invalid_ts");
  const r = rankOfTs(itemCount(ctx), j, micros);
  if (r < 0) throw new ApiError("thread_not_found");
  const oldest = tsArg(args, "oldest");
  const latest = tsArg(args, "latest");
  const inclusive = boolArg(args.get("inclusive"));
  const limit = intArg(args.get("limit"), 1000, 1, 1000);
  const cursor = args.get("cursor");
  let after: number | undefined;
  if (cursor) {
    after = Number(decodeCursor(cursor, "reply_ts", ctx));
    if (!Number.isSafeInteger(after)) throw new ApiError("invalid_cursor");
  }
  const page = repliesPage(itemCount(ctx), j, r, {
    oldest,
    oldestInclusive: inclusive,
    latest,
    latestInclusive: inclusive,
    after,
    limit,
    breakItems: scenario.fault === "item_errors",
    changes: ctx.changes,
  });
  if (!page) throw new ApiError("thread_not_found"); // deleted (and not a parent with replies left)
  const last = page.messages.at(-1);
  const lastMicros = last ? parseTs(String(last.ts)) : null;
  const body: ConversationsRepliesResponse = {
    ok: true,
    messages: page.messages as ConversationsRepliesResponse["messages"],
    has_more: page.hasMore,
    response_metadata: { next_cursor: page.hasMore && lastMicros !== null ? encodeCursor("reply_ts", String(lastMicros), ctx) : "" },
  };
  return { body, list: true };
}

/** When the channel's actions last changed (seconds; the channel's creation here, it has none). */
function channelActionsTs(j: number): number {
  return 1_704_067_200 + j * 86_400;
}

export const METHODS: Record<string, (ctx: RouteCtx) => MethodResult> = {
  "auth.test": () => ({ body: authTest() }),
  "conversations.list": conversationsList,
  "users.list": usersList,
  "conversations.history": conversationsHistory,
  "conversations.replies": conversationsReplies,
};
