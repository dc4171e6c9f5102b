// The Gmail API's routes (users.getProfile, messages.list/get, history.list): which quota method
// a request is, and its answer from the generated mailbox.
import type { SandboxScenario } from "@/lib/contract";
import {
  HISTORY_DEFAULT_PAGE,
  HISTORY_MAX_PAGE,
  HISTORY_TOKEN_SALT,
  LIST_DEFAULT_PAGE,
  LIST_MAX_PAGE,
  LIST_TOKEN_SALT,
  brokenKindOf,
  decodePageToken,
  isBrokenMessage,
  isWellFormedId,
  listHistoryPage,
  listMessagesPage,
  mailboxAddress,
  mailboxHistoryId,
  makeMessage,
  makeProfile,
  messageIndexOf,
  type MessageFormat,
} from "./data";
import { HttpError, googleError, invalidArgument, notFound } from "./errors";
import type { Method } from "./quota";

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
const HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"];

export interface RouteCtx {
  url: URL;
  login: string;
  scenario: SandboxScenario;
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

export function matchRoute(httpMethod: string, subpath: string, ctx: RouteCtx): Route | null {
  const m = /^\/gmail\/v1\/users\/([^/]+)\/(profile|messages|history)(?:\/([^/]+))?$/.exec(subpath);
  if (!m || httpMethod !== "GET") return null;
  let userId: string;
  let id: string | undefined;
  try {
    userId = decodeURIComponent(m[1]!);
    id = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
  } catch {
    return null;
  }
  const resource = m[2]!;
  const checkUser = () => {
    if (userId !== "me" && userId.toLowerCase() !== mailboxAddress(ctx.login).toLowerCase()) {
      const message = `Delegation denied for ${mailboxAddress(ctx.login)}`;
      throw new HttpError(403, googleError(403, "PERMISSION_DENIED", message, { reason: "forbidden" }));
    }
  };
  const q = ctx.url.searchParams;
  const items = ctx.scenario.items;

  if (resource === "profile" && id === undefined) {
    return { method: "getProfile", handle: () => (checkUser(), { body: makeProfile(items, ctx.login) }) };
  }
  if (resource === "messages" && id === undefined) {
    return {
      method: "messages.list",
      handle: () => {
        checkUser();
        const maxResults = intParam(q, "maxResults", LIST_DEFAULT_PAGE, 1, LIST_MAX_PAGE);
        boolParam(q, "includeSpamTrash"); // validated; the sandbox has no spam or trash
        // `q` and `labelIds` filters are accepted and ignored.
        const token = q.get("pageToken");
        let startIndex: number | undefined;
        if (token) {
          const decoded = decodePageToken(token, LIST_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          startIndex = decoded;
        }
        return { body: listMessagesPage(items, { startIndex, maxResults }), malformable: true };
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
        if (!isWellFormedId(id)) throw invalidArgument("Invalid id value");
        const i = messageIndexOf(id);
        if (i < 0 || i >= items) throw notFound();
        const broken = ctx.scenario.fault === "item_errors" && isBrokenMessage(i);
        if (broken && brokenKindOf(i) === "deleted") throw notFound();
        const message = makeMessage(i, { format, login: ctx.login, metadataHeaders: q.getAll("metadataHeaders"), broken });
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
        for (const t of types) if (!HISTORY_TYPES.includes(t)) throw invalidArgument(`Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType), "${t}"`);
        const maxResults = intParam(q, "maxResults", HISTORY_DEFAULT_PAGE, 1, HISTORY_MAX_PAGE);
        const token = q.get("pageToken");
        let startIndex: number | undefined;
        if (token) {
          const decoded = decodePageToken(token, HISTORY_TOKEN_SALT);
          if (decoded === null) throw invalidArgument("Invalid pageToken");
          startIndex = decoded;
        }
        // `labelId` is accepted and ignored. Only messageAdded records exist in the sandbox.
        const includeAdded = types.length === 0 || types.includes("messageAdded");
        return { body: listHistoryPage(items, { startHistoryId: start, startIndex, maxResults, includeAdded, login: ctx.login }) };
      },
    };
  }
  return null;
}
