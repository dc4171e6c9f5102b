// Kept apart from the HTTP tests: fake timers would also catch the HTTP client's own timers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import type { SandboxScenario } from "@/lib/contract";
import { createBoxSandbox } from "./handler";

function setup(scenario: SandboxScenario) {
  const auth = new MemorySandboxAuth();
  const handler = createBoxSandbox({ auth });
  const { accessToken } = auth.account(`timers-${Math.random()}`, scenario);
  return (signal: AbortSignal, path = "/2.0/users/me") =>
    handler(new Request(`http://sandbox.test/box${path}`, { headers: { authorization: `Bearer ${accessToken}` }, signal }), path);
}

const flush = async () => {
  for (let k = 0; k < 20; k++) await Promise.resolve();
};

afterEach(() => {
  vi.useRealTimers();
});

describe("box sandbox timers", () => {
  it("hang: the handler clears its timer on abort and gives up with 504 after 10 minutes", async () => {
    const request = setup({ items: 5, latency_ms: 0, fault: "hang" });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const aborted = new AbortController();
    const res = request(aborted.signal);
    await flush();
    expect(vi.getTimerCount()).toBe(1); // the 10-minute cap
    aborted.abort();
    expect((await res).status).toBe(499);
    expect(vi.getTimerCount()).toBe(0); // no timer left behind

    const res2 = request(new AbortController().signal, "/2.0/folders/0/items");
    await flush();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const capped = await res2;
    expect(capped.status).toBe(504);
    expect(await capped.json()).toMatchObject({ type: "error", status: 504, code: "gateway_timeout" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("slow: waits max(latency x 10, 1.5 s), abortable", async () => {
    for (const [latency, wait] of [[20, 1_500], [400, 4_000]] as const) {
      const request = setup({ items: 5, latency_ms: latency, fault: "slow" });
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      let done = false;
      const res = request(new AbortController().signal).then((r) => {
        done = true;
        return r;
      });
      await flush();
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect((await res).status).toBe(200);
      vi.useRealTimers();
    }
    const request = setup({ items: 5, latency_ms: 100, fault: "slow" });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const controller = new AbortController();
    const res = request(controller.signal);
    await flush();
    controller.abort();
    expect((await res).status).toBe(499);
    expect(vi.getTimerCount()).toBe(0);
  });
});
