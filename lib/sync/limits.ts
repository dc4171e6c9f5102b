// The bounds of a run, from the settings (lib/env.ts).
import { env } from "@/lib/env";
import type { SyncLimits } from "@/lib/connectors/types";

export interface RunLimits {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  stallTimeoutMs: number;
  runTimeoutMs: number;
  maxRateLimitWaitMs: number;
  maxAttempts: number;
  heartbeatMs: number;
}

/** How long a run may go without a heartbeat before another process takes it over. */
export function staleAfterMs(): number {
  return env().SYNC_STALE_AFTER_S * 1000;
}

export function limitsFromEnv(): RunLimits {
  const e = env();
  return {
    connectTimeoutMs: e.SYNC_CONNECT_TIMEOUT_S * 1000,
    requestTimeoutMs: e.SYNC_REQUEST_TIMEOUT_S * 1000,
    stallTimeoutMs: e.SYNC_STALL_TIMEOUT_S * 1000,
    runTimeoutMs: e.SYNC_TIMEOUT_S * 1000,
    maxRateLimitWaitMs: e.SYNC_MAX_RATE_LIMIT_WAIT_S * 1000,
    maxAttempts: e.SYNC_MAX_ATTEMPTS,
    // Several beats fit in the stale window, so one slow write never looks like a death.
    heartbeatMs: Math.min(5000, Math.floor(staleAfterMs() / 3)),
  };
}

/** The caps a connector honours (never silently: it reports each through progress.capped). */
export function limitsForConnector(): SyncLimits {
  const e = env();
  return {
    maxPages: e.SYNC_MAX_PAGES,
    maxChannels: e.SLACK_MAX_CHANNELS,
    maxMessagesPerChannel: e.SLACK_MAX_MESSAGES_PER_CHANNEL,
    maxFolders: e.BOX_MAX_FOLDERS,
  };
}

/** Thrown into the run's signal when the process is shutting down: leave the run resumable. */
export class ShutdownSignal extends Error {
  constructor() {
    super("shutting down");
  }
}

/**
 * Thrown into the run's signal when a serverless slice must end now, before the platform's
 * maxDuration cuts the invocation: the run waits at its last checkpoint for the next slice.
 */
export class SliceEndSignal extends Error {
  constructor() {
    super("slice over");
  }
}
