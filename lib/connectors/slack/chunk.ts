// One chunk of a history page, planned: which messages are written (new, or changed since the
// last run: an edit or new replies), which threads are read, which messages left (tombstones),
// and what the chunk read (for the deletions of ./window.ts). Advances the channel's position.
import type { SyncLimits } from "@/lib/connectors/types";
import { isThreadParent, latestReplyOf, laterTs, messageSignature, threadPart } from "./threads";
import { compareTs, isNoiseMessage, isSlackTs, isTombstone, slackExternalId } from "./transform";
import { field, type ChannelState } from "./types";

export interface PlannedMessage {
  raw: unknown;
  /** Read the thread's replies: after this ts (null: all of them); undefined: no replies to read. */
  threadSince?: string | null;
  /** Only its replies are read: the message itself is gone (a tombstone). */
  repliesOnly?: boolean;
}

export interface ChunkPlan {
  plan: PlannedMessage[];
  /** SLACK_MAX_MESSAGES_PER_CHANNEL reached inside the chunk (the rest of it was not handled). */
  stopped: boolean;
  /** Every ts the chunk handled, and the lowest of them. */
  returned: Set<string>;
  lowest: string | undefined;
  /** Deleted thread parents (tombstones) met in the chunk, as external ids. */
  removed: string[];
}

export function planChunk(
  chunk: readonly unknown[],
  channelId: string,
  known: ReadonlyMap<string, string>,
  st: ChannelState,
  limits: Pick<SyncLimits, "maxMessagesPerChannel">,
  recentPerChannel: number,
): ChunkPlan {
  const plan: PlannedMessage[] = [];
  const returned = new Set<string>();
  const removed: string[] = [];
  let lowest: string | undefined;
  let stopped = false;
  const saw = (ts: string) => {
    returned.add(ts);
    lowest = lowest === undefined || compareTs(ts, lowest) < 0 ? ts : lowest;
    st.before = st.before === null || compareTs(ts, st.before) < 0 ? ts : st.before;
    st.newest = laterTs(st.newest, ts);
  };
  for (const raw of chunk) {
    const ts = field(raw, "ts");
    const valid = isSlackTs(ts);
    const prevSig = valid ? known.get(ts) : undefined;
    const sig = messageSignature(raw);
    if (valid && isTombstone(raw)) {
      // A deleted thread parent kept for its replies: the message leaves the library; replies it
      // got since the last run are still read (they are messages of their own).
      saw(ts);
      // Remembered like any message of the window, so the next run compares its replies.
      if (st.recent.length < recentPerChannel) st.recent.push([ts, sig]);
      removed.push(slackExternalId(channelId, ts));
      const repliesChanged = prevSig === undefined || threadPart(prevSig) !== threadPart(sig);
      if (repliesChanged && isThreadParent(raw)) plan.push({ raw, threadSince: prevSig !== undefined ? (latestReplyOf(prevSig) ?? null) : null, repliesOnly: true });
      continue;
    }
    if (prevSig === undefined && !isNoiseMessage(raw) && st.count >= limits.maxMessagesPerChannel) {
      stopped = true;
      break;
    }
    if (valid) {
      saw(ts);
      if (st.recent.length < recentPerChannel && !isNoiseMessage(raw)) st.recent.push([ts, sig]);
    }
    if (isNoiseMessage(raw)) continue;
    if (prevSig !== undefined) {
      if (prevSig === sig) continue; // seen by the last run, unchanged since
      // Replied to or edited since the last run: written again (in place), new replies fetched.
      const repliesChanged = threadPart(prevSig) !== threadPart(sig);
      plan.push({ raw, threadSince: repliesChanged && isThreadParent(raw) ? (latestReplyOf(prevSig) ?? null) : undefined });
      continue;
    }
    st.count += 1;
    plan.push({ raw, threadSince: isThreadParent(raw) ? null : undefined });
  }
  return { plan, stopped, returned, lowest, removed };
}
