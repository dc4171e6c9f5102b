// Kept apart from the HTTP tests: fake timers would also catch the HTTP client's own timers.
import { describe, expect, it, vi } from "vitest";
import { createGithubSandbox, type SandboxAccount } from "./handler";

describe("github sandbox timers", () => {
  it("hang: the handler clears its timer on abort and gives up with 504 after 10 minutes", async () => {
    const accounts = new Map<string, SandboxAccount>([["h", { key: "hang-direct", scenario: { items: 1, latency_ms: 0, fault: "hang" } }]]);
    const handler = createGithubSandbox({ resolveToken: async (t) => accounts.get(t) ?? null });
    const request = (signal: AbortSignal) =>
      handler(new Request("http://sandbox.test/github/user", { headers: { authorization: "token h" }, signal }), "/user");
    const flush = async () => {
      for (let k = 0; k < 20; k++) await Promise.resolve();
    };
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const aborted = new AbortController();
      const res = request(aborted.signal);
      await flush();
      expect(vi.getTimerCount()).toBe(1); // the 10-minute cap
      aborted.abort();
      expect((await res).status).toBe(499);
      expect(vi.getTimerCount()).toBe(0); // no timer left behind

      const res2 = request(new AbortController().signal);
      await flush();
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      const capped = await res2;
      expect(capped.status).toBe(504);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

});
