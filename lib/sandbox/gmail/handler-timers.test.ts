// Kept apart from the HTTP tests: fake timers would also catch the HTTP client's own timers.
import { describe, expect, it, vi } from "vitest";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createGmailSandbox } from "./handler";

describe("gmail sandbox timers", () => {
  it("hang: the handler clears its timer on abort and gives up with 504 after 10 minutes", async () => {
    const auth = new MemorySandboxAuth();
    const { accessToken } = auth.account("hang-timers", { items: 1, latency_ms: 0, fault: "hang" });
    const handler = createGmailSandbox({ auth });
    const request = (signal: AbortSignal) =>
      handler(
        new Request("http://sandbox.test/sandbox/gmail/gmail/v1/users/me/profile", { headers: { authorization: `Bearer ${accessToken}` }, signal }),
        "/gmail/v1/users/me/profile",
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
      await vi.advanceTimersByTimeAsync(10 * 60_000 - 1);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      const capped = await res2;
      expect(capped.status).toBe(504);
      expect(((await capped.json()) as { error: { status: string } }).error.status).toBe("DEADLINE_EXCEEDED");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("latency: an aborted request stops waiting at once", async () => {
    const auth = new MemorySandboxAuth();
    const { accessToken } = auth.account("latency-timers", { items: 1, latency_ms: 30_000, fault: "none" });
    const handler = createGmailSandbox({ auth });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const controller = new AbortController();
      const res = handler(
        new Request("http://sandbox.test/sandbox/gmail/gmail/v1/users/me/profile", { headers: { authorization: `Bearer ${accessToken}` }, signal: controller.signal }),
        "/gmail/v1/users/me/profile",
      );
      for (let k = 0; k < 20; k++) await Promise.resolve();
      expect(vi.getTimerCount()).toBe(1);
      controller.abort();
      expect((await res).status).toBe(499);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
