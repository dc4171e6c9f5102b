// The one place an Octokit is made for the GitHub connector.
import { Octokit } from "@octokit/rest";
import type { SyncContext } from "@/lib/connectors/types";

const noop = (): void => {};
/** Octokit logs request lines (and @octokit/request warns through `request.log`, falling back to console): silence both. */
const silentLog = { debug: noop, info: noop, warn: noop, error: noop };

export function makeOctokit(ctx: Pick<SyncContext, "baseUrl" | "credentials" | "fetch" | "signal">): Octokit {
  return new Octokit({
    baseUrl: ctx.baseUrl.replace(/\/+$/, ""),
    auth: ctx.credentials.accessToken,
    userAgent: "2nd-brain-sync",
    log: silentLog,
    request: {
      // Every request goes through the engine's fetch (timeouts, retries, rate-limit waits)...
      fetch: ctx.fetch,
      // ...and is aborted with the run (cancel, stall, whole-run timeout).
      signal: ctx.signal,
      log: silentLog,
    },
  });
}
