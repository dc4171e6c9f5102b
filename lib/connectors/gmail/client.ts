// The one place a Gmail API client is made for the Gmail connector.
//
// - Every request goes through ctx.fetch (the engine's: timeouts, retries, rate-limit waits,
//   401 -> refresh): gaxios takes it as `fetchImplementation`. Without it gaxios would use its
//   own node-fetch and bypass the engine entirely.
// - gaxios' own retries are off (`retry: false`): the engine retries, not the SDK.
// - `rootUrl` is passed with every call, not only when the client is made: googleapis-common
//   rewrites a client-level rootUrl with `new URL(<absolute path>, rootUrl)`, which drops any
//   path in it, so `<origin>/sandbox/gmail/` would silently become `<origin>/`.
// - Auth is an OAuth2Client that only ever puts "Authorization: Bearer <token>" on a request,
//   reading ctx.credentials.accessToken each time (the engine updates it in place after a
//   refresh). It holds no refresh token, so it never refreshes or retries by itself, and it skips
//   google-auth-library's request/response interceptors, whose debug logging would print headers.
import { gmail, type gmail_v1 } from "@googleapis/gmail";
import { OAuth2Client } from "google-auth-library";
import type { SyncContext } from "@/lib/connectors/types";
import { refreshOAuthToken } from "@/lib/connectors/kit/oauth-refresh";
import type { ConnectorCredentials, RefreshContext } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";
import { isObject } from "./types";

export type GmailClientContext = Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal">;

/** An OAuth2Client that sends the current access token and does nothing else. */
class AccessTokenClient extends OAuth2Client {
  constructor(private readonly token: () => string) {
    super({ useAuthRequestParameters: false });
  }

  protected override async getRequestMetadataAsync(): Promise<{ headers: Headers }> {
    return { headers: new Headers({ authorization: `Bearer ${this.token()}` }) };
  }
}

/** `<base>/`: what the SDK calls rootUrl ("https://gmail.googleapis.com/" live). */
export function gmailRootUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/`;
}

export interface GmailApi {
  getProfile(signal?: AbortSignal): Promise<gmail_v1.Schema$Profile>;
  listMessages(params: { pageToken?: string; maxResults: number }, signal?: AbortSignal): Promise<gmail_v1.Schema$ListMessagesResponse>;
  getMessage(id: string, signal?: AbortSignal): Promise<gmail_v1.Schema$Message>;
  listHistory(
    params: { startHistoryId: string; pageToken?: string; maxResults: number },
    signal?: AbortSignal,
  ): Promise<gmail_v1.Schema$ListHistoryResponse>;
  /** users.messages.attachments.get: a MessagePartBody { attachmentId?, size, data (base64url) }. */
  getAttachment(messageId: string, attachmentId: string, signal?: AbortSignal): Promise<gmail_v1.Schema$MessagePartBody>;
}

/**
 * The history the connector reads: new messages, deleted ones, and label changes (a move to Trash
 * or Spam is a label added: HistoryLabelAdded; out of them again, a label removed).
 */
export const GMAIL_HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"];

/** An answer that is not the JSON object it should be (gaxios hands over unparseable text as a string). */
export function malformedResponse(what: string, data: unknown): SyncError {
  const got = typeof data === "string" ? `${data.length} characters of unparseable text` : data === null ? "null" : Array.isArray(data) ? "an array" : typeof data;
  return new SyncError("malformed", `Gmail sent a malformed response for ${what}: expected a JSON object, got ${got}`);
}

function objectOrThrow<T>(data: unknown, what: string): T {
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw malformedResponse(what, data);
  return data as T;
}

export function makeGmailApi(ctx: GmailClientContext): GmailApi {
  const rootUrl = gmailRootUrl(ctx.baseUrl);
  const api = gmail({
    version: "v1",
    rootUrl,
    auth: new AccessTokenClient(() => ctx.credentials.accessToken),
    fetchImplementation: ctx.fetch,
    retry: false,
    http2: false,
    signal: ctx.signal,
  });
  const opts = (signal?: AbortSignal) => ({ rootUrl, signal: signal ?? ctx.signal, fetchImplementation: ctx.fetch, retry: false });

  return {
    async getProfile(signal) {
      const res = await api.users.getProfile({ userId: "me" }, opts(signal));
      return objectOrThrow(res.data, "the mailbox profile");
    },
    async listMessages(params, signal) {
      const res = await api.users.messages.list(
        { userId: "me", maxResults: params.maxResults, includeSpamTrash: false, ...(params.pageToken ? { pageToken: params.pageToken } : {}) },
        opts(signal),
      );
      return objectOrThrow(res.data, "the message list");
    },
    async getMessage(id, signal) {
      const res = await api.users.messages.get({ userId: "me", id, format: "full" }, opts(signal));
      return objectOrThrow(res.data, `email ${id}`);
    },
    async listHistory(params, signal) {
      const res = await api.users.history.list(
        {
          userId: "me",
          startHistoryId: params.startHistoryId,
          historyTypes: GMAIL_HISTORY_TYPES,
          maxResults: params.maxResults,
          ...(params.pageToken ? { pageToken: params.pageToken } : {}),
        },
        opts(signal),
      );
      return objectOrThrow(res.data, "the mailbox history");
    },
    async getAttachment(messageId, attachmentId, signal) {
      const res = await api.users.messages.attachments.get({ userId: "me", messageId, id: attachmentId }, opts(signal));
      return objectOrThrow(res.data, `an attachment of email ${messageId}`);
    },
  };
}

// ---------------------------------------------------------------- errors


export function statusOf(err: unknown): number | undefined {
  if (!isObject(err)) return undefined;
  if (typeof err.status === "number") return err.status;
  const res = err.response;
  return isObject(res) && typeof res.status === "number" ? res.status : undefined;
}

function googleReason(err: unknown): string | undefined {
  const data = isObject(err) && isObject(err.response) ? err.response.data : undefined;
  const e = isObject(data) && isObject(data.error) ? data.error : undefined;
  const first = e && Array.isArray(e.errors) ? e.errors[0] : undefined;
  return isObject(first) && typeof first.reason === "string" ? first.reason : undefined;
}

/**
 * Errors the engine cannot read on its own get words here. A rate-limit answer reaches us only
 * when the engine chose not to wait (Gmail's 403 userRateLimitExceeded often has no Retry-After):
 * without this, a 403 would read as "refused access, reconnect".
 */
export function explainGmailError(err: unknown): unknown {
  const status = statusOf(err);
  const reason = googleReason(err);
  if (status === 429 || (status === 403 && (reason === "rateLimitExceeded" || reason === "userRateLimitExceeded"))) {
    return new SyncError("rate_limit", "Gmail's per-user rate limit was exceeded; try again in a few minutes.", status);
  }
  return err;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;

// ---------------------------------------------------------------- OAuth refresh


/** Trades the refresh token for a new access token (lib/connectors/kit/oauth-refresh.ts). */
export function refreshGoogleToken(credentials: ConnectorCredentials, rctx: RefreshContext, now: () => number = Date.now): Promise<ConnectorCredentials> {
  return refreshOAuthToken(credentials, rctx, { issuer: "Google", product: "Gmail", rotates: false }, now);
}
