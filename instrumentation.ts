// Runs once when the server starts (see lib/sync/boot.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { boot } = await import("@/lib/sync/boot");
  boot();
}
