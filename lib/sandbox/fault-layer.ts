// The fault-and-quota layer all four provider sandboxes sit behind: per-provider state (one per
// process, lib/platform/singleton.ts), the scenario's faults (hang, slow/latency, expired_token, server_error, malformed)
// and the quota limiters (./quota.ts). A provider says how it answers each fault, in its own
// error bodies and headers; the layer decides when.
import type { SandboxScenario } from "@/lib/contract";
import { sleep } from "@/lib/sandbox/sleep";
import { processSingleton } from "@/lib/platform/singleton";

export type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

/** `hang`: how long a request waits before the provider's gateway gives up. */
export const HANG_CAP_MS = 10 * 60_000;
/** `slow`: at least this long, or ten times latency_ms. */
export const SLOW_MIN_MS = 1_500;
const MAX_BUCKETS = 10_000;

export function latencyOf(scenario: SandboxScenario): number {
  return scenario.fault === "slow" ? Math.max(scenario.latency_ms * 10, SLOW_MIN_MS) : scenario.latency_ms;
}

// ---------------------------------------------------------------- shared state (one per process)

export interface ProviderState {
  /** Quota buckets by key. Map order = least recently used first; bounded. */
  buckets: Map<string, unknown>;
  /** Requests served so far (request ids, alternating 5xx answers). */
  requestSeq: number;
}

/** Next.js can load a module more than once; the quota state must still be one per provider. */
export function providerState(provider: string): ProviderState {
  return processSingleton<ProviderState>(`sandbox.${provider}.state`, () => ({ buckets: new Map(), requestSeq: 0 }));
}

/** The bucket under `key` (a fresh one when missing or `stale`), marked most recently used. */
export function touchBucket<T>(state: ProviderState, key: string, fresh: () => T, stale: (b: T) => boolean = () => false): T {
  const { buckets } = state;
  let bucket = buckets.get(key) as T | undefined;
  if (bucket !== undefined) buckets.delete(key);
  if (bucket === undefined || stale(bucket)) bucket = fresh();
  buckets.set(key, bucket);
  while (buckets.size > MAX_BUCKETS) {
    const oldest = buckets.keys().next();
    if (oldest.done) break;
    buckets.delete(oldest.value);
  }
  return bucket;
}

// ---------------------------------------------------------------- faults

/** How a provider answers each fault the layer serves. */
export interface FaultAnswers {
  /** `hang` ran into the gateway timeout. */
  timeout(): Response;
  /** The client went away while the request waited. */
  gone(): Response;
  /** `server_error`. */
  serverError(): Response;
  /** `expired_token`, where the provider refuses the token itself; without it the auth expires the tokens. */
  expiredToken?(): Response;
}

/**
 * hang, latency (slow), expired_token and server_error, in that order: the answer when the
 * request ends here, else null. Without a scenario (no valid token) it only notices an abort.
 */
export async function passFaults(scenario: SandboxScenario | undefined, signal: AbortSignal, answers: FaultAnswers): Promise<Response | null> {
  if (scenario?.fault === "hang") return (await sleep(HANG_CAP_MS, signal)) ? answers.timeout() : answers.gone();
  if (!(await sleep(scenario ? latencyOf(scenario) : 0, signal))) return answers.gone();
  if (!scenario) return null;
  if (scenario.fault === "expired_token" && answers.expiredToken) return answers.expiredToken();
  if (scenario.fault === "server_error") return answers.serverError();
  return null;
}

/** `malformed`: a body the fault applies to is cut in half. */
export function malformedBody(full: string, scenario: SandboxScenario, applies: boolean | undefined): string {
  return scenario.fault === "malformed" && applies ? full.slice(0, Math.max(1, Math.floor(full.length / 2))) : full;
}

/** Seconds for a Retry-After header: at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The `Authorization: Bearer <token>` (or `<scheme> <token>` for one of `schemes`) token; null when absent or unreadable. */
export function bearerToken(req: Request, schemes = "bearer"): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const m = new RegExp(`^\\s*(?:${schemes})\\s+(\\S+)\\s*$`, "i").exec(header);
  return m?.[1] ?? null;
}
