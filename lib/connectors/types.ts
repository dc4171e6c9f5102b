// One interface every provider implements (lib/connectors/<provider>/connector.ts).
import type { ConnectorType } from "@/lib/contract";

/** A provider item mapped to our domain, ready to upsert. */
export interface DocumentInput {
  externalId: string;
  kind: "email" | "message" | "file" | "issue" | "pull_request";
  title: string;
  text: string;
  url?: string;
  author?: string;
  metadata?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** An item the provider listed but we could not turn into a document. */
export interface ItemFailure {
  externalId: string;
  title?: string;
  /** What happened and what to do, in a person's words (the failure list, the email). */
  reason: string;
  /** The technical side (schema reason, status code): the server log and a "Details" disclosure. */
  detail?: string;
}

/**
 * A page of work: written in one go, then `checkpoint` is saved so a resumed run continues after it.
 * `documents` are items as the provider has them now (new or changed ones are stored, an edited
 * item is updated in place by its external id); `removed` are external ids the provider reported
 * gone (deleted, trashed, no longer readable): they leave the library and the search index in the
 * same transaction as the rest of the page.
 */
export interface SyncPage {
  documents: DocumentInput[];
  failures: ItemFailure[];
  removed?: string[];
  checkpoint: unknown;
  /** Words for the progress line, e.g. "Issue: Fix login" (label per document, same order). */
  labels?: string[];
}

export interface ConnectorCredentials {
  accessToken: string;
  refreshToken?: string;
  /** ISO time the access token expires, when the provider says. */
  expiresAt?: string;
}

export interface ProgressReporter {
  /** Human words for what is happening now ("Listing repositories…"). */
  stage(words: string): void;
  /** The true number of items this run will handle, once known (0 = unknown). */
  total(n: number): void;
  /** Which phase the run is in: fetching (`syncing`) or a separate extraction phase (`parsing`). */
  phase(status: "syncing" | "parsing"): void;
  /**
   * A limit stopped the run short of everything ("Stopped at 200 channels (SLACK_MAX_CHANNELS)").
   * The run still completes; the stage, the summary and the email say this.
   */
  capped(note: string): void;
}

/** Caps from the settings (lib/env.ts), never silent: hitting one calls `progress.capped`. */
export interface SyncLimits {
  /** Pages of a provider listing (Gmail message ids, Box folder items…). */
  maxPages: number;
  maxChannels: number;
  maxMessagesPerChannel: number;
  maxFolders: number;
}

export interface SyncContext {
  /** Aborts on cancel, stall, or the whole-run timeout. */
  signal: AbortSignal;
  /** Every provider request goes through this: per-request timeout, retries, rate-limit waits. */
  fetch: typeof fetch;
  baseUrl: string;
  credentials: ConnectorCredentials;
  /** Change-feed position saved by the last complete run (null: first run, sync everything). */
  cursor: unknown;
  /** Where an interrupted run of this sync stopped (null: start from the beginning). */
  checkpoint: unknown;
  progress: ProgressReporter;
  limits: SyncLimits;
}

/** What `refresh` may use: the token endpoint (a sandbox's in sandbox mode) and a bounded fetch. */
export interface RefreshContext {
  fetch: typeof fetch;
  signal: AbortSignal;
  /** The provider's OAuth token endpoint (the sandbox's in sandbox mode). */
  tokenUrl: string;
  clientId?: string;
  clientSecret?: string;
}

/** One sliding-window quota a request counts against (e.g. Slack's conversations.replies, 50/min). */
export interface QuotaWindow {
  /** Requests with the same key share the window (a method name, "api"…). */
  key: string;
  /** Requests allowed in any window. */
  limit: number;
  windowMs: number;
}

/**
 * The provider's published request quota, per account. The engine paces every request
 * before the provider has to refuse anything: through a token bucket sized from it (capacity,
 * refillPerSecond, cost) and/or through the sliding windows a request counts against (per
 * method or path, e.g. Slack's tiers), and never with more than maxConcurrency in flight.
 */
export interface QuotaSpec {
  /** Units the bucket holds (the burst allowed). Absent: no token bucket. */
  capacity?: number;
  /** Units added per second. */
  refillPerSecond?: number;
  /** Units one request costs (e.g. Gmail messages.get = 5). */
  cost?(url: URL, method: string): number;
  /** The sliding windows this request counts against (none: not limited by a window). */
  windows?(url: URL, method: string): readonly QuotaWindow[];
  /** Requests in flight at once, at most. */
  maxConcurrency: number;
}

export interface ConnectResult {
  accountLabel: string;
}

export interface Connector<T extends string = ConnectorType> {
  readonly type: T;
  /** Pacing per account; absent: no pacing beyond the provider's own answers. */
  readonly quota?: QuotaSpec;
  /** Checks the credentials with one cheap call. */
  connect(ctx: SyncContext): Promise<ConnectResult>;
  /** Yields pages until done; returns the cursor the next run starts from. */
  sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: unknown }, void>;
  /**
   * Trades the refresh token for a new access token (and, where the provider rotates it,
   * a new refresh token). Throws SyncError("auth", …) when the provider refuses. The engine
   * calls it once when the provider answers 401, stores the result before using it, and
   * retries the request. Absent: a 401 ends the run asking to reconnect.
   */
  refresh?(credentials: ConnectorCredentials, ctx: RefreshContext): Promise<ConnectorCredentials>;
}
