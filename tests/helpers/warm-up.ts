// One small sandbox sync of each provider on a freshly started test server: the first sync of a
// provider in a new server process pays for loading and compiling its code paths (~3 s before
// the first Gmail page, measured on the last green build too), and the suites' deliberately
// small timeouts (a 4 s stall window, ./server.ts) are about the provider, not a cold process.
import { CONNECTOR_TYPES } from "@/lib/contract";
import { TestUser } from "./client";

export async function warmUp(baseUrl: string): Promise<void> {
  const user = await TestUser.signUp(baseUrl);
  for (const type of CONNECTOR_TYPES) {
    await user.connectSandbox(type, { items: 30, latency_ms: 0, fault: "none" });
    const { syncId } = await user.startSync(type);
    const end = await user.waitForTerminal(syncId, 60_000);
    // Not an assertion on the app (the suites make those): a warm-up that failed says so.
    if (end.status !== "complete") console.warn(`[setup] warm-up sync of ${type} ended ${end.status}: ${end.error_message ?? ""}`);
  }
}
