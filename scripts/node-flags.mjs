// OPTIMIZE_FOR: the V8 trade-off of the app's long-running processes.
//   memory: --optimize-for-size; V8 collects before the heap grows far past what is live
//           (measured: a web instance with 1,000 open streams ~270 MB instead of ~350; a
//           100,000-message Gmail sync's peak the same as a 10,000-message one's instead of
//           up to 1.5x), for more CPU and longer pauses on allocation-heavy work.
//   speed:  V8's defaults (the heap may grow to about four times what is live between full
//           collections).
// Unset: `memory` for `npm start`'s server (its work is holding pages and streams open, and in
// the embedded mode the syncs too), `speed` for `npm run worker` (syncing is allocation-heavy:
// with --optimize-for-size a busy worker paused long enough to hold progress events back
// 70-140 ms, against under 35 ms with V8's defaults).
export const OPTIMIZE_FOR_VALUES = ["memory", "speed"];
const DEFAULTS = { server: "memory", worker: "speed" };

/** The node flags for `env.OPTIMIZE_FOR` in a process of `role`; throws with the setting's name on a bad value. */
export function nodeFlags(env = process.env, role = "server") {
  const value = env.OPTIMIZE_FOR || DEFAULTS[role];
  if (!OPTIMIZE_FOR_VALUES.includes(value)) throw new Error(`OPTIMIZE_FOR must be "memory" or "speed" (got "${value}")`);
  return value === "memory" ? ["--optimize-for-size"] : [];
}
