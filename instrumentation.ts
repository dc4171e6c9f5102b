// Runs once when the server starts (see lib/sync/boot.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { boot } = await import("@/lib/sync/boot");
  boot();
  // The progress-stream handler the custom server (scripts/server.mjs) serves ahead of Next.js.
  const { directRoute } = await import("@/lib/progress/node-stream");
  (globalThis as Record<symbol, unknown>)[Symbol.for("2nd-brain.node-routes")] = { progressStream: directRoute };
}
