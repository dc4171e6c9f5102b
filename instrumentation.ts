// Runs once when the server starts (see lib/sync/boot.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { boot } = await import("@/lib/sync/boot");
  boot();
  // The progress-stream handler the custom server (scripts/server.mjs) serves ahead of Next.js:
  // published as the process singleton "node-routes", which server.mjs (plain JavaScript, outside
  // the bundles) reads under the same key, Symbol.for("2nd-brain.node-routes").
  const { directRoute } = await import("@/lib/progress/node-stream");
  const { processSingleton } = await import("@/lib/platform/singleton");
  processSingleton("node-routes", () => ({ progressStream: directRoute }));
}
