// Our own database briefly unavailable or saturated (pool or transaction wait exceeded,
// connections terminated) is not the provider's fault and not the end of the run: the write is
// made again after a pause. A page's transaction is all-or-nothing and rewriting it is an
// idempotent upsert, so a retry after a commit whose answer was lost is harmless.
import { logger } from "@/lib/platform/logger";
const DB_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

export function isTransientDbError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === "string" && ["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2034", "ECONNRESET", "ECONNREFUSED", "57P01", "57P03", "53300", "08006", "08003", "SQLITE_BUSY"].includes(e.code)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  if (/timeout exceeded when trying to connect|Connection terminated|terminating connection|Unable to start a transaction|database is locked|connection (?:is )?closed|not queryable|connection error/i.test(message)) return true;
  return e.cause !== undefined && e.cause !== error && isTransientDbError(e.cause);
}

/** `write`, made again over transient database trouble; `busy` marks the wait (the stall watchdog ignores it). */
export async function withDbRetry<T>(write: () => Promise<T>, signal: AbortSignal, busy: () => () => void): Promise<T> {
  const done = busy();
  try {
    return await retryDb(write, signal);
  } finally {
    done();
  }
}

async function retryDb<T>(write: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const delay = DB_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || signal.aborted || !isTransientDbError(error)) throw error;
      logger.warn(`[sync] database busy or unavailable (${(error as Error).message?.split("\n").at(-1)?.slice(0, 120)}); trying again in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      if (signal.aborted) throw signal.reason;
    }
  }
}
