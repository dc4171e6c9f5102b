// OPTIMIZE_FOR: the V8 flags of the app's long-running processes (`npm start`'s server and
// `npm run worker`). `memory` (default): --optimize-for-size, so V8 collects before the heap
// grows far past what is live (measured: a web instance with 1,000 open streams ~260 MB
// instead of ~350; a 100,000-message Gmail sync's peak the same as a 10,000-message one's);
// `speed`: V8's defaults (its heap may grow to about four times what is live between full
// collections, for less CPU on allocation-heavy work).
export const OPTIMIZE_FOR_VALUES = ["memory", "speed"];

/** The node flags for `env.OPTIMIZE_FOR`; throws with the setting's name on a bad value. */
export function nodeFlags(env = process.env) {
  const value = env.OPTIMIZE_FOR || "memory";
  if (!OPTIMIZE_FOR_VALUES.includes(value)) throw new Error(`OPTIMIZE_FOR must be "memory" or "speed" (got "${value}")`);
  return value === "memory" ? ["--optimize-for-size"] : [];
}
