// Threads: what tells a changed thread from an unchanged one (the signature kept in the cursor),
// and the replies of one thread (conversations.replies, cursor paging with a keyset fallback).
import type { WebClient } from "@slack/web-api";
import type { ItemFailure, SyncLimits } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { SlackApiError, slackCall } from "./client";
import { compareTs, isSlackTs, rawMessageKey, type ChannelRef } from "./transform";
import { field, str, type RecentEntry } from "./types";

const THREAD_GONE = new Set(["thread_not_found", "channel_not_found", "not_in_channel"]);

/** "1767225660.000123" -> 1767225660000 (ms, rounded down). */
export function tsToMs(ts: string): number {
  return Math.floor(Number(ts.split(".")[0]) * 1000);
}

/** What changes on an old message that history would not show again: replies and edits. */
export function messageSignature(raw: unknown): string {
  const count = field(raw, "reply_count");
  const latest = field(raw, "latest_reply");
  const edited = field(field(raw, "edited"), "ts");
  return `${typeof count === "number" ? count : 0}|${isSlackTs(latest) ? latest : ""}|${isSlackTs(edited) ? edited : ""}`;
}

/** The reply count and latest reply of a signature (an edit alone needs no replies fetch). */
export function threadPart(signature: string): string {
  return signature.split("|").slice(0, 2).join("|");
}

export function latestReplyOf(signature: string): string | undefined {
  const v = signature.split("|")[1];
  return v ? v : undefined;
}

export function isThreadParent(raw: unknown): boolean {
  const ts = field(raw, "ts");
  const count = field(raw, "reply_count");
  return isSlackTs(ts) && field(raw, "thread_ts") === ts && typeof count === "number" && count > 0;
}

export function minTs(list: readonly RecentEntry[]): string | undefined {
  let min: string | undefined;
  for (const [ts] of list) if (min === undefined || compareTs(ts, min) < 0) min = ts;
  return min;
}

export function laterTs(a: string | null, b: string): string {
  return a === null || compareTs(b, a) > 0 ? b : a;
}

/** What reading one channel's threads needs. */
export interface ThreadReader {
  client: WebClient;
  signal: AbortSignal;
  channel: ChannelRef;
  limits: SyncLimits;
  repliesLimit: number;
  capped: (note: string) => void;
}

/** The replies of one thread (after `since`, when given); a thread Slack cannot return is a failure, not an error. */
export async function fetchReplies(
  reader: ThreadReader,
  parent: unknown,
  since: string | undefined,
): Promise<{ raws: unknown[]; failure?: ItemFailure }> {
  const { client, signal, channel: ch, limits, repliesLimit, capped } = reader;
  const parentTs = field(parent, "ts") as string;
  const raws: unknown[] = [];
  let cursor: string | undefined;
  // The lower bound sent to Slack: `since` while following cursors; after a dropped
  // cursor, the last reply we have (keyset).
  let oldest = since;
  let lastSeen = since;
  let dropped: string | undefined | null = null;
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    signal.throwIfAborted();
    if (page >= limits.maxPages) {
      capped(`Stopped after ${limits.maxPages} pages of a thread in #${ch.name} (SYNC_MAX_PAGES)`);
      break;
    }
    let res: Awaited<ReturnType<WebClient["conversations"]["replies"]>>;
    try {
      res = await slackCall(signal, "conversations.replies", () =>
        client.conversations.replies({
          channel: ch.id,
          ts: parentTs,
          limit: repliesLimit,
          ...(oldest ? { oldest } : {}),
          ...(cursor ? { cursor } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof SlackApiError && error.code === "invalid_cursor" && cursor && dropped !== lastSeen) {
        dropped = lastSeen;
        cursor = undefined; // continue after the last reply we have, without the cursor
        oldest = lastSeen;
        continue;
      }
      if (error instanceof SlackApiError && THREAD_GONE.has(error.code)) {
        const count = field(parent, "reply_count");
        return {
          raws,
          failure: {
            externalId: `${rawMessageKey(parent, ch.id)}:replies`,
            title: `#${ch.name} — thread replies`,
            reason: `Slack could not return the replies of this thread, so ${typeof count === "number" ? `its ${count} replies were` : "its replies were"} skipped.`,
            detail: `Slack error ${error.code}`,
          },
        };
      }
      throw error;
    }
    const list: unknown[] | undefined = Array.isArray(res.messages) ? res.messages : undefined;
    if (!list) throw new SyncError("malformed", `Slack sent a malformed answer to conversations.replies in #${ch.name} (no message list).`);
    for (const m of list) {
      const ts = field(m, "ts");
      if (ts === parentTs) continue; // the parent comes first on every page
      if (isSlackTs(ts)) {
        if ((since !== undefined && compareTs(ts, since) <= 0) || seen.has(ts)) continue;
        seen.add(ts);
        lastSeen = lastSeen === undefined || compareTs(ts, lastSeen) > 0 ? ts : lastSeen;
      }
      raws.push(m);
    }
    if (!res.has_more) break;
    cursor = str(res.response_metadata?.next_cursor);
    if (!cursor) oldest = lastSeen; // no cursor given: continue by keyset
  }
  return { raws };
}
