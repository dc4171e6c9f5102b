// The Gmail API's routes (users.getProfile, messages.list/get, messages.attachments.get,
// history.list): which quota method a request is, and its answer from the mailbox as it is now
// (the seeded data with the account's changes applied: ./mailbox.ts).
import type { SandboxChange, SandboxScenario } from "@/lib/contract";
import {
  HISTORY_DEFAULT_PAGE,
  HISTORY_MAX_PAGE,
  HISTORY_TOKEN_SALT,
  LIST_DEFAULT_PAGE,
  LIST_MAX_PAGE,
  LIST_TOKEN_SALT,
  attachmentPartsOf,
  brokenKindOf,
  decodePageToken,
  encodePageToken,
  firstIndexAfter,
  isBrokenMessage,
  isWellFormedId,
  mailboxAddress,
  mailboxHistoryId,
  messageFromFacts,
  messageIndexGuess,
  messageRefOf,
  threadCount,
  type GmailHistory,
  type MessageFormat,
} from "./data";
import { attachmentBody, attachmentIdOf } from "./attachments";
import { HttpError, googleError, invalidArgument, notFound } from "./errors";
import {
  buildMailbox,
  currentFacts,
  currentHistoryId,
  historyLength,
  historyRecord,
  listMailboxPage,
  messageHistoryId,
  messagesTotal,
  stateOf,
  type HistoryType,
  type Mailbox,
} from "./mailbox";
import type { Method } from "./quota";
// Every answer is typed with the SDK's own Schema$ types (generated from Google's discovery
// document): a misnamed or mistyped field does not compile.
import type { gmail_v1 } from "@googleapis/gmail";

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw invalidArgument(`Invalid value '${raw}'. Values must match the following regular expression: '[0-9]+'`);
  const n = Number(raw);
  if (n < min) return fallback;
  return Math.min(n, max);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null) return false;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw invalidArgument(`Invalid value at '${name}' (TYPE_BOOL), "${raw}"`);
}

const FORMATS: readonly MessageFormat[] = ["full", "metadata", "minimal"];
const HISTORY_TYPES: readonly HistoryType[] = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"];

export interface RouteCtx {
  url: URL;
  login: string;
  scenario: SandboxScenario;
  /** The account's change log (oldest first). */
  changes?: readonly SandboxChange[];
}

export interface RouteResult {
  body: unknown;
  /** messages.list / messages.get: the `malformed` fault truncates these. */
  malformable?: boolean;
}

export interface Route {
  method: Method;
  handle(): RouteResult;
}

/**
 * The message an id names as it is now, or the 404 Gmail answers: an id no message had, a draft's
 * replaced message (an edit), a message deleted for good, or (item_errors) one deleted between
 * list and get.
 */
function resolveMessage(mb: Mailbox, id: string, scenario: SandboxScenario): { i: number; broken: boolean } {
  if (!isWellFormedId(id)) throw invalidArgument("Invalid id value");
  const i = messageIndexGuess(id);
  const guess = i === null ? null : messageRefOf(id, mb.version.get(i) ?? 0);
  if (!guess || guess.i >= mb.count || guess.v !== (mb.version.get(guess.i) ?? 0) || stateOf(mb, guess.i) === "gone") throw notFound();
  const broken = scenario.fault === "item_errors" && guess.i < mb.items && isBrokenMessage(guess.i);
  if (broken && brokenKindOf(guess.i) === "deleted") throw notFound();
  return { i: guess.i, broken };
}

export function matchRoute(httpMethod: string, subpath: string, ctx: RouteCtx): Route | null {
  const m = /^\/gmail\/v1\/users\/([^/]+)\/(profile|messages|history)(?:\/([^/]+))?(?:\/attachments\/([^/]+))?$/.exec(subpath);
  if (!m || httpMethod !== "GET") return null;
  let userId: string;
  let id: string | undefined;
  let attachmentId: string | undefined;
  try {
    userId = decodeURIComponent(m[1]!);
    id = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    attachmentId = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
  } catch {
    return null;
  }
  const resource = m[2]!;
  if (attachmentId !== undefined && (resource !== "messages" || id === undefined)) return null;
  const checkUser = () => {
    if (userId !== "me" && userId.toLowerCase() !== mailboxAddress(ctx.login).toLowerCase()) {
      const message = `Delegation denied for ${mailboxAddress(ctx.login)}`;
      throw new HttpError(403, googleError(403, "PERMISSION_DENIED", message, { reason: "forbidden" }));
    }
  };
  const q = ctx.url.searchParams;
  const mailbox = () => buildMailbox(ctx.scenario, ctx.changes, ctx.login);

  if (resource === "profile" && id === undefined) {
    return {
      method: "getProfile",
      handle: () => {
        checkUser();
        const mb = mailbox();
        const body: gmail_v1.Schema$Profile = { emailAddress: mailboxAddress(ctx.login), messagesTotal: messagesTotal(mb), threadsTotal: threadCount(mb.count), historyId: String(currentHistoryId(mb)) };
        return { body };
      },
    };
  }
  if (resource === "messages" && id === undefined) {
    return {
      method: "messages.list",
      handle: () => {
        checkUser();
        const maxResults = intParam(q, "maxResults", LIST_DEFAULT_PAGE, 1, LIST_MAX_PAGE);
        const includeSpamTrash = boolParam(q, "includeSpamTrash");
        // `q` and `labelIds` filters are accepted and ignored.
        const token = q.get("pageToken");
        let startIndex: number | undefined;
        if (token) {
          const decoded = decodePageToken(token, LIST_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          startIndex = decoded;
        }
        const page = listMailboxPage(mailbox(), { startIndex, maxResults, includeSpamTrash });
        // Gmail leaves `messages` out of an empty answer.
        const body: gmail_v1.Schema$ListMessagesResponse = page.ids.length ? { messages: page.ids } : {};
        if (page.next !== null) body.nextPageToken = encodePageToken(page.next, LIST_TOKEN_SALT);
        body.resultSizeEstimate = page.ids.length || page.next !== null ? page.estimate : 0;
        return { body, malformable: true };
      },
    };
  }
  if (resource === "messages" && id !== undefined && attachmentId !== undefined) {
    return {
      method: "messages.attachments.get",
      handle: () => {
        checkUser();
        const mb = mailbox();
        const { i, broken } = resolveMessage(mb, id, ctx.scenario);
        const f = currentFacts(mb, i);
        // item_errors: the message was deleted after messages.get, before its attachment was read.
        if (broken) throw notFound();
        const mp = /^ANGjdJ_[0-9a-f]{16}_([0-9_]+)_[0-9a-z]+$/.exec(attachmentId);
        const partId = mp?.[1]!.replace(/_/g, ".");
        const spec = partId === undefined ? undefined : attachmentPartsOf(f, broken).get(partId);
        if (!spec || attachmentIdOf(f.id, partId!, i, spec.size) !== attachmentId) throw invalidArgument("Invalid attachment token");
        const body: gmail_v1.Schema$MessagePartBody = attachmentBody(attachmentId, spec, i);
        return { body };
      },
    };
  }
  if (resource === "messages" && id !== undefined) {
    return {
      method: "messages.get",
      handle: () => {
        checkUser();
        const rawFormat = q.get("format") ?? "full";
        const format = rawFormat.toLowerCase() as MessageFormat;
        if (!FORMATS.includes(format)) {
          throw invalidArgument(
            rawFormat.toLowerCase() === "raw" ? "format=raw is not supported by the 2nd Brain sandbox" : `Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), "${rawFormat}"`,
          );
        }
        const mb = mailbox();
        const { i, broken } = resolveMessage(mb, id, ctx.scenario);
        const message = messageFromFacts(currentFacts(mb, i), {
          format,
          login: ctx.login,
          metadataHeaders: q.getAll("metadataHeaders"),
          broken,
          historyId: messageHistoryId(mb, i),
        });
        return { body: message, malformable: true };
      },
    };
  }
  if (resource === "history" && id === undefined) {
    return {
      method: "history.list",
      handle: () => {
        checkUser();
        const rawStart = q.get("startHistoryId");
        if (rawStart === null || rawStart === "") throw invalidArgument("Missing required parameter: startHistoryId");
        if (!/^\d{1,19}$/.test(rawStart)) throw invalidArgument("Invalid startHistoryId");
        const start = Number(rawStart);
        // Too old (or, under the expired_cursor fault, any): Gmail answers 404 and the client
        // must do a full sync. History ids below the empty mailbox's (999) never existed.
        if (ctx.scenario.fault === "expired_cursor" || start < mailboxHistoryId(0)) throw notFound();
        const types = q.getAll("historyTypes");
        for (const t of types) if (!HISTORY_TYPES.includes(t as HistoryType)) throw invalidArgument(`Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType), "${t}"`);
        const wanted = new Set<HistoryType>(types.length ? (types as HistoryType[]) : HISTORY_TYPES);
        const maxResults = intParam(q, "maxResults", HISTORY_DEFAULT_PAGE, 1, HISTORY_MAX_PAGE);
        const token = q.get("pageToken");
        let from = firstIndexAfter(start);
        if (token) {
          const decoded = decodePageToken(token, HISTORY_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          from = Math.max(from, decoded);
        }
        // `labelId` is accepted and ignored. Records are read by position (history id - 1000).
        const mb = mailbox();
        const end = historyLength(mb);
        const history: GmailHistory[] = [];
        let p = from;
        for (; p < end && history.length < maxResults; p++) {
          const record = historyRecord(mb, p, wanted);
          if (record) history.push(record);
        }
        const body: gmail_v1.Schema$ListHistoryResponse = {};
        if (history.length) body.history = history;
        if (p < end) body.nextPageToken = encodePageToken(p, HISTORY_TOKEN_SALT);
        body.historyId = String(currentHistoryId(mb));
        return { body };
      },
    };
  }
  return null;
}
