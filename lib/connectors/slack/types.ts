// The shapes the Slack connector saves between runs (cursor) and inside one (checkpoint).
import { z } from "zod";
import type { ChannelRef } from "./transform";

/**
 * How many of a channel's newest top-level messages the next run re-reads and compares (edits,
 * deletions, new replies). One history request (limit 200) covers them.
 */
export const SLACK_RECENT_WINDOW = 100;

/** One recently seen top-level message: its ts and its signature (reply count, latest reply, edit). */
export type RecentEntry = [ts: string, signature: string];

/**
 * Saved after a complete run; the next run reads only what changed.
 *
 * `channels`: the newest message ts seen per channel. The next run asks conversations.history
 * for messages after it.
 * `recent`: per channel, the newest SLACK_RECENT_WINDOW top-level messages with their signature
 * (reply count, latest reply, `edited.ts`). Slack's Web API has no pull feed of edits and
 * deletions (message_changed / message_deleted are Events API pushes), and history does not
 * return an old message again when someone replies to it or edits it; so the next run that
 * reads the channel starts its history read just below the oldest of these (one request for a
 * window of 100 plus up to 100 new messages) and compares: a changed signature is written
 * again (and its new replies fetched), a tombstone is a deleted thread parent, and a remembered
 * message missing from the re-read range was deleted (`SyncPage.removed`). Edits and deletions
 * of older messages, and of thread replies (which history never shows), are not seen by an
 * incremental run (a documented limit).
 */
export interface SlackCursor {
  channels: Record<string, string>;
  recent?: Record<string, RecentEntry[]>;
  /**
   * When each channel's history was last read (ms). A channel whose conversations.list `updated`
   * is not after its newest seen message (nor after the `updated` of that read) is skipped
   * without a request, for up to a day after that read (see SLACK_RECHECK_MS).
   */
  checked?: Record<string, number>;
  /** conversations.list's `updated` (ms) of each channel when its history was last read. */
  updated?: Record<string, number>;
}

/** Where a run stopped, saved with every page. */
export interface SlackCheckpoint {
  v: 1;
  /** Position of the channel in progress in this run's channel order (informational). */
  channelIndex: number;
  /** The channel in progress; null between channels. */
  channelId: string | null;
  /** Slack's cursor for the next history page of that channel. */
  cursor: string | null;
  /** Keyset fallback: the oldest top-level ts already handled in that channel (read below it). */
  before: string | null;
  /** The lower bound (exclusive) of this run's history read of that channel; null: everything. */
  oldest: string | null;
  /** Newest ts seen in that channel in this run. */
  newest: string | null;
  /** New top-level messages read from that channel in this run (SLACK_MAX_MESSAGES_PER_CHANNEL). */
  count: number;
  recent: RecentEntry[];
  /** Channels finished in this run: newest ts (null: none) and recent messages, for the cursor. */
  done: Record<string, DoneChannel>;
}

export interface DoneChannel {
  ts: string | null;
  recent: RecentEntry[];
  checked?: number;
  updated?: number;
}

export interface SlackConnectorOptions {
  /** conversations.history page size (Slack recommends 200; at most 999). */
  historyLimit?: number;
  /** conversations.list page size (Slack recommends at most 200; at most 1000). */
  channelPageSize?: number;
  /** users.list page size. */
  userPageSize?: number;
  /** conversations.replies page size. */
  repliesLimit?: number;
  /** Top-level messages per yielded page (a history page is split so progress moves steadily). */
  chunkSize?: number;
  /** Thread reply fetches in flight at once. */
  replyConcurrency?: number;
  /** Newest top-level messages per channel re-checked by the next run (see SlackCursor.recent; default SLACK_RECENT_WINDOW). */
  recentPerChannel?: number;
}

const tsSchema = z.string().regex(/^\d+\.\d+$/);
const recentSchema = z.array(z.tuple([tsSchema, z.string()]));

export const cursorSchema = z.object({
  channels: z.record(z.string(), tsSchema),
  recent: z.record(z.string(), recentSchema).optional(),
  checked: z.record(z.string(), z.number().int().min(0)).optional(),
  updated: z.record(z.string(), z.number().min(0)).optional(),
});

export const checkpointSchema = z.object({
  v: z.literal(1),
  channelIndex: z.number().int().min(0),
  channelId: z.string().nullable(),
  cursor: z.string().nullable(),
  before: tsSchema.nullable(),
  oldest: tsSchema.nullable(),
  newest: tsSchema.nullable(),
  count: z.number().int().min(0),
  recent: recentSchema,
  done: z.record(
    z.string(),
    z.object({ ts: tsSchema.nullable(), recent: recentSchema, checked: z.number().int().min(0).optional(), updated: z.number().min(0).optional() }),
  ),
});

export function parseCursor(raw: unknown): SlackCursor {
  const parsed = cursorSchema.safeParse(raw);
  return parsed.success ? parsed.data : { channels: {} };
}

export interface ChannelInfo extends ChannelRef {
  isMember: boolean;
  /** conversations.list's `updated` (ms): when the channel last changed, its newest message included. */
  updated?: number;
}

export interface ChannelState {
  cursor: string | null;
  before: string | null;
  oldest: string | null;
  newest: string | null;
  count: number;
  recent: RecentEntry[];
}

/** A field of an answer Slack sent, whatever its shape. */
export function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
