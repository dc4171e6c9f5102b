// Seeded, deterministic data for the Slack sandbox. Pure: the same inputs give the same
// objects (and so the same JSON bytes); nothing here reads the clock, the network or
// randomness. Every page is computed lazily: finding the messages of one page costs
// O(page size), never O(scenario.items) (up to 100,000 items).
//
// Model
// - The scenario has `items` messages (thread replies included), numbered by a global index
//   i = 0..items-1. Message i has ts = 2026-01-01T00:00:00Z + i minutes (plus a fixed
//   sub-second part), so raising `items` only ever adds messages newer than every earlier one:
//   `conversations.history?oldest=<ts>` sees exactly the new ones.
// - There are clamp(ceil(items / 400), 1, 50) channels. Channels with j % 8 === 6 stay empty
//   (some of them are archived, some are public channels the app was never invited to).
//   Messages are dealt round-robin over the non-empty channels that exist *when the message
//   is posted*: the same message stays in the same channel when `items` grows.
// - Within channel j the messages in index order have ranks r = 0, 1, 2, ... Ranks come in
//   blocks of 20; in one block out of four rank 20b+1 starts a thread and the next 1-6 ranks
//   are its replies (thread_ts = the parent's ts). Replies are not in conversations.history,
//   only in conversations.replies, like Slack. A parent whose replies are not posted yet (the
//   scenario stops between them) has fewer replies, or none, until `items` grows.
// - Changes (POST .../sandbox/changes, issue 18; `SandboxChangeView` from lib/contract): the
//   k-th add is item `scenario.items + k`, a new top-level message at the end of its channel
//   (never a reply: the seeded threads keep the replies the scenario gave them). An edit gives
//   the message the word "edited" and `edited: { user, ts }` (ts = when it happened), as
//   conversations.history shows an edited message. A deleted message is gone from history and
//   replies ("The original message will no longer return in history calls", Slack's
//   message_deleted event doc); a deleted thread parent whose replies are still there stays as
//   Slack's tombstone (subtype "tombstone", "This message was deleted.", hidden, its thread
//   fields kept).
import type {
  AuthTestResponse,
  ConversationsHistoryResponse,
  ConversationsListResponse,
  UsersListResponse,
} from "@slack/web-api";
import type { SandboxChangeView } from "@/lib/contract";
import { botProfile, editTs, editedText, tombstone, unkeepableMessage } from "./shapes";

export type SlackMessage = NonNullable<ConversationsHistoryResponse["messages"]>[number];
export type SlackChannel = NonNullable<ConversationsListResponse["channels"]>[number];
export type SlackMember = NonNullable<UsersListResponse["members"]>[number];
type SlackBlocks = NonNullable<SlackMessage["blocks"]>;

export const TEAM_ID = "T05SBX2ND";
export const TEAM_NAME = "2nd Brain Sandbox";
export const TEAM_DOMAIN = "secondbrain-sandbox";
export const BOT_USER_ID = "U05SBXBOT";
export const BOT_ID = "B05SBXBOT";
export const APP_ID = "A05SBXAPP";

/** Seconds of message 0's ts (2026-01-01T00:00:00Z); message i is `i` minutes later. */
export const TS_EPOCH_S = 1_767_225_600;
export const MESSAGE_SPACING_S = 60;
export const MESSAGES_PER_CHANNEL_STEP = 400;
export const MAX_CHANNELS = 50;
const ACTIVE_AT_MAX = Array.from({ length: MAX_CHANNELS }, (_, j) => j).filter((j) => !isEmptyChannel(j));
/** Below this index the channel count is still growing (blocks of 400 with fewer than 50 channels). */
const SMALL_LIMIT = MESSAGES_PER_CHANNEL_STEP * (MAX_CHANNELS - 1); // 19,600
export const THREAD_BLOCK = 20;

// ---------------------------------------------------------------- small pure helpers

/** 32-bit integer hash (murmur3 finalizer); the only "randomness" in the sandbox. */
export function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// ---------------------------------------------------------------- timestamps

/** Message i's ts in microseconds (exact in a double: < 2^53). */
export function tsMicros(i: number): number {
  return (TS_EPOCH_S + i * MESSAGE_SPACING_S) * 1_000_000 + (mix(i + 101) % 1_000_000);
}

export function microsToTs(micros: number): string {
  const sec = Math.floor(micros / 1_000_000);
  return `${sec}.${String(micros - sec * 1_000_000).padStart(6, "0")}`;
}

/** Slack's message id: "<seconds>.<6 digits>". */
export function tsOf(i: number): string {
  return microsToTs(tsMicros(i));
}

/** "1767225600.000123" (or "1767225600", or "1767225600.5") -> microseconds; null when it is not a ts. */
export function parseTs(raw: string): number | null {
  const m = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(raw.trim());
  if (!m) return null;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0"));
}

/** The smallest index whose ts is strictly after `micros`. */
export function firstIndexAfter(micros: number): number {
  const q = Math.floor((micros - TS_EPOCH_S * 1_000_000) / (MESSAGE_SPACING_S * 1_000_000));
  if (q < 0) return 0;
  return tsMicros(q) > micros ? q : q + 1;
}

/** The smallest index whose ts is at or after `micros`. */
export function firstIndexAtOrAfter(micros: number): number {
  return firstIndexAfter(micros - 1);
}

// ---------------------------------------------------------------- channels and placement

export function channelCount(items: number): number {
  return Math.min(MAX_CHANNELS, Math.max(1, Math.ceil(items / MESSAGES_PER_CHANNEL_STEP)));
}

export function isEmptyChannel(j: number): boolean {
  return j % 8 === 6;
}

/** A public channel the app (a bot) was never invited to: listed with is_member false. */
export function isNonMemberChannel(j: number): boolean {
  return j % 16 === 6 && !isPrivateChannel(j);
}

export function isArchivedChannel(j: number): boolean {
  return j % 16 === 14;
}

export function isPrivateChannel(j: number): boolean {
  return j % 5 === 3;
}

const activeCache = new Map<number, number[]>();
/** The non-empty channels among the first c. */
function activeChannels(c: number): number[] {
  let list = activeCache.get(c);
  if (!list) {
    list = Array.from({ length: c }, (_, j) => j).filter((j) => !isEmptyChannel(j));
    activeCache.set(c, list);
  }
  return list;
}

/** The channel index message i is posted in. */
export function channelOfItem(i: number): number {
  const c = Math.min(Math.floor(i / MESSAGES_PER_CHANNEL_STEP) + 1, MAX_CHANNELS);
  const act = activeChannels(c);
  return act[i % act.length]!;
}

let smallLists: number[][] | undefined;
/** For each channel, the sorted indices below SMALL_LIMIT it owns (19,600 numbers in all, built once). */
function small(j: number): number[] {
  if (!smallLists) {
    const lists: number[][] = Array.from({ length: MAX_CHANNELS }, () => []);
    for (let i = 0; i < SMALL_LIMIT; i++) lists[channelOfItem(i)]!.push(i);
    smallLists = lists;
  }
  return smallLists[j] ?? [];
}

/** First index >= SMALL_LIMIT owned by channel j (from there on it owns every 44th index); -1 for an empty channel. */
function firstLarge(j: number): number {
  const p = ACTIVE_AT_MAX.indexOf(j);
  if (p < 0) return -1;
  const n = ACTIVE_AT_MAX.length;
  return SMALL_LIMIT + ((p - (SMALL_LIMIT % n) + n) % n);
}

/** How many messages of channel j have a global index < x. */
export function countBelow(j: number, x: number): number {
  if (j < 0 || j >= MAX_CHANNELS || isEmptyChannel(j)) return 0;
  const list = small(j);
  if (x <= SMALL_LIMIT) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const f = firstLarge(j);
  return list.length + (x > f ? Math.floor((x - 1 - f) / ACTIVE_AT_MAX.length) + 1 : 0);
}

/** Global index of the message of rank r (0-based) in channel j. */
export function itemIndex(j: number, r: number): number {
  const list = small(j);
  if (r < list.length) return list[r]!;
  return firstLarge(j) + ACTIVE_AT_MAX.length * (r - list.length);
}

const CHANNEL_WORDS = [
  "general", "random", "engineering", "design", "product", "support", "watercooler", "announcements",
  "sales", "marketing", "data-team", "incidents", "releases", "café-crew", "frontend", "backend",
  "日本語-チーム", "mobile", "ops", "ελληνικά", "security", "hiring", "ünïcode-test", "finance",
] as const;

export function channelName(j: number): string {
  const word = CHANNEL_WORDS[j % CHANNEL_WORDS.length]!;
  return j < CHANNEL_WORDS.length ? word : `${word}-${Math.floor(j / CHANNEL_WORDS.length) + 1}`;
}

/** Ids sort in channel order (same length, base 36 digits ascend like ASCII). */
export function channelId(j: number): string {
  return `C0${(3_000_000_000 + j * 104_729).toString(36).toUpperCase()}`;
}

/** The `item_errors` fault lists one more channel, deleted between listing and reading. */
export const GHOST_CHANNEL = MAX_CHANNELS;
export const GHOST_CHANNEL_NAME = "old-project";

export function channelIndexById(id: string, items: number, withGhost = false): number {
  const m = /^C0([0-9A-Z]+)$/.exec(id);
  if (!m) return -1;
  const n = Number.parseInt(m[1]!, 36) - 3_000_000_000;
  if (!Number.isInteger(n) || n < 0 || n % 104_729 !== 0) return -1;
  const j = n / 104_729;
  if (channelId(j) !== id) return -1;
  if (j < channelCount(items) || (withGhost && j === GHOST_CHANNEL)) return j;
  return -1;
}

// ---------------------------------------------------------------- people

interface Person {
  id: string;
  name: string;
  real: string;
  display: string;
  tz: string;
}

const PEOPLE: readonly Person[] = [
  { name: "ada", real: "Ada Lovelace", display: "ada", tz: "Europe/London" },
  { name: "grace", real: "Grace Hopper", display: "", tz: "America/New_York" },
  { name: "linus", real: "Linus Torvalds", display: "linus 🐧", tz: "America/Los_Angeles" },
  { name: "margaret", real: "Margaret Hamilton", display: "Maggie", tz: "America/New_York" },
  { name: "soren", real: "Søren Kierkegaard", display: "søren", tz: "Europe/Copenhagen" },
  { name: "yuki", real: "田中 由紀", display: "Yuki", tz: "Asia/Tokyo" },
  { name: "eleni", real: "Ελένη Παπαδοπούλου", display: "", tz: "Europe/Athens" },
  { name: "zoe", real: "Zoë Ångström", display: "zoë", tz: "Europe/Stockholm" },
  { name: "jose", real: "José Ñúñez", display: "pepe", tz: "America/Mexico_City" },
  { name: "amara", real: "Amara Okafor", display: "", tz: "Africa/Lagos" },
].map((p, k) => ({ ...p, id: `U0${(90_000_000 + k * 7_919).toString(36).toUpperCase()}` }));

/** Left the company: still in users.list (deleted: true), and the author of some old messages. */
const FORMER: Person = { id: "U0FORMER01", name: "former.colleague", real: "Pat Former", display: "", tz: "UTC" };
/** Mentioned now and then but not in users.list (a guest from a shared channel). */
export const UNKNOWN_USER_ID = "U0EXTERN42";
const DEPLOY_BOT = { id: "U0DEPLOYBT", botId: "B0DEPLOYBT", appId: "A0DEPLOYBT", name: "deploy-bot", real: "Deploy Bot" };

export function sandboxPeople(): ReadonlyArray<{ id: string; realName: string; displayName: string; deleted: boolean }> {
  return [...PEOPLE.map((p) => ({ id: p.id, realName: p.real, displayName: p.display, deleted: false })), { id: FORMER.id, realName: FORMER.real, displayName: "", deleted: true }];
}

function member(p: Person, deleted = false): SlackMember {
  const [first, ...rest] = p.real.split(" ");
  return {
    id: p.id,
    team_id: TEAM_ID,
    name: p.name,
    deleted,
    color: (mix(p.id.length * 31 + p.name.charCodeAt(0)) % 0xffffff).toString(16).padStart(6, "0"),
    real_name: p.real,
    tz: p.tz,
    tz_label: p.tz,
    tz_offset: 0,
    profile: {
      real_name: p.real,
      real_name_normalized: p.real.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""),
      display_name: p.display,
      display_name_normalized: p.display.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""),
      first_name: first ?? "",
      last_name: rest.join(" "),
      title: "",
      phone: "",
      skype: "",
      status_text: "",
      status_emoji: "",
      avatar_hash: (mix(p.name.length * 977) >>> 0).toString(16).slice(0, 12),
      email: `${p.name}@${TEAM_DOMAIN}.example`,
      image_48: `https://secure.gravatar.com/avatar/${p.name}.jpg?s=48`,
      image_72: `https://secure.gravatar.com/avatar/${p.name}.jpg?s=72`,
      team: TEAM_ID,
    },
    is_admin: p === PEOPLE[0],
    is_owner: p === PEOPLE[0],
    is_primary_owner: p === PEOPLE[0],
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: 1_735_689_600,
    is_email_confirmed: true,
    who_can_share_contact_card: "EVERYONE",
  };
}

/** users.list: people, a former colleague, the deploy bot, our own app's bot user and Slackbot. */
export function listMembers(): SlackMember[] {
  const bot = (id: string, name: string, real: string, botId: string, appId: string): SlackMember => ({
    id,
    team_id: TEAM_ID,
    name,
    deleted: false,
    real_name: real,
    profile: { real_name: real, display_name: "", bot_id: botId, api_app_id: appId, always_active: true, team: TEAM_ID },
    is_bot: true,
    is_app_user: false,
    updated: 1_735_689_600,
  });
  const slackbot: SlackMember = {
    id: "USLACKBOT",
    team_id: TEAM_ID,
    name: "slackbot",
    deleted: false,
    real_name: "Slackbot",
    profile: { real_name: "Slackbot", display_name: "Slackbot", always_active: true, team: TEAM_ID },
    is_bot: false,
    is_app_user: false,
    updated: 0,
  };
  return [
    ...PEOPLE.map((p) => member(p)),
    member(FORMER, true),
    bot(DEPLOY_BOT.id, DEPLOY_BOT.name, DEPLOY_BOT.real, DEPLOY_BOT.botId, DEPLOY_BOT.appId),
    bot(BOT_USER_ID, "2nd-brain", "2nd Brain", BOT_ID, APP_ID),
    slackbot,
  ];
}

export function authTest(): AuthTestResponse {
  return {
    ok: true,
    url: `https://${TEAM_DOMAIN}.slack.com/`,
    team: TEAM_NAME,
    user: "2nd-brain",
    team_id: TEAM_ID,
    user_id: BOT_USER_ID,
    bot_id: BOT_ID,
    is_enterprise_install: false,
  };
}

// ---------------------------------------------------------------- channel objects

const PURPOSES = [
  "Company-wide announcements and work-based matters",
  "Non-work banter and water cooler conversation 🍵",
  "Builds, bugs & <things> that break",
  "",
] as const;

/**
 * A channel as conversations.list shows it. `updated` (ms) moves with its newest message and,
 * with changes, with the latest edit or deletion of one of its messages.
 */
export function makeChannel(j: number, items: number, changes?: SandboxChangeView): SlackChannel {
  const isPrivate = j !== GHOST_CHANNEL && isPrivateChannel(j);
  const name = j === GHOST_CHANNEL ? GHOST_CHANNEL_NAME : channelName(j);
  const creator = PEOPLE[j % PEOPLE.length]!.id;
  const created = 1_704_067_200 + j * 86_400 + (mix(j + 3) % 86_400);
  const purpose = PURPOSES[j % PURPOSES.length]!;
  const members = j === GHOST_CHANNEL ? 3 : isNonMemberChannel(j) ? 4 : 2 + (mix(j) % PEOPLE.length);
  const lastIndex = countBelow(j, items) > 0 ? itemIndex(j, countBelow(j, items) - 1) : -1;
  return {
    id: channelId(j),
    name,
    name_normalized: name.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""),
    is_channel: !isPrivate,
    is_group: isPrivate,
    is_im: false,
    is_mpim: false,
    is_private: isPrivate,
    created,
    is_archived: j !== GHOST_CHANNEL && isArchivedChannel(j),
    is_general: j === 0,
    unlinked: 0,
    is_shared: false,
    is_org_shared: false,
    is_ext_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: TEAM_ID,
    updated: Math.max((lastIndex >= 0 ? Math.floor(tsMicros(lastIndex) / 1_000_000) : created) * 1000, lastChangeAt(j, changes)),
    creator,
    is_member: j === GHOST_CHANNEL || !isNonMemberChannel(j),
    topic: { value: j % 3 === 0 ? `Sprint ${(j % 9) + 1}: ship it 🚢` : "", creator: j % 3 === 0 ? creator : "", last_set: j % 3 === 0 ? created + 3600 : 0 },
    purpose: { value: purpose, creator: purpose ? creator : "", last_set: purpose ? created : 0 },
    previous_names: j === 1 ? ["off-topic"] : [],
    num_members: members,
  };
}

/** When a message of channel j last changed (ms; 0: never). */
function lastChangeAt(j: number, changes?: SandboxChangeView): number {
  let at = 0;
  for (const c of changes?.log ?? []) if (c.at > at && channelOfItem(c.index) === j) at = c.at;
  return at;
}

// ---------------------------------------------------------------- threads

export type Role =
  | { kind: "top" }
  | { kind: "parent"; replies: number }
  | { kind: "reply"; parentRank: number; n: number };

/** The thread layout of block b of channel j: whether rank 20b+1 starts a thread, and how many replies it gets (0: none). */
function blockThread(j: number, b: number): number {
  const h = mix(j * 1_000_003 + b * 7 + 11);
  return h % 4 === 0 ? 1 + ((h >>> 8) % 6) : 0;
}

export function roleOfRank(j: number, r: number): Role {
  const b = Math.floor(r / THREAD_BLOCK);
  const k = blockThread(j, b);
  if (k === 0) return { kind: "top" };
  const off = r - b * THREAD_BLOCK;
  if (off === 1) return { kind: "parent", replies: k };
  if (off >= 2 && off <= 1 + k) return { kind: "reply", parentRank: b * THREAD_BLOCK + 1, n: off - 1 };
  return { kind: "top" };
}

/**
 * The `item_errors` fault turns these messages (replies included) into ones Slack really serves
 * and 2nd Brain cannot keep (./shapes.ts: a file share whose file was deleted or is hidden by
 * the free plan's limit, a huddle record): each is one failure with plain words.
 */
export function isBrokenItemIndex(i: number): boolean {
  return i % 10 === 3;
}

/**
 * The dataset a request sees: `items` messages in all (seeded + added) and, when the account has
 * changes, their view. Items at or above `seeded` came from "add" changes: always top-level.
 */
export interface Dataset {
  items: number;
  seeded: number;
  view?: SandboxChangeView;
  breakItems?: boolean;
}

export function dataset(items: number, view?: SandboxChangeView, breakItems = false): Dataset {
  if (!view || view.log.length === 0) return { items, seeded: items, breakItems };
  return { items: view.count, seeded: view.count - view.adds.size, view, breakItems };
}

/** The role of rank r of channel j in a dataset: an added message (index >= seeded) is top-level. */
export function roleIn(ds: Dataset, j: number, r: number): Role {
  if (itemIndex(j, r) >= ds.seeded) return { kind: "top" };
  return roleOfRank(j, r);
}

export function isDeleted(ds: Dataset, i: number): boolean {
  return ds.view?.deletes.has(i) ?? false;
}

/** The replies of the thread started at rank r that exist now (posted, not deleted), as ranks. */
export function liveReplyRanks(ds: Dataset, j: number, r: number): number[] {
  const role = roleIn(ds, j, r);
  if (role.kind !== "parent") return [];
  const presentSeeded = countBelow(j, ds.seeded);
  const last = Math.min(r + role.replies, presentSeeded - 1);
  const out: number[] = [];
  for (let rr = r + 1; rr <= last; rr++) if (!isDeleted(ds, itemIndex(j, rr))) out.push(rr);
  return out;
}

/** Whether conversations.history lists rank r: a live top-level message, or a deleted parent with live replies (tombstone). */
export function inHistory(ds: Dataset, j: number, r: number): boolean {
  if (roleIn(ds, j, r).kind === "reply") return false;
  if (!isDeleted(ds, itemIndex(j, r))) return true;
  return liveReplyRanks(ds, j, r).length > 0;
}

// ---------------------------------------------------------------- messages

const TOPICS = [
  "sync engine", "login page", "OAuth callback", "rate limiter", "search index", "Slack import",
  "email digest", "Box previews", "webhooks", "dark mode", "CSV export", "mobile layout",
] as const;
const EMOJI = [":tada:", ":rocket:", ":eyes:", ":white_check_mark:", ":fire:", ":thinking_face:", ":+1:", ":coffee:"] as const;

function personFor(h: number, old: boolean): Person {
  if (old && h % 23 === 0) return FORMER;
  return PEOPLE[(h >>> 3) % PEOPLE.length]!;
}

function mentionFor(h: number): string {
  if (h % 29 === 0) return `<@${UNKNOWN_USER_ID}>`;
  return `<@${PEOPLE[(h >>> 6) % PEOPLE.length]!.id}>`;
}

function textFor(i: number, j: number, h: number, reply: boolean): string {
  const topic = TOPICS[(h >>> 4) % TOPICS.length]!;
  const emoji = EMOJI[(h >>> 9) % EMOJI.length]!;
  const other = Math.max(0, j - 1 - ((h >>> 11) % 3));
  if (reply) {
    switch ((h >>> 14) % 6) {
      case 0: return `+1 ${emoji}`;
      case 1: return `${mentionFor(h)} good catch, I'll look at the ${topic} after lunch`;
      case 2: return `Fixed in <https://github.com/acme/app/pull/${(i % 900) + 10}|#${(i % 900) + 10}> — can you re-check?`;
      case 3: return `Ça marche 👌 (reply ${i})`;
      case 4: return `Not sure: 1 &lt; 2 &amp;&amp; 3 &gt; 2 but the ${topic} still says otherwise`;
      default: return `Same here ${emoji}`;
    }
  }
  switch ((h >>> 14) % 10) {
    case 0: return `Morning all ${emoji} standup in 5 — ${mentionFor(h)} can you share the *${topic}* notes?`;
    case 1: return `Deploy of \`api@1.${i % 40}.${h % 10}\` finished :white_check_mark: <https://ci.example.com/runs/${i}|build #${i}>`;
    case 2: return `FYI <!here>: <#${channelId(other)}|${channelName(other)}> now has a pinned FAQ &amp; glossary for the ${topic}`;
    case 3: return `Unicode check: café, naïve, 日本語, Ελληνικά, emoji 🚀🎉 — message ${i}`;
    case 4: return `Release notes for the ${topic}:\n• faster first sync\n• fewer _retries_\n> quoted: "it just works"\n\`\`\`npm run sync -- --all\`\`\``;
    case 5: return `Escapes: 1 &lt; 2 &amp;&amp; 3 &gt; 2, see <https://docs.example.com/a?b=1&amp;c=2> and <mailto:help@example.com|help@example.com>`;
    case 6: return `~old plan~ new plan for the ${topic}: ${mentionFor(h >>> 1)} and ${mentionFor(h >>> 2)} pair on it, <!channel> please review`;
    case 7: return `Is the ${topic} broken for anyone else? Seeing it in <#${channelId(other)}> too ${emoji}`;
    case 8: return `<!subteam^S0SANDBOX|@oncall> the ${topic} alert fired at <!date^${TS_EPOCH_S + i * 60}^{date_short} {time}|${new Date((TS_EPOCH_S + i * 60) * 1000).toISOString()}>`;
    default: return `Quick question about the ${topic} ${emoji} (item ${i})`;
  }
}

function richText(text: string): SlackBlocks {
  // Slack's own rich_text rendering of a plain message, simplified to one text run.
  const blocks = [
    {
      type: "rich_text",
      block_id: (mix(text.length) >>> 0).toString(36).slice(0, 5),
      elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
    },
  ];
  // The SDK types block `type` as enums that exist only at compile time; the JSON is Slack's.
  return blocks as unknown as SlackBlocks;
}

function clientMsgId(i: number): string {
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
  const a = hex(mix(i + 1));
  const b = hex(mix(i + 2));
  const c = hex(mix(i + 3));
  const d = hex(mix(i + 4));
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/**
 * The message of rank r in channel j, as Slack serves it in dataset `ds` (a thread parent's
 * reply_count counts only the replies that exist now); null when it was deleted (and is not a
 * thread parent that stays as a tombstone). `items` alone: the seeded dataset.
 */
export function makeMessage(items: number | Dataset, j: number, r: number, breakItems = false): SlackMessage | null {
  const ds: Dataset = typeof items === "number" ? dataset(items, undefined, breakItems) : items;
  const i = itemIndex(j, r);
  const h = mix(i + 7);
  const ts = tsOf(i);
  const role = roleIn(ds, j, r);
  const deleted = isDeleted(ds, i);
  const replyRanks = role.kind === "parent" ? liveReplyRanks(ds, j, r) : [];
  if (deleted && replyRanks.length === 0) return null;
  let msg: SlackMessage;

  const isBot = role.kind === "top" && h % 11 === 0;
  if (deleted) {
    msg = tombstone(ts);
  } else if (isBot) {
    const attachmentsOnly = (h >>> 5) % 2 === 0;
    const status = (h >>> 7) % 3 === 0 ? "failed" : "passed";
    msg = {
      type: "message",
      subtype: "bot_message",
      text: attachmentsOnly ? "" : `Build ${status} on \`main\` for the ${TOPICS[(h >>> 4) % TOPICS.length]} :${status === "failed" ? "x" : "white_check_mark"}:`,
      ts,
      username: DEPLOY_BOT.real,
      bot_id: DEPLOY_BOT.botId,
      app_id: DEPLOY_BOT.appId,
      bot_profile: botProfile(DEPLOY_BOT.botId, DEPLOY_BOT.appId, DEPLOY_BOT.name, DEPLOY_BOT.id),
      ...(attachmentsOnly
        ? {
            attachments: [
              {
                id: 1,
                color: status === "failed" ? "d00000" : "2eb886",
                fallback: `Build ${status}: main #${i}`,
                title: `Build #${i} ${status}`,
                title_link: `https://ci.example.com/runs/${i}`,
                text: `Commit ${(mix(i) >>> 0).toString(16)} by ${PEOPLE[(h >>> 3) % PEOPLE.length]!.real}`,
              },
            ],
          }
        : {}),
    };
  } else {
    const author = personFor(h, i < 2_000);
    const text = textFor(i, j, h, role.kind === "reply");
    msg = {
      type: "message",
      user: author.id,
      text,
      ts,
      team: TEAM_ID,
      client_msg_id: clientMsgId(i),
      blocks: richText(text),
    };
    if ((h >>> 12) % 9 === 0) msg.edited = { user: author.id, ts: `${TS_EPOCH_S + i * MESSAGE_SPACING_S + 30}.000000` };
    if ((h >>> 20) % 7 === 0) msg.reactions = [{ name: EMOJI[(h >>> 9) % EMOJI.length]!.slice(1, -1), users: [PEOPLE[0]!.id], count: 1 }];
  }

  const edit = deleted ? undefined : ds.view?.edits.get(i);
  if (edit) {
    const text = editedText(msg.text ?? "", edit.times);
    msg.text = text;
    if (msg.blocks) msg.blocks = richText(text);
    msg.edited = { user: msg.user ?? DEPLOY_BOT.id, ts: editTs(edit.at, edit.seq) };
  }

  if (role.kind === "reply") {
    const parentIndex = itemIndex(j, role.parentRank);
    msg.thread_ts = tsOf(parentIndex);
    msg.parent_user_id = personFor(mix(parentIndex + 7), parentIndex < 2_000).id;
  } else if (role.kind === "parent" && replyRanks.length > 0) {
    const users = [...new Set(replyRanks.map((rr) => personFor(mix(itemIndex(j, rr) + 7), itemIndex(j, rr) < 2_000).id))];
    msg.thread_ts = ts;
    msg.reply_count = replyRanks.length;
    msg.reply_users_count = users.length;
    msg.latest_reply = tsOf(itemIndex(j, replyRanks.at(-1)!));
    msg.reply_users = users;
    msg.is_locked = false;
    msg.subscribed = false;
  }

  if (ds.breakItems && !deleted && isBrokenItemIndex(i)) return unkeepableMessage(msg, i, role.kind === "reply");
  return msg;
}

// ---------------------------------------------------------------- pages

/** A ts range in microseconds; each end is exclusive unless said otherwise (Slack's default). */
export interface TsRange {
  oldest?: number;
  oldestInclusive?: boolean;
  latest?: number;
  latestInclusive?: boolean;
}

/** Ranks [lo, hi) of channel j whose ts lies in the range. */
export function rankRange(items: number, j: number, range: TsRange): { lo: number; hi: number } {
  const hiIndex =
    range.latest === undefined
      ? items
      : Math.min(items, range.latestInclusive ? firstIndexAfter(range.latest) : firstIndexAtOrAfter(range.latest));
  const loIndex =
    range.oldest === undefined ? 0 : range.oldestInclusive ? firstIndexAtOrAfter(range.oldest) : firstIndexAfter(range.oldest);
  const hi = countBelow(j, Math.max(0, hiIndex));
  const lo = Math.min(countBelow(j, Math.min(loIndex, items)), hi);
  return { lo, hi };
}

export interface HistoryQuery extends TsRange {
  limit: number;
  breakItems?: boolean;
  /** The account's changes (absent: the seeded dataset). */
  changes?: SandboxChangeView;
}

export interface HistoryPage {
  messages: SlackMessage[];
  hasMore: boolean;
}

/** conversations.history: top-level messages (and thread parents, tombstones), newest first. O(limit + deleted). */
export function historyPage(items: number, j: number, q: HistoryQuery): HistoryPage {
  const ds = dataset(items, q.changes, q.breakItems);
  const { lo, hi } = rankRange(ds.items, j, q);
  const messages: SlackMessage[] = [];
  let r = hi - 1;
  for (; r >= lo && messages.length < q.limit; r--) {
    if (!inHistory(ds, j, r)) continue;
    const m = makeMessage(ds, j, r);
    if (m) messages.push(m);
  }
  let hasMore = false;
  for (; r >= lo; r--) {
    if (inHistory(ds, j, r)) {
      hasMore = true;
      break;
    }
  }
  return { messages, hasMore };
}

/** The rank of the message with this ts in channel j (deleted ones included), or -1. */
export function rankOfTs(items: number, j: number, micros: number): number {
  const i = firstIndexAtOrAfter(micros);
  if (i >= items || tsMicros(i) !== micros || channelOfItem(i) !== j) return -1;
  return countBelow(j, i);
}

export interface RepliesQuery extends TsRange {
  /** Only replies strictly after this ts (pagination). */
  after?: number;
  limit: number;
  breakItems?: boolean;
  changes?: SandboxChangeView;
}

/**
 * conversations.replies for the message of rank r: the parent first (whatever the range, on
 * every page; a tombstone when it was deleted), then its replies oldest first. A message that is
 * not part of a thread comes back alone, like at Slack. null: the thread is gone (thread_not_found).
 */
export function repliesPage(items: number, j: number, r: number, q: RepliesQuery): HistoryPage | null {
  const ds = dataset(items, q.changes, q.breakItems);
  const role = roleIn(ds, j, r);
  if (role.kind === "reply" && isDeleted(ds, itemIndex(j, r))) return null;
  const parentRank = role.kind === "reply" ? role.parentRank : r;
  const parent = makeMessage(ds, j, parentRank);
  if (!parent) return null;
  const messages: SlackMessage[] = [parent];
  let hasMore = false;
  let taken = 0;
  for (const rr of liveReplyRanks(ds, j, parentRank)) {
    const t = tsMicros(itemIndex(j, rr));
    if (q.oldest !== undefined && (q.oldestInclusive ? t < q.oldest : t <= q.oldest)) continue;
    if (q.latest !== undefined && (q.latestInclusive ? t > q.latest : t >= q.latest)) continue;
    if (q.after !== undefined && t <= q.after) continue;
    if (taken >= q.limit) {
      hasMore = true;
      break;
    }
    messages.push(makeMessage(ds, j, rr)!);
    taken++;
  }
  return { messages, hasMore };
}
