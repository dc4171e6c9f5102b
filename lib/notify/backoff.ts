// When to try an email again after a failed send: exponential, with jitter, capped.

export const RETRY_CAP_MS = 30 * 60_000;

/**
 * Delay before attempt `failedAttempts + 1`, given `failedAttempts` (>= 1) failures so far:
 * base, 2·base, 4·base … capped at 30 min (base 30 s: 30 s, 1 min, 2 min, 4 min …), each
 * spread ±20 % so mails that failed together do not all retry in the same instant.
 */
export function retryDelayMs(failedAttempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, failedAttempts - 1), 30);
  const nominal = Math.min(RETRY_CAP_MS, baseMs * 2 ** exponent);
  return Math.min(RETRY_CAP_MS, Math.round(nominal * (0.8 + 0.4 * random())));
}
