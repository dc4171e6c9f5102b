// Serverless execution (SYNC_EXECUTION=serverless; Vercel and hosts like it): no process of
// ours is alive between requests, and an instance is frozen whenever it serves none. A run
// advances only inside invocations the platform makes:
//   1. The Sync route registers the first slice with `after()` (the platform's waitUntil keeps
//      the invocation alive until it settles, within the route's maxDuration).
//   2. A slice claims the run (a new epoch: lib/sync/fence.ts), executes until SYNC_SLICE_S,
//      writes its checkpoint, lets go, and starts the next slice with a signed POST to
//      APP_URL/api/internal/sync-runs/advance, which answers 202 at once and runs the slice in
//      its own `after()`: each slice is a new invocation, on whichever instance the platform picks.
//   3. If a chain breaks (an instance killed or frozen mid-slice, a continuation request lost),
//      the platform's cron (GET /api/cron/sync-sweep, vercel.json) finds the run by its stale
//      heartbeat and starts it again; the takeover's new epoch fences out the old invocation,
//      should it ever wake up.
// No scheduler of our own: the platform invokes, the database decides who owns a run.
import { logger } from "@/lib/platform/logger";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { after } from "next/server";
import { env, internalOrigin } from "@/lib/env";
import { appSecret } from "@/lib/secret";
import { deliverDueMail } from "@/lib/notify/sender";
import { attemptRun } from "@/lib/sync/attempt";
import { SliceEndSignal, isTransientDbError, staleAfterMs } from "@/lib/sync/engine";
import { MemorySlots, RedisSlots, type RunSlots } from "@/lib/sync/slots";
import { sweepStaleRuns } from "@/lib/sync/sweep";

export const ADVANCE_PATH = "/api/internal/sync-runs/advance";
/** Default slice on a serverless host: fits Vercel's 300 s default maxDuration with room to spare. */
const DEFAULT_SLICE_S = 240;
/** Longest wait a continuation request may ask for; longer waits are the cron's. */
const MAX_KICK_DELAY_MS = 10_000;
const SIGNATURE_HEADER = "x-sync-signature";

/** The pid is in the id, so an operator (or the emulation harness) can tell which instance runs a run. */
const workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
/** Runs executing in this instance: a second invocation for one of them leaves it alone. */
const executing = new Set<string>();
let slotStore: RunSlots | undefined;

function slots(): RunSlots {
  slotStore ??= env().REDIS_URL ? new RedisSlots(staleAfterMs()) : new MemorySlots();
  return slotStore;
}

export function sliceMs(): number {
  return (env().SYNC_SLICE_S ?? DEFAULT_SLICE_S) * 1000;
}

/**
 * A slice stops at its first checkpoint after sliceMs; one stuck on a long page (a rate-limit
 * wait, a slow provider) is stopped at this point at the latest, keeping its last checkpoint,
 * before the platform's maxDuration cuts the invocation.
 */
export function hardStopMs(slice = sliceMs()): number {
  return slice + Math.min(30_000, slice / 2);
}

/** Registers a slice of the run as work of the current invocation (inside a route handler). */
export function scheduleSlice(runId: string, continuation = false, delayMs = 0): void {
  after(() => runSlice(runId, continuation, delayMs));
}

async function runSlice(runId: string, continuation: boolean, delayMs: number): Promise<void> {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, Math.min(delayMs, MAX_KICK_DELAY_MS)));
  if (executing.has(runId)) return;
  executing.add(runId);
  const stop = new AbortController();
  const slice = sliceMs();
  const hardStop = setTimeout(() => stop.abort(new SliceEndSignal()), hardStopMs(slice));
  try {
    const result = await attemptRun(runId, { workerId, slots: slots(), stop: stop.signal, continuation, sliceMs: slice });
    if (result.kind === "again" && result.delayMs <= MAX_KICK_DELAY_MS) await kick(runId, result.continuation, result.delayMs);
    // Someone alive has the run ("again" with a long delay): it continues it; if it dies, the cron.
  } catch (error) {
    if (isTransientDbError(error)) {
      logger.child({ run_id: runId }).warn(`[sync] run ${runId}: database busy or unavailable; next slice in 2 s`);
      await kick(runId, continuation, 2000);
    } else logger.child({ run_id: runId }).error({ err: error }, `[sync] run ${runId}: slice failed`);
  } finally {
    clearTimeout(hardStop);
    executing.delete(runId);
  }
  // No timer runs once this invocation ends: send the run's email (if it just ended) now.
  await deliverDueMail();
}

// ---------------------------------------------------------------- continuation requests

interface Continuation {
  run_id: string;
  continuation: boolean;
  delay_ms: number;
  /** Milliseconds since the epoch after which the request is refused (no replays later on). */
  exp: number;
}

function sign(body: string): string {
  return createHmac("sha256", `${appSecret()}:sync-continuation`).update(body).digest("base64url");
}

/** Starts the run's next slice in a new invocation. Failure is logged: the cron recovers the run. */
export async function kick(runId: string, continuation: boolean, delayMs = 0): Promise<boolean> {
  const body = JSON.stringify({ run_id: runId, continuation, delay_ms: Math.max(0, Math.round(delayMs)), exp: Date.now() + 60_000 } satisfies Continuation);
  const headers: Record<string, string> = { "content-type": "application/json", [SIGNATURE_HEADER]: sign(body) };
  const bypass = env().VERCEL_AUTOMATION_BYPASS_SECRET;
  if (bypass) headers["x-vercel-protection-bypass"] = bypass;
  try {
    const res = await fetch(`${internalOrigin()}${ADVANCE_PATH}`, { method: "POST", headers, body, signal: AbortSignal.timeout(15_000) });
    if (res.status === 202) return true;
    logger.child({ run_id: runId }).error(`[sync] run ${runId}: continuation request answered ${res.status}; the cron sweep will pick the run up`);
  } catch (error) {
    logger.child({ run_id: runId }).error(`[sync] run ${runId}: continuation request failed (${(error as Error).message}); the cron sweep will pick the run up`);
  }
  return false;
}

/** Checks a continuation request; the run id and its options, or null (not ours, tampered, expired). */
export function verifyContinuation(body: string, signature: string | null): Continuation | null {
  if (!signature) return null;
  const expected = Buffer.from(sign(body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const c = JSON.parse(body) as Continuation;
    if (typeof c.run_id !== "string" || typeof c.exp !== "number" || c.exp < Date.now()) return null;
    return { run_id: c.run_id, continuation: c.continuation === true, delay_ms: Math.min(MAX_KICK_DELAY_MS, Math.max(0, Number(c.delay_ms) || 0)), exp: c.exp };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the cron sweep

export interface SweepResult {
  /** Runs whose chain broke, started again (each in an invocation of its own) or ended. */
  restarted: number;
}

/**
 * The cron's work: runs nobody advances get a new slice, each in an invocation of its own
 * (lib/sync/sweep.ts releases them with a new epoch first, and ends a run that keeps dying);
 * then due email is sent.
 */
export async function sweepServerless(limit = 100): Promise<SweepResult> {
  const restarted = await sweepStaleRuns((id) => kick(id, false), { limit });
  await deliverDueMail();
  return { restarted };
}

/** Whether the request carries the platform cron's bearer token. */
export function isCronRequest(authorization: string | null): boolean {
  const secret = env().CRON_SECRET;
  if (!secret || !authorization) return false;
  const expected = Buffer.from(`Bearer ${secret}`);
  const given = Buffer.from(authorization);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
