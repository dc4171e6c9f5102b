// Slack connector: the messages (and thread replies) of every channel the app can read.
//
// Order of work: conversations.list (public + private, not archived; channels the app is not a
// member of are skipped: a bot cannot read them) -> users.list (names for authors and
// <@U…> mentions) -> per channel, conversations.history newest first (limit 200, cursor
// pagination) and conversations.replies for each thread met on the way. One history page is
// split into chunks of 50 top-level messages; every chunk is one SyncPage whose checkpoint says
// exactly where to continue.
//
// Position inside a channel: Slack's cursor for the next page, plus a keyset fallback `before`
// (the oldest ts already handled: history?latest=<before> continues below it). A cursor Slack no
// longer accepts (invalid_cursor, e.g. a run resumed much later) is dropped once per position
// and the read continues from `before`: nothing is lost or read twice.
//
// Incremental runs: the cursor keeps the newest ts per channel and its newest SLACK_RECENT_WINDOW
// top-level messages with their reply/edit signature (see SlackCursor in ./types.ts). A channel
// whose conversations.list `updated` has not moved is not read at all; one that moved is read from
// just below the oldest remembered message: new messages are added, a changed signature (an
// edit, new replies) is written again in place, a tombstone or a remembered message missing from
// the re-read range leaves the library (SyncPage.removed, ./window.ts). No re-list.
//
// Total: Slack cannot count messages cheaply, so the total stays 0 (the UI shows an
// indeterminate bar with live counts) until the run knows it, at the end.
//
// Tokens: Slack bot tokens do not expire unless the app opted into token rotation, so there is
// no `refresh`; a refused token (invalid_auth, token_expired, token_revoked…) ends the run with
import type { Connector, DocumentInput, ItemFailure, SyncContext, SyncLimits, SyncPage } from "@/lib/connectors/types";
import type { WebClient } from "@slack/web-api";
import { SyncError } from "@/lib/contract";
import { mapLimit } from "@/lib/connectors/kit/concurrency";
import { slackManifest } from "./manifest";
import { SlackApiError, makeSlackClient, slackCall } from "./client";
import { listChannels, listUsers } from "./listing";
import { fetchReplies, laterTs, minTs, tsToMs, type ThreadReader } from "./threads";
import { isNoiseMessage, isSlackTs, rawMessageKey, slackExternalId, transformMessage, tsJustBefore, type Lookups } from "./transform";
import {
  SLACK_RECENT_WINDOW,
  field,
  parseCursor,
  str,
  checkpointSchema,
  type ChannelState,
  type DoneChannel,
  type SlackCheckpoint,
  type SlackConnectorOptions,
  type SlackCursor,
} from "./types";
import { goneFromRange, topUpWindow, type ReadRange } from "./window";
import { planChunk, type ChunkPlan } from "./chunk";

export type { SlackCheckpoint, SlackConnectorOptions, SlackCursor } from "./types";
export { messageSignature } from "./threads";
/** Kept here for the callers that read the quota beside the connector (bench, tests). */
export { SLACK_METHOD_TIERS, SLACK_QUOTA } from "./manifest";

/** Used when the engine passes no limits (older engines; tests). */
const DEFAULT_LIMITS: SyncLimits = { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1000 };
/** A channel we cannot read any more: its messages are skipped with a readable failure. */
const CHANNEL_GONE = new Set(["channel_not_found", "not_in_channel", "is_archived", "access_denied"]);
const CAP_NOTES = 3;

/** A channel skipped as unchanged is still read at least this often (in case `updated` lags). */
export const SLACK_RECHECK_MS = 24 * 60 * 60_000;

type HistoryResult = Awaited<ReturnType<WebClient["conversations"]["history"]>>;

interface ChunkResult extends Omit<ChunkPlan, "plan"> {
  documents: DocumentInput[];
  failures: ItemFailure[];
  labels: string[];
}

function clamp(n: number | undefined, fallback: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(n ?? fallback)));
}

export function createSlackConnector(options: SlackConnectorOptions = {}): Connector {
  const historyLimit = clamp(options.historyLimit, 200, 1, 999);
  const channelPageSize = clamp(options.channelPageSize, 200, 1, 1000);
  const userPageSize = clamp(options.userPageSize, 200, 1, 1000);
  const repliesLimit = clamp(options.repliesLimit, 200, 1, 1000);
  const chunkSize = clamp(options.chunkSize, 50, 1, 999);
  const replyConcurrency = clamp(options.replyConcurrency, 4, 1, 16);
  const recentPerChannel = clamp(options.recentPerChannel, SLACK_RECENT_WINDOW, 0, 200);

  return {
    type: "slack",
    quota: slackManifest.quota,

    async connect(ctx) {
      const client = makeSlackClient(ctx);
      const res = await slackCall(ctx.signal, "auth.test", () => client.auth.test());
      const host = str(res.url)?.replace(/^https?:\/\//, "").replace(/\/+$/, "");
      return { accountLabel: str(res.team) ?? host ?? "Slack workspace" };
    },

    async *sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: unknown }, void> {
      const { signal } = ctx;
      const limits: SyncLimits = { ...DEFAULT_LIMITS, ...(ctx.limits ?? {}) };
      const capped = (note: string) => ctx.progress.capped?.(note);
      const client = makeSlackClient(ctx, replyConcurrency);
      const prev = parseCursor(ctx.cursor);
      const cpParsed = ctx.checkpoint != null ? checkpointSchema.safeParse(ctx.checkpoint) : undefined;
      const checkpoint: SlackCheckpoint | undefined = cpParsed?.success ? cpParsed.data : undefined;
      const done = new Map<string, DoneChannel>(Object.entries(checkpoint?.done ?? {}));
      let yielded = 0;

      // ------------------------------------------------------------ channels
      ctx.progress.stage("Listing channels…");
      const { listed } = await listChannels(client, ctx, limits, channelPageSize);
      const channelNames = new Map(listed.map((c) => [c.id, c.name]));
      let channels = listed.filter((c) => c.isMember);
      const notMember = listed.length - channels.length;
      if (channels.length > limits.maxChannels) {
        channels = channels.slice(0, limits.maxChannels);
        capped(`Stopped at ${limits.maxChannels} channels (SLACK_MAX_CHANNELS)`);
      }
      if (notMember > 0) {
        ctx.progress.stage(
          `Found ${channels.length} channels; skipping ${notMember} the Slack app is not a member of (invite it to sync them)`,
        );
      }

      // ------------------------------------------------------------ people (only once a channel has something to read)
      const lookups: Lookups = { users: new Map(), channels: channelNames };
      let usersLoaded = false;
      const ensureUsers = async () => {
        if (usersLoaded) return;
        ctx.progress.stage("Loading people…");
        lookups.users = await listUsers(client, ctx, limits, userPageSize);
        usersLoaded = true;
      };
      const now = Date.now();
      const checked = new Map(Object.entries(prev.checked ?? {}));
      let unchanged = 0;

      const checkpointOf = (channelIndex: number, channelId: string | null, st: ChannelState | null): SlackCheckpoint => ({
        v: 1,
        channelIndex,
        channelId,
        cursor: st?.cursor ?? null,
        before: st?.before ?? null,
        oldest: st?.oldest ?? null,
        newest: st?.newest ?? null,
        count: st?.count ?? 0,
        recent: st?.recent ?? [],
        done: Object.fromEntries(done),
      });

      // ------------------------------------------------------------ messages, channel by channel
      const cappedChannels: string[] = [];
      for (let ci = 0; ci < channels.length; ci++) {
        const ch = channels[ci]!;
        if (done.has(ch.id)) continue;
        signal.throwIfAborted();

        const prevTs = prev.channels[ch.id];
        const prevRecent = prev.recent?.[ch.id] ?? [];
        const resuming = checkpoint !== undefined && checkpoint.channelId === ch.id;
        // Nothing new: conversations.list says the channel has not changed since the newest
        // message the last run saw (`updated` moves with every message, replies included), and
        // it was read within a day. No history request at all.
        const lastRead = checked.get(ch.id);
        const prevUpdated = prev.updated?.[ch.id];
        if (
          !resuming &&
          prevTs !== undefined &&
          ch.updated !== undefined &&
          ch.updated <= Math.max(tsToMs(prevTs), prevUpdated ?? 0) &&
          lastRead !== undefined &&
          now - lastRead >= 0 &&
          now - lastRead < SLACK_RECHECK_MS
        ) {
          done.set(ch.id, { ts: prevTs, recent: prevRecent, checked: lastRead, ...(prevUpdated !== undefined ? { updated: prevUpdated } : {}) });
          unchanged += 1;
          continue;
        }
        await ensureUsers();
        ctx.progress.stage(`Fetching messages in #${ch.name} (${ci + 1} of ${channels.length})…`);

        const known = new Map(prevRecent);
        const lowestRecent = minTs(prevRecent);
        const resume = checkpoint && checkpoint.channelId === ch.id ? checkpoint : undefined;
        const st: ChannelState = resume
          ? { cursor: resume.cursor, before: resume.before, oldest: resume.oldest, newest: resume.newest, count: resume.count, recent: resume.recent }
          : {
              cursor: null,
              before: null,
              // Just below the oldest re-checked message (so it is included), else after the newest seen.
              oldest: lowestRecent !== undefined ? tsJustBefore(lowestRecent) : (prevTs ?? null),
              newest: null,
              count: 0,
              recent: [],
            };
        const emitted = new Set<string>();
        const threadReader: ThreadReader = { client, signal, channel: ch, limits, repliesLimit, capped };
        let droppedCursorAt: string | null | undefined;
        let ahead: { cursor: string; oldest: string | null; promise: Promise<HistoryResult> } | null = null;
        let pages = 0;
        let finished = false;

        const finish = () => {
          finished = true;
          const ts = st.newest !== null ? laterTs(prevTs ?? null, st.newest) : (prevTs ?? null);
          // `updated` as listed before this read: anything later moves it past that. Not for a read
          // resumed mid-channel: what arrived above its position since the first attempt is unread.
          const updated = ch.updated !== undefined && !resume ? { updated: ch.updated } : {};
          done.set(ch.id, { ts, recent: st.recent.length > 0 ? st.recent : prevRecent, checked: now, ...updated });
        };
        const idOf = (ts: string) => slackExternalId(ch.id, ts);

        while (!finished) {
          signal.throwIfAborted();
          if (pages >= limits.maxPages) {
            capped(`Stopped after ${limits.maxPages} pages of #${ch.name} (SYNC_MAX_PAGES)`);
            finish();
            break;
          }
          const args = {
            channel: ch.id,
            limit: historyLimit,
            ...(st.oldest !== null ? { oldest: st.oldest } : {}),
            ...(st.cursor !== null ? { cursor: st.cursor } : st.before !== null ? { latest: st.before } : {}),
          };
          let res: HistoryResult;
          const pre = ahead;
          ahead = null;
          try {
            res = await (pre && st.cursor !== null && pre.cursor === st.cursor && pre.oldest === st.oldest
              ? pre.promise
              : slackCall(signal, "conversations.history", () => client.conversations.history(args)));
          } catch (error) {
            if (error instanceof SlackApiError && error.code === "invalid_cursor" && st.cursor !== null && droppedCursorAt !== st.before) {
              // Once per position: continue below the last message handled, without the cursor.
              droppedCursorAt = st.before;
              st.cursor = null;
              ctx.progress.stage(`Cursor expired — continuing #${ch.name} from where it stopped`);
              continue;
            }
            if (error instanceof SlackApiError && CHANNEL_GONE.has(error.code)) {
              const why =
                error.code === "channel_not_found"
                  ? "it was deleted or the app lost access"
                  : error.code === "not_in_channel"
                    ? "the Slack app is not a member of it any more (invite it to sync it)"
                    : error.code === "is_archived"
                      ? "it was archived"
                      : "the app may not read it";
              const failure: ItemFailure = {
                externalId: ch.id,
                title: `#${ch.name}`,
                reason: `Slack did not let 2nd Brain read #${ch.name}: ${why}. Its messages were skipped.`,
                detail: `Slack error ${error.code}`,
              };
              done.set(ch.id, { ts: prevTs ?? null, recent: prevRecent });
              finished = true;
              yielded += 1;
              yield { documents: [], failures: [failure], labels: [], checkpoint: checkpointOf(ci + 1, null, null) };
              break;
            }
            throw error;
          }
          pages += 1;
          const messages: unknown[] | undefined = Array.isArray(res.messages) ? res.messages : undefined;
          if (!messages) throw new SyncError("malformed", `Slack sent a malformed answer to conversations.history for #${ch.name} (no message list).`);
          const nextCursor = res.has_more ? (str(res.response_metadata?.next_cursor) ?? null) : null;
          const moreAfterPage = Boolean(res.has_more) && messages.length > 0;
          // Read ahead: the next history page is on its way while this one's threads are fetched
          // (history and replies have separate quotas; both stay busy).
          if (moreAfterPage && nextCursor !== null && pages < limits.maxPages && st.count + messages.length < limits.maxMessagesPerChannel) {
            const nextArgs = { channel: ch.id, limit: historyLimit, ...(st.oldest !== null ? { oldest: st.oldest } : {}), cursor: nextCursor };
            const promise = slackCall(signal, "conversations.history", () => client.conversations.history(nextArgs));
            promise.catch(() => undefined); // awaited (and its error handled) by the next turn; unused when the run stops first
            ahead = { cursor: nextCursor, oldest: st.oldest, promise };
          }

          if (messages.length === 0) {
            // Nothing left between the read's lower bound and where it stands: every remembered
            // message in that range was deleted.
            const removed = goneFromRange(prevRecent, new Set(), { lower: st.oldest, lowerInclusive: false, upper: st.before }).map(idOf);
            if (!resume) await topUpWindow(client, signal, ch.id, st, prevRecent.length, recentPerChannel);
            finish();
            yield { documents: [], failures: [], labels: [], removed, checkpoint: checkpointOf(ci + 1, null, null) };
            break;
          }

          for (let k = 0; k < messages.length; k += chunkSize) {
            const chunk = messages.slice(k, k + chunkSize);
            const upper = st.before; // this chunk continues the read below it (null: from now)
            const out = await handleChunk(chunk);
            const lastOfPage = k + chunkSize >= messages.length;
            // What this chunk proves deleted: the remembered messages of the range it read fully
            // (down to the read's lower bound when it ends the channel) that did not come back.
            const reachedEnd = lastOfPage && !moreAfterPage && !out.stopped;
            const range: ReadRange | null = reachedEnd
              ? { lower: st.oldest, lowerInclusive: false, upper }
              : out.lowest !== undefined
                ? { lower: out.lowest, lowerInclusive: true, upper }
                : null;
            const removed = [...out.removed, ...(range ? goneFromRange(prevRecent, out.returned, range).map(idOf) : [])];
            if (out.stopped) {
              cappedChannels.push(ch.name);
              if (cappedChannels.length <= CAP_NOTES) {
                capped(`Stopped at ${limits.maxMessagesPerChannel.toLocaleString("en-US")} messages in #${ch.name} (SLACK_MAX_MESSAGES_PER_CHANNEL)`);
              }
            }
            const channelDone = out.stopped || (lastOfPage && !moreAfterPage);
            st.cursor = lastOfPage && !channelDone ? nextCursor : null;
            if (channelDone) {
              if (reachedEnd && !resume) await topUpWindow(client, signal, ch.id, st, prevRecent.length, recentPerChannel);
              finish();
            }
            yielded += out.documents.length + out.failures.length;
            yield {
              documents: out.documents,
              failures: out.failures,
              labels: out.labels,
              ...(removed.length > 0 ? { removed } : {}),
              checkpoint: channelDone ? checkpointOf(ci + 1, null, null) : checkpointOf(ci, ch.id, st),
            };
            if (channelDone) break;
          }
        }

        // ---------------------------------------------------------- one chunk of a history page
        async function handleChunk(chunk: unknown[]): Promise<ChunkResult> {
          const { plan, stopped, returned, lowest, removed } = planChunk(chunk, ch.id, known, st, limits, recentPerChannel);
          const threads = plan.filter((p) => p.threadSince !== undefined);
          const replies = new Map<unknown, { raws: unknown[]; failure?: ItemFailure }>();
          if (threads.length > 0) {
            const results = await mapLimit(threads, replyConcurrency, (p) =>
              fetchReplies(threadReader, p.raw, p.threadSince === null ? undefined : p.threadSince),
            );
            threads.forEach((p, k) => replies.set(p.raw, results[k]!));
          }

          const documents: DocumentInput[] = [];
          const failures: ItemFailure[] = [];
          const labels: string[] = [];
          const add = (raw: unknown) => {
            const key = rawMessageKey(raw, ch.id);
            if (isSlackTs(field(raw, "ts"))) {
              if (emitted.has(key)) return;
              emitted.add(key);
            }
            const result = transformMessage(raw, ch, lookups);
            if (result.ok) {
              documents.push(result.document);
              labels.push(result.label);
            } else {
              failures.push(result.failure);
            }
          };
          for (const p of plan) {
            if (!p.repliesOnly) add(p.raw);
            const r = replies.get(p.raw);
            if (r?.failure) failures.push(r.failure);
            for (const reply of r?.raws ?? []) if (!isNoiseMessage(reply)) add(reply);
          }
          return { documents, failures, labels, stopped, returned, lowest, removed };
        }

        // ---------------------------------------------------------- the replies of one thread
      }

      if (unchanged > 0 && unchanged === channels.length) ctx.progress.stage(`Nothing new in ${channels.length} channels`);
      if (cappedChannels.length > CAP_NOTES) {
        capped(
          `Stopped at ${limits.maxMessagesPerChannel.toLocaleString("en-US")} messages in ${cappedChannels.length} channels (SLACK_MAX_MESSAGES_PER_CHANNEL)`,
        );
      }
      // The total is known now: what this run handled (a resumed run: the engine adds the rest).
      ctx.progress.total(yielded);

      const cursor: SlackCursor = {
        channels: { ...prev.channels },
        recent: { ...(prev.recent ?? {}) },
        checked: { ...(prev.checked ?? {}) },
        updated: { ...(prev.updated ?? {}) },
      };
      for (const [id, state] of done) {
        if (state.ts !== null) cursor.channels[id] = state.ts;
        if (state.recent.length > 0) cursor.recent![id] = state.recent;
        if (state.checked !== undefined) cursor.checked![id] = state.checked;
        if (state.updated !== undefined) cursor.updated![id] = state.updated;
      }
      return { cursor };
    },
  };
}

export const slackConnector: Connector = createSlackConnector();
