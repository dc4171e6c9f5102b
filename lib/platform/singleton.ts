// Process-wide values (a database client, a Redis connection, in-memory maps) live on
// globalThis rather than in a module variable: Next.js may load one module in several
// bundles of a single process (instrumentation, each route), and each bundle gets its own
// copy of module state. A key from Symbol.for is shared by every copy, so they all reach
// the same value. This is the one place that touches globalThis for that.

/** The value stored under `Symbol.for("2nd-brain.<key>")` in this process, created on first use. */
export function processSingleton<T>(key: string, create: () => T): T {
  const registry = globalThis as Record<symbol, unknown>;
  const symbol = Symbol.for(`2nd-brain.${key}`);
  registry[symbol] ??= create();
  return registry[symbol] as T;
}
