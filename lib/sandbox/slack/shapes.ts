// Message shapes the Slack sandbox serves besides ordinary messages: an edit, a deleted thread
// parent (tombstone), bot profiles, and what the `item_errors` fault serves instead of an
// ordinary message — messages Slack really returns that 2nd Brain cannot keep. Every shape is
// one @slack/web-api's own response types allow (ConversationsHistoryResponse.MessageElement,
// FileElement, BotProfile: node_modules/@slack/web-api/dist/types/response/).
import type { ConversationsHistoryResponse } from "@slack/web-api";

type SlackMessage = NonNullable<ConversationsHistoryResponse["messages"]>[number];

/**
 * A deleted thread parent whose replies are still there: conversations.history and
 * conversations.replies keep it in place as Slack's tombstone (subtype "tombstone", posted as
 * USLACKBOT, hidden, text "This message was deleted."), with its thread fields (set by the caller).
 */
export function tombstone(ts: string): SlackMessage {
  return { type: "message", subtype: "tombstone", text: "This message was deleted.", user: "USLACKBOT", hidden: true, ts };
}

/** The text of an edited message: it gains the word "edited" (once per edit, counted). */
export function editedText(text: string, times: number): string {
  const mark = times > 1 ? `(edited ${times} times)` : "(edited)";
  return text ? `${text} ${mark}` : mark;
}

/** `edited.ts` of an edit made at `at` (ms): a Slack ts (seconds.micros), unique per change (seq). */
export function editTs(at: number, seq: number): string {
  const micros = Math.floor(at) * 1000 + (seq % 1000);
  const sec = Math.floor(micros / 1_000_000);
  return `${sec}.${String(micros - sec * 1_000_000).padStart(6, "0")}`;
}

/** bot_profile as Slack sends it on bot messages, icons included (BotProfile, BotProfileIcons). */
export function botProfile(botId: string, appId: string, name: string, userId: string): NonNullable<SlackMessage["bot_profile"]> {
  const icon = (size: number) => `https://avatars.slack-edge.com/2025-01-01/${botId.toLowerCase()}_${size}.png`;
  return {
    id: botId,
    app_id: appId,
    user_id: userId,
    name,
    icons: { image_36: icon(36), image_48: icon(48), image_72: icon(72) },
    deleted: false,
    team_id: "T05SBX2ND",
    updated: 1_735_689_600,
  };
}

export type UnkeepableKind = "file_deleted" | "file_hidden_by_limit" | "huddle";

/** Which unkeepable shape item i takes under item_errors (replies never are huddles). */
export function unkeepableKind(i: number, reply: boolean): UnkeepableKind {
  const k = Math.floor(i / 10) % 3;
  if (k === 0 || (k === 2 && reply)) return "file_deleted";
  return k === 1 ? "file_hidden_by_limit" : "huddle";
}

/**
 * What `item_errors` serves instead of message `msg` (item i): a message Slack really returns and
 * that holds nothing 2nd Brain can keep —
 * - a file share whose only file was deleted: the file object shrinks to { id, mode: "tombstone" }
 *   (Slack's file object, `mode` "tombstone" for a deleted file), no text;
 * - a file share on a free workspace over its history limit: { id, mode: "hidden_by_limit" }
 *   (the file Slack shows as "File hidden by Slack limit"), no text;
 * - a huddle record (subtype "huddle_thread"), which carries no text.
 * The thread fields (thread_ts, reply_count…) stay: a thread under such a parent is still read.
 */
export function unkeepableMessage(msg: SlackMessage, i: number, reply: boolean): SlackMessage {
  const { text: _text, blocks: _blocks, attachments: _attachments, edited: _edited, subtype: _subtype, client_msg_id: _cid, ...rest } = msg;
  const fileId = `F0${(70_000_000 + i * 613).toString(36).toUpperCase()}`;
  switch (unkeepableKind(i, reply)) {
    case "file_deleted":
      return { ...rest, text: "", upload: false, display_as_bot: false, files: [{ id: fileId, mode: "tombstone" }] };
    case "file_hidden_by_limit":
      return { ...rest, text: "", upload: false, display_as_bot: false, files: [{ id: fileId, mode: "hidden_by_limit" }] };
    case "huddle":
      return { ...rest, subtype: "huddle_thread", text: "" };
  }
}
