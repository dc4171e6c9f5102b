// The Slack listings a run starts with: the channels (conversations.list) and the people
// (users.list, names for authors and <@U…> mentions).
import type { WebClient } from "@slack/web-api";
import type { SyncContext, SyncLimits } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { SlackApiError, slackCall } from "./client";
import { field, str, type ChannelInfo } from "./types";

export async function listChannels(client: WebClient, ctx: SyncContext, limits: SyncLimits, channelPageSize: number): Promise<{ listed: ChannelInfo[] }> {
  const byId = new Map<string, ChannelInfo>();
  let cursor: string | undefined;
  let restarted = false;
  for (let pages = 0; ; ) {
    ctx.signal.throwIfAborted();
    if (pages >= limits.maxPages) {
      ctx.progress.capped?.(`Stopped listing channels after ${limits.maxPages} pages (SYNC_MAX_PAGES)`);
      break;
    }
    let res: Awaited<ReturnType<WebClient["conversations"]["list"]>>;
    try {
      res = await slackCall(ctx.signal, "conversations.list", () =>
        client.conversations.list({
          types: "public_channel,private_channel",
          exclude_archived: true,
          limit: channelPageSize,
          ...(cursor ? { cursor } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof SlackApiError && error.code === "invalid_cursor" && cursor && !restarted) {
        restarted = true;
        cursor = undefined;
        ctx.progress.stage("Cursor expired — restarting channel list");
        continue;
      }
      throw error;
    }
    pages += 1;
    if (!Array.isArray(res.channels)) throw new SyncError("malformed", "Slack sent a malformed channel list (no channels).");
    for (const raw of res.channels as unknown[]) {
      const id = str(field(raw, "id"));
      if (!id) continue;
      byId.set(id, {
        id,
        name: str(field(raw, "name")) ?? id,
        isPrivate: field(raw, "is_private") === true,
        isMember: field(raw, "is_member") !== false,
        ...(typeof field(raw, "updated") === "number" && Number.isFinite(field(raw, "updated")) ? { updated: field(raw, "updated") as number } : {}),
      });
    }
    // Enough to know the cap applies: listing the rest would only cost Tier 2 calls.
    let readable = 0;
    for (const c of byId.values()) if (c.isMember) readable += 1;
    if (readable > limits.maxChannels) break;
    const next = str(res.response_metadata?.next_cursor);
    if (!next) break;
    cursor = next;
  }
  return { listed: [...byId.values()] };
}

export async function listUsers(client: WebClient, ctx: SyncContext, limits: SyncLimits, userPageSize: number): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | undefined;
  let restarted = false;
  for (let pages = 0; pages < limits.maxPages; ) {
    ctx.signal.throwIfAborted();
    let res: Awaited<ReturnType<WebClient["users"]["list"]>>;
    try {
      res = await slackCall(ctx.signal, "users.list", () => client.users.list({ limit: userPageSize, ...(cursor ? { cursor } : {}) }));
    } catch (error) {
      if (error instanceof SlackApiError && error.code === "invalid_cursor" && cursor && !restarted) {
        restarted = true;
        cursor = undefined;
        ctx.progress.stage("Cursor expired — restarting the member list");
        continue;
      }
      throw error;
    }
    pages += 1;
    if (!Array.isArray(res.members)) throw new SyncError("malformed", "Slack sent a malformed member list (no members).");
    for (const raw of res.members as unknown[]) {
      const id = str(field(raw, "id"));
      if (!id) continue;
      const profile = field(raw, "profile");
      const name =
        str(field(profile, "display_name")) ?? str(field(profile, "real_name")) ?? str(field(raw, "real_name")) ?? str(field(raw, "name"));
      if (name) names.set(id, name);
    }
    const next = str(res.response_metadata?.next_cursor);
    if (!next) break;
    cursor = next;
  }
  return names;
}
