// Deletions in the re-read window (see SlackCursor.recent): conversations.history returns every
// message of a ts range, newest first ("The original message will no longer return in history
// calls" once deleted, Slack's message_deleted doc). So a message the last run remembered, whose
// ts lies in a range this run has fully read, and which did not come back, was deleted.
import type { WebClient } from "@slack/web-api";
import { SlackApiError, slackCall } from "./client";
import { messageSignature } from "./threads";
import { compareTs, isNoiseMessage, isSlackTs } from "./transform";
import { field, type ChannelState, type RecentEntry } from "./types";

/** A range of ts this run has fully read: from `lower` (null: the channel's beginning) up to `upper` (exclusive; null: now). */
export interface ReadRange {
  lower: string | null;
  lowerInclusive: boolean;
  upper: string | null;
}

export function inRange(ts: string, range: ReadRange): boolean {
  if (range.upper !== null && compareTs(ts, range.upper) >= 0) return false;
  if (range.lower === null) return true;
  const c = compareTs(ts, range.lower);
  return range.lowerInclusive ? c >= 0 : c > 0;
}

/** The remembered messages of `range` that this read did not return (`returned`: ts as Slack sent them). */
export function goneFromRange(remembered: readonly RecentEntry[], returned: ReadonlySet<string>, range: ReadRange): string[] {
  return remembered.filter(([ts]) => inRange(ts, range) && !returned.has(ts)).map(([ts]) => ts);
}

/**
 * Deletions shrink the window the next run re-reads (it starts at the oldest remembered message).
 * When the last run remembered a full window and this read found fewer (messages were deleted,
 * not enough new ones arrived), the window is topped up with the next older messages: one history
 * request, only then. They are remembered as they are now (not written: the library has them).
 */
export async function topUpWindow(
  client: WebClient,
  signal: AbortSignal,
  channelId: string,
  st: ChannelState,
  remembered: number,
  size: number,
): Promise<void> {
  const missing = size - st.recent.length;
  if (remembered < size || missing <= 0 || st.oldest === null) return;
  let res: Awaited<ReturnType<WebClient["conversations"]["history"]>>;
  try {
    res = await slackCall(signal, "conversations.history", () => client.conversations.history({ channel: channelId, latest: st.oldest!, limit: missing }));
  } catch (error) {
    if (error instanceof SlackApiError) return; // the window stays short; nothing is lost for this run
    throw error;
  }
  for (const m of Array.isArray(res.messages) ? (res.messages as unknown[]) : []) {
    const ts = field(m, "ts");
    if (isSlackTs(ts) && !isNoiseMessage(m) && st.recent.length < size) st.recent.push([ts, messageSignature(m)]);
  }
}
