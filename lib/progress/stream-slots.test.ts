// The cap on open progress streams, counted in this process (no REDIS_URL): per user, per
// instance, freed exactly once per stream.
import { beforeAll, describe, expect, it } from "vitest";

process.env.STREAMS_PER_USER = "3";
process.env.STREAMS_PER_INSTANCE = "5";
delete process.env.REDIS_URL;
const { acquireStreamSlot, gatedStream, openStreamSlots, STREAM_RETRY_AFTER_S } = await import("@/lib/progress/stream-slots");
const { ApiError } = await import("@/lib/api/errors");

async function refusal(userId: string): Promise<InstanceType<typeof ApiError>> {
  try {
    await acquireStreamSlot(userId);
  } catch (error) {
    return error as InstanceType<typeof ApiError>;
  }
  throw new Error("expected a refusal");
}

describe("stream slots (in-process)", () => {
  beforeAll(() => expect(openStreamSlots()).toEqual({ total: 0, users: 0 }));

  it("grants a user STREAMS_PER_USER streams, then answers 429 with Retry-After until one closes", async () => {
    const held = [await acquireStreamSlot("u1"), await acquireStreamSlot("u1"), await acquireStreamSlot("u1")];
    const refused = await refusal("u1");
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused.status).toBe(429);
    expect(refused.retryAfterS).toBe(STREAM_RETRY_AFTER_S);
    expect(refused.message).toMatch(/3 live progress views/);
    held[0]!.release();
    held[0]!.release(); // twice frees one slot, not two
    const again = await acquireStreamSlot("u1");
    expect((await refusal("u1")).status).toBe(429);
    for (const s of [again, ...held]) s.release();
    expect(openStreamSlots()).toEqual({ total: 0, users: 0 });
  });

  it("caps the instance across users (STREAMS_PER_INSTANCE)", async () => {
    const held = [];
    for (const u of ["a", "a", "b", "b", "c"]) held.push(await acquireStreamSlot(u));
    const refused = await refusal("d");
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/too many progress streams/);
    held.pop()!.release();
    held.push(await acquireStreamSlot("d"));
    for (const s of held) s.release();
    expect(openStreamSlots()).toEqual({ total: 0, users: 0 });
  });

  it("refuses a session's requests beyond the cap before deciding them, and lets go when they end", async () => {
    const headers = new Headers({ cookie: "theme=dark; sb.session_token=abc.def" });
    const abort = new AbortController();
    let decided = 0;
    const pending: (() => void)[] = [];
    const open = () =>
      new Promise<never>((_, reject) => {
        decided += 1;
        pending.push(() => reject(new Error("404")));
      });
    const inFlight = [gatedStream(headers, abort.signal, open), gatedStream(headers, abort.signal, open), gatedStream(headers, abort.signal, open)];
    await expect(gatedStream(headers, abort.signal, open)).rejects.toMatchObject({ status: 429 });
    expect(decided).toBe(3); // the fourth was refused without being looked at
    // Another session, and a request without one, are not held up.
    const other = gatedStream(new Headers({ cookie: "sb.session_token=other" }), abort.signal, async () => ({ runId: "r", after: null, signal: abort.signal }));
    await expect(other).resolves.toMatchObject({ runId: "r" });
    for (const reject of pending) reject();
    await Promise.allSettled(inFlight);
    // Released twice, counted once: the session has exactly its 3 places again.
    const openNow = async () => ({ runId: "r", after: null, signal: abort.signal });
    const opened = await gatedStream(headers, abort.signal, openNow);
    opened.release!();
    opened.release!();
    const three = await Promise.all([1, 2, 3].map(() => gatedStream(headers, abort.signal, openNow)));
    await expect(gatedStream(headers, abort.signal, openNow)).rejects.toMatchObject({ status: 429 });
    for (const o of three) o.release!();
  });
});
