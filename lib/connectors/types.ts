// One interface every provider implements (lib/connectors/<provider>/connector.ts).
import type { ConnectorType } from "@/lib/sync/types";

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
  reason: string;
}

/** A page of work: written in one go, then `checkpoint` is saved so a resumed run continues after it. */
export interface SyncPage {
  documents: DocumentInput[];
  failures: ItemFailure[];
  checkpoint: unknown;
  /** Words for the progress line, e.g. "Issue: Fix login" (label per document, same order). */
  labels?: string[];
}

export interface ConnectorCredentials {
  accessToken: string;
  refreshToken?: string;
}

export interface ProgressReporter {
  /** Human words for what is happening now ("Listing repositories…"). */
  stage(words: string): void;
  /** The true number of items this run will handle, once known (0 = unknown). */
  total(n: number): void;
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
}

export interface ConnectResult {
  accountLabel: string;
}

export interface Connector {
  readonly type: ConnectorType;
  /** Checks the credentials with one cheap call. */
  connect(ctx: SyncContext): Promise<ConnectResult>;
  /** Yields pages until done; returns the cursor the next run starts from. */
  sync(ctx: SyncContext): AsyncGenerator<SyncPage, { cursor: unknown }, void>;
}
