// Pure: one Slack message (from conversations.history or conversations.replies) -> DocumentInput.
import { z } from "zod";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { malformedReason, unreadableItem } from "@/lib/connectors/kit/malformed-reason";

export interface ChannelRef {
  id: string;
  name: string;
  isPrivate: boolean;
}

/** Names for ids found in message text: users (from users.list) and channels (from conversations.list). */
export interface Lookups {
  users: ReadonlyMap<string, string>;
  channels: ReadonlyMap<string, string>;
}

export type TransformResult =
  | { ok: true; document: DocumentInput; label: string }
  | { ok: false; failure: ItemFailure };

const TS_RE = /^\d+\.\d+$/;
const tsString = z.string().regex(TS_RE, { message: "not a Slack timestamp" });
const optionalText = z.string().nullish();

const messageSchema = z.looseObject({
  ts: tsString,
  text: z.string().optional(),
  user: z.string().optional(),
  username: z.string().optional(),
  bot_id: z.string().nullish(),
  subtype: z.string().optional(),
  thread_ts: tsString.optional(),
  reply_count: z.number().int().min(0).optional(),
  edited: z.looseObject({ ts: tsString.optional() }).optional(),
  bot_profile: z.looseObject({ name: z.string().nullish() }).nullish(),
  attachments: z
    .array(z.looseObject({ fallback: optionalText, text: optionalText, title: optionalText, pretext: optionalText }))
    .optional(),
  files: z.array(z.looseObject({ id: z.string().optional(), name: optionalText, title: optionalText, mode: z.string().optional() })).optional(),
  blocks: z.array(z.unknown()).optional(),
});

/** System messages that are not conversation (joins, leaves): skipped, neither synced nor failed. */
const NOISE_SUBTYPES = new Set(["channel_join", "channel_leave", "group_join", "group_leave"]);

/**
 * Subtypes that carry no words of their own (Slack's message subtypes list: a huddle's record,
 * a legacy call): without text, attachments or files they are a failure with plain words.
 */
const TEXTLESS_SUBTYPES: Record<string, string> = {
  huddle_thread: "This is the record of a Slack huddle, which holds no text to keep, so it was skipped.",
  sh_room_created: "This is the record of a Slack call, which holds no text to keep, so it was skipped.",
};

/**
 * File objects Slack sends without the file (the file object's `mode`): "tombstone" for a file
 * deleted since it was shared, "hidden_by_limit" for one the workspace's plan hides ("File
 * hidden by Slack limit").
 */
const FILE_GONE: Record<string, string> = {
  tombstone: "The file shared in this message was deleted in Slack, so there was nothing to keep.",
  hidden_by_limit: "Slack hides the file shared in this message (the workspace's plan only shows recent history), so 2nd Brain could not keep it.",
};

const TITLE_MAX = 80;

function field(raw: unknown, name: string): unknown {
  return typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

export function isSlackTs(value: unknown): value is string {
  return typeof value === "string" && TS_RE.test(value);
}

/** "1767225600.000123" -> Date (millisecond precision); null when it is not a ts. */
export function tsToDate(ts: string): Date | null {
  if (!TS_RE.test(ts)) return null;
  const [sec, frac = ""] = ts.split(".");
  const ms = Number(sec) * 1000 + Math.floor(Number(frac.padEnd(6, "0").slice(0, 6)) / 1000);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/** Numeric order of two ts strings (they are decimals; string order is wrong across lengths). */
export function compareTs(a: string, b: string): number {
  const [as, af = ""] = a.split(".");
  const [bs, bf = ""] = b.split(".");
  const sa = BigInt(as ?? "0");
  const sb = BigInt(bs ?? "0");
  if (sa !== sb) return sa < sb ? -1 : 1;
  const fa = af.padEnd(6, "0");
  const fb = bf.padEnd(6, "0");
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/** The ts one microsecond earlier: `oldest` just below a message makes Slack's exclusive bound include it. */
export function tsJustBefore(ts: string): string {
  const [sec = "0", frac = ""] = ts.split(".");
  const micros = BigInt(sec) * 1_000_000n + BigInt(frac.padEnd(6, "0").slice(0, 6) || "0") - 1n;
  const s = micros / 1_000_000n;
  return `${s}.${String(micros - s * 1_000_000n).padStart(6, "0")}`;
}

export function slackExternalId(channelId: string, ts: string): string {
  return `${channelId}:${ts}`;
}

/** The id of a raw message even when the rest of it is broken (so failures can be told apart). */
export function rawMessageKey(raw: unknown, channelId: string): string {
  const ts = field(raw, "ts");
  return isSlackTs(ts) ? slackExternalId(channelId, ts) : `${channelId}:unknown`;
}

export function permalink(channelId: string, ts: string, threadTs?: string): string {
  const base = `https://slack.com/archives/${channelId}/p${ts.replace(".", "")}`;
  return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channelId}` : base;
}

/**
 * A deleted thread parent that Slack keeps in history because its replies are still there
 * (subtype "tombstone", "This message was deleted."): the message itself is gone.
 */
export function isTombstone(raw: unknown): boolean {
  return field(raw, "subtype") === "tombstone";
}

export function isNoiseMessage(raw: unknown): boolean {
  const subtype = field(raw, "subtype");
  return typeof subtype === "string" && NOISE_SUBTYPES.has(subtype);
}

/**
 * Slack's mrkdwn "control sequences" made readable: <@U123> -> @Ada, <#C123|general> -> #general,
 * <!here> -> @here, <https://x|label> -> label (https://x), <mailto:a@b|a@b> -> a@b,
 * <!date^…|fallback> -> fallback; then &lt; &gt; &amp; back to < > &.
 * Formatting marks (*bold*, _italic_, `code`) and :emoji: codes stay as typed.
 */
export function renderSlackText(text: string, lookups: Lookups): string {
  const unescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const rendered = text.replace(/<([^<>\n]+)>/g, (_all, inner: string) => {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : "";
    switch (target[0]) {
      case "@": {
        const id = target.slice(1);
        return `@${lookups.users.get(id) ?? (label || id)}`;
      }
      case "#": {
        const id = target.slice(1);
        return `#${label || lookups.channels.get(id) || id}`;
      }
      case "!": {
        const [command = "", ...rest] = target.slice(1).split("^");
        if (command === "here" || command === "channel" || command === "everyone") return `@${command}`;
        if (command === "date") {
          if (label) return label;
          const epoch = Number(rest[0]);
          return Number.isFinite(epoch) ? new Date(epoch * 1000).toISOString() : "";
        }
        if (command === "subteam") return label ? (label.startsWith("@") ? label : `@${label}`) : "@group";
        return label || `@${command}`;
      }
      default: {
        const url = unescape(target);
        if (url.startsWith("mailto:")) return label || url.slice("mailto:".length);
        return label && label !== url && label !== target ? `${label} (${url})` : url;
      }
    }
  });
  return unescape(rendered);
}

function firstLine(text: string): string {
  const line = text
    .split("\n")
    .map((l) => l.replace(/\s+/g, " ").trim())
    .find((l) => l.length > 0);
  if (!line) return "(no text)";
  const chars = [...line];
  return chars.length > TITLE_MAX ? `${chars.slice(0, TITLE_MAX - 1).join("").trimEnd()}…` : line;
}

function reasonFrom(error: z.ZodError, raw: unknown): string {
  return malformedReason(error, raw, "Slack sent a malformed message", "message");
}

/** Why a well-formed message holds nothing to keep (plain words, and the technical part), or null. */
function unkeepableReason(m: z.infer<typeof messageSchema>): { reason: string; detail: string } | null {
  if (m.text?.trim() || (m.attachments?.length ?? 0) > 0) return null;
  if (m.subtype && TEXTLESS_SUBTYPES[m.subtype] && !m.files?.length) return { reason: TEXTLESS_SUBTYPES[m.subtype]!, detail: `Slack message subtype ${m.subtype}, no text` };
  const files = m.files ?? [];
  if (files.length > 0 && files.every((f) => !f.name && !f.title && f.mode !== undefined && FILE_GONE[f.mode])) {
    const mode = files[0]!.mode!;
    return { reason: FILE_GONE[mode]!, detail: `Slack file ${files.map((f) => `${f.id ?? "?"} mode ${f.mode}`).join(", ")}; the message has no text` };
  }
  return null;
}

export function transformMessage(raw: unknown, channel: ChannelRef, lookups: Lookups): TransformResult {
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) {
    const text = field(raw, "text");
    return {
      ok: false,
      failure: {
        externalId: rawMessageKey(raw, channel.id),
        ...(typeof text === "string" && text.trim() ? { title: `#${channel.name} — ${firstLine(renderSlackText(text, lookups))}` } : {}),
        ...unreadableItem("Slack", "message", reasonFrom(parsed.error, raw)),
      },
    };
  }
  const m = parsed.data;
  const unkeepable = unkeepableReason(m);
  if (unkeepable) {
    const date = tsToDate(m.ts)!.toISOString().slice(0, 16).replace("T", " ");
    return {
      ok: false,
      failure: { externalId: slackExternalId(channel.id, m.ts), title: `#${channel.name} — message of ${date} UTC`, ...unkeepable },
    };
  }
  const parts: string[] = [];
  if (m.text) parts.push(renderSlackText(m.text, lookups));
  for (const a of m.attachments ?? []) {
    const body = [a.pretext, a.title, a.text].filter((s): s is string => typeof s === "string" && s.trim() !== "");
    const content = body.length > 0 ? body.join("\n") : (a.fallback ?? "");
    if (content.trim()) parts.push(renderSlackText(content, lookups));
  }
  for (const f of m.files ?? []) {
    const name = f.title || f.name;
    if (name) parts.push(`[file: ${name}]`);
  }
  const text = parts.join("\n\n");
  const createdAt = tsToDate(m.ts)!;
  const edited = m.edited?.ts ? tsToDate(m.edited.ts) : null;
  const updatedAt = edited && edited.getTime() > createdAt.getTime() ? edited : createdAt;
  const author = m.user
    ? (lookups.users.get(m.user) ?? m.username ?? m.user)
    : (m.username ?? m.bot_profile?.name ?? m.bot_id ?? undefined);
  const title = `#${channel.name} — ${firstLine(text)}`;
  const document: DocumentInput = {
    externalId: slackExternalId(channel.id, m.ts),
    kind: "message",
    title,
    text,
    url: permalink(channel.id, m.ts, m.thread_ts),
    ...(author ? { author } : {}),
    metadata: {
      channel: channel.id,
      channelName: channel.name,
      ts: m.ts,
      threadTs: m.thread_ts ?? null,
      replyCount: m.reply_count ?? 0,
      isPrivate: channel.isPrivate,
      ...(m.subtype ? { subtype: m.subtype } : {}),
      ...(m.user ? { userId: m.user } : {}),
    },
    createdAt,
    updatedAt,
  };
  return { ok: true, document, label: `Message: #${channel.name} ${firstLine(text)}` };
}
