// Kept apart from the HTTP tests: fake timers would also catch the HTTP client's own timers.
import { describe, expect, it, vi } from "vitest";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createSlackSandbox } from "./handler";

describe("slack sandbox timers", () => {
  it("hang: the handler clears its timer on abort and gives up with 504 after 10 minutes", async () => {
    const auth = new MemorySandboxAuth();
    const { accessToken } = auth.account("hang-direct", { items: 1, latency_ms: 0, fault: "hang" }, false);
    const handler = createSlackSandbox({ auth });
    const request = (signal: AbortSignal) =>
      handler(
        new Request("http://sandbox.test/slack/api/auth.test", { method: "POST", headers: { authorization: `Bearer ${accessToken}` }, signal }),
        "/api/auth.test",
      );
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
      expect(capped.headers.get("content-type")).toBe("text/html");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
