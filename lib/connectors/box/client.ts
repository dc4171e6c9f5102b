// The one place a BoxClient is made for the Box connector. The SDK keeps its API surface
// (managers, typed models, base URLs), but its network layer is replaced: every request goes
// through ctx.fetch (the engine's per-request timeout, retries, rate-limit waits and pacing),
// carries the run's AbortSignal, and the SDK's own retry loop is never used (it lives in the
// SDK's BoxNetworkClient, which this client replaces).
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { BoxClient, BoxDeveloperTokenAuth } from "box-typescript-sdk-gen";
import { BoxApiError, BoxSdkError } from "box-typescript-sdk-gen/lib/box/errors";
import { DataSanitizer } from "box-typescript-sdk-gen/lib/internal/logging.generated";
import { NetworkSession } from "box-typescript-sdk-gen/lib/networking/network.generated";
import type { FetchOptionsInput } from "box-typescript-sdk-gen/lib/networking/fetchOptions.generated";
import type { FetchResponse } from "box-typescript-sdk-gen/lib/networking/fetchResponse.generated";
import type { NetworkClient } from "box-typescript-sdk-gen/lib/networking/networkClient.generated";
import { jsonToSerializedData, sdToJson, sdToUrlParams, type SerializedData } from "box-typescript-sdk-gen/lib/serialization/json";
import { refreshOAuthToken } from "@/lib/connectors/kit/oauth-refresh";
import type { ConnectorCredentials, RefreshContext, SyncContext } from "@/lib/connectors/types";
import { SyncError } from "@/lib/contract";

const LIVE_API = "https://api.box.com";
const MAX_REDIRECTS = 5;
const USER_AGENT = "2nd-brain-sync (box-typescript-sdk-gen)";

/** A Box API answer with an error status, as the SDK reports it, plus `status` (what lib/sync/errors reads). */
export class BoxResponseError extends BoxApiError {
  readonly status: number;
  readonly code: string | undefined;

  constructor(fields: { status: number; code?: string; message: string; requestId?: string; method: string; url: string; headers: Record<string, string>; body?: SerializedData; rawBody: string }) {
    const info = {
      timestamp: `${Date.now()}`,
      // Request headers are left out on purpose: they hold the access token.
      requestInfo: { method: fields.method, url: fields.url, queryParams: {}, headers: {} },
      responseInfo: {
        statusCode: fields.status,
        headers: fields.headers,
        body: fields.body,
        rawBody: fields.rawBody,
        code: fields.code,
        requestId: fields.requestId,
      },
      dataSanitizer: new DataSanitizer({}),
    };
    super({ message: `${fields.status} ${fields.message}; Request ID: ${fields.requestId ?? "unknown"}`, ...info });
    // The SDK's compiled classes declare these as class fields, which re-initialise them to
    // undefined after its base constructor copied them in: set them again.
    Object.assign(this, info);
    this.name = "BoxResponseError";
    this.status = fields.status;
    this.code = fields.code;
    Object.setPrototypeOf(this, BoxResponseError.prototype);
  }
}

/**
 * GET /files/{id} or /folders/{id} with If-None-Match answered 304 Not Modified (Box's OpenAPI:
 * "Returns an empty response when the If-None-Match header matches the current etag value").
 */
export class BoxNotModified extends BoxSdkError {
  constructor(url: string) {
    super({ message: `304 Not Modified: ${url}` });
    this.name = "BoxNotModified";
    Object.setPrototypeOf(this, BoxNotModified.prototype);
  }
}

/**
 * GET /files/{id}/content answered 202: "the file is not ready to be downloaded yet", with
 * Retry-After "indicating the time in seconds after which the file will be available" (Box's
 * OpenAPI). The SDK would answer `undefined` and lose the header; this keeps it.
 */
export class BoxNotReady extends BoxSdkError {
  readonly retryAfterS: number;
  constructor(url: string, retryAfter: string | null) {
    super({ message: `202 Accepted (not ready, Retry-After ${retryAfter ?? "none"}): ${url}` });
    this.name = "BoxNotReady";
    const s = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : 1;
    this.retryAfterS = s;
    Object.setPrototypeOf(this, BoxNotReady.prototype);
  }
}

function withParams(url: string, params: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(params ?? {});
  if (entries.length === 0) return url;
  return `${url}${url.includes("?") ? (url.endsWith("?") || url.endsWith("&") ? "" : "&") : "?"}${new URLSearchParams(entries).toString()}`;
}

/**
 * Box stream positions are 64-bit integers, sent as bare JSON numbers; JSON.parse rounds the
 * ones above 2^53. Quote them before parsing so they survive exactly (the SDK accepts strings).
 */
export function parseBoxJson(text: string): SerializedData {
  return jsonToSerializedData(text.replace(/("next_stream_position"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g, '$1"$2"'));
}

function challengeDescription(header: string | null): string | undefined {
  if (!header) return undefined;
  return /error_description="([^"]*)"/.exec(header)?.[1] ?? /error="([^"]*)"/.exec(header)?.[1];
}

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function field(data: SerializedData, name: string): string | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const v = (data as Record<string, SerializedData>)[name];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

export interface BoxNetworkDeps {
  fetch: typeof fetch;
  /** The run's signal (a request's own cancellation token wins when given). */
  signal: AbortSignal;
  /** Read on every request, so a token the engine refreshed in place is used from then on. */
  accessToken: () => string;
}

/** The SDK's NetworkClient over ctx.fetch. */
export class CtxFetchNetworkClient implements NetworkClient {
  constructor(private readonly deps: BoxNetworkDeps) {}

  async fetch(options: FetchOptionsInput): Promise<FetchResponse> {
    if (options.multipartData || options.fileStream) {
      throw new BoxSdkError({ message: "Uploads are not supported by the 2nd Brain Box client" });
    }
    const method = (options.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = { "user-agent": USER_AGENT, ...(options.networkSession?.additionalHeaders ?? {}) };
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    let body: string | undefined;
    if (method !== "GET" && method !== "HEAD" && options.data !== undefined) {
      const type = options.contentType ?? "application/json";
      headers["content-type"] = type;
      body = type === "application/x-www-form-urlencoded" ? sdToUrlParams(options.data) : sdToJson(options.data);
    }
    const signal = options.cancellationToken ?? this.deps.signal;
    let url = withParams(options.url, options.params);
    let sendAuth = options.auth !== undefined;
    const origin = new URL(url).origin;

    for (let redirects = 0; ; redirects++) {
      const requestHeaders = { ...headers };
      if (sendAuth) requestHeaders.authorization = `Bearer ${this.deps.accessToken()}`;
      const res = await this.deps.fetch(url, { method, headers: requestHeaders, body, signal, redirect: "manual" });

      if (res.status === 304) {
        await res.body?.cancel().catch(() => undefined);
        throw new BoxNotModified(options.url);
      }
      if (res.status === 202 && options.responseFormat === "binary") {
        await res.body?.cancel().catch(() => undefined);
        throw new BoxNotReady(options.url, res.headers.get("retry-after"));
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && options.followRedirects !== false) {
        await res.body?.cancel().catch(() => undefined);
        if (!location) throw new BoxSdkError({ message: `Unable to follow redirect for ${options.url}` });
        if (redirects >= MAX_REDIRECTS) throw new BoxSdkError({ message: `Too many redirects for ${options.url}` });
        const next = new URL(location, url);
        // Like the SDK: the token goes only to Box's own origin, never to the download host.
        sendAuth = sendAuth && next.origin === origin;
        url = next.toString();
        body = undefined;
        continue;
      }

      const responseHeaders = headersOf(res);
      if (res.status >= 400) {
        const rawBody = await res.text().catch(() => "");
        let data: SerializedData;
        try {
          data = rawBody ? parseBoxJson(rawBody) : undefined;
        } catch {
          data = undefined;
        }
        throw new BoxResponseError({
          status: res.status,
          code: field(data, "code") ?? field(data, "error"),
          message:
            field(data, "message") ?? field(data, "error_description") ?? challengeDescription(res.headers.get("www-authenticate")) ?? res.statusText ?? "",
          requestId: field(data, "request_id") ?? res.headers.get("box-request-id") ?? undefined,
          method,
          url: options.url,
          headers: responseHeaders,
          body: data,
          rawBody,
        });
      }

      if (options.responseFormat === "binary" && res.body && res.status !== 202 && res.status !== 204) {
        return { url, status: res.status, headers: responseHeaders, content: Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>) };
      }
      const text = res.status === 204 ? "" : await res.text();
      let data: SerializedData;
      if (text && (res.headers.get("content-type") ?? "").includes("json")) {
        try {
          data = parseBoxJson(text);
        } catch {
          const path = new URL(options.url).pathname.replace(/^.*?(\/2\.0\/)/, "$1");
          throw new SyncError("malformed", `Box sent a malformed response for ${method} ${path}: broken JSON (${text.length} characters).`);
        }
      }
      return { url, status: res.status, headers: responseHeaders, data };
    }
  }
}

/** Base URLs: the real hosts in live mode, everything below the sandbox's root otherwise. */
export function boxBaseUrls(baseUrl: string): { baseUrl: string; uploadUrl: string; oauth2Url: string } {
  const root = baseUrl.replace(/\/+$/, "");
  if (root === LIVE_API) {
    return { baseUrl: LIVE_API, uploadUrl: "https://upload.box.com/api", oauth2Url: "https://account.box.com/api/oauth2" };
  }
  return { baseUrl: root, uploadUrl: `${root}/upload`, oauth2Url: `${root}/oauth2` };
}

export function makeBoxClient(ctx: Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal">): BoxClient {
  const networkClient = new CtxFetchNetworkClient({
    fetch: ctx.fetch,
    signal: ctx.signal,
    accessToken: () => ctx.credentials.accessToken,
  });
  return new BoxClient({
    auth: new BoxDeveloperTokenAuth({ token: ctx.credentials.accessToken }),
    networkSession: new NetworkSession({ networkClient }),
  }).withCustomBaseUrls(boxBaseUrls(ctx.baseUrl));
}

/** The HTTP status of a Box API error (ours or the SDK's), if it has one. */
export function boxErrorStatus(err: unknown): number | undefined {
  if (err instanceof BoxResponseError) return err.status;
  if (err instanceof BoxApiError) return (err.responseInfo as BoxApiError["responseInfo"] | undefined)?.statusCode;
  return undefined;
}

export function boxErrorCode(err: unknown): string | undefined {
  if (err instanceof BoxApiError) return (err.responseInfo as BoxApiError["responseInfo"] | undefined)?.code;
  return undefined;
}

// ---------------------------------------------------------------- reading answers

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

/** An answer Box sent that we could not read. */
export function malformed(what: string, err: unknown): SyncError {
  const detail = err instanceof Error ? `: ${err.message}` : "";
  return new SyncError("malformed", `Box sent ${what} we could not read${detail}`);
}

// ---------------------------------------------------------------- OAuth refresh

/** Trades the refresh token for a new access token (lib/connectors/kit/oauth-refresh.ts). */
export function refreshBoxToken(credentials: ConnectorCredentials, rctx: RefreshContext, now: () => number = Date.now): Promise<ConnectorCredentials> {
  return refreshOAuthToken(credentials, rctx, { issuer: "Box", product: "Box", rotates: true }, now);
}
