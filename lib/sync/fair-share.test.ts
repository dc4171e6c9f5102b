import { describe, expect, it } from "vitest";
import { countByUser, defaultUserShare, mayStart, pickNext, type FairShare, type WaitingRun } from "@/lib/sync/fair-share";

const w = (runId: string, userId: string, seq: number): WaitingRun => ({ runId, userId, seq });
const rules = (slots: number, share: number): FairShare => ({ slots, share, reserve: Math.max(share, Math.ceil(slots / 2)) });

/** Starts runs the way the runner does until nothing more may start; returns the order. */
function drain(waiting: Map<string, WaitingRun>, running: Map<string, number>, r: FairShare): string[] {
  const order: string[] = [];
  for (;;) {
    const used = [...running.values()].reduce((a, b) => a + b, 0);
    const next = pickNext(waiting.values(), running, used, r);
    if (!next) return order;
    waiting.delete(next.runId);
    running.set(next.userId, (running.get(next.userId) ?? 0) + 1);
    order.push(next.runId);
  }
}

describe("defaultUserShare", () => {
  it("is a fifth of the slots, at least 1", () => {
    expect([1, 4, 5, 16, 100].map(defaultUserShare)).toEqual([1, 1, 1, 3, 20]);
  });
});

describe("pickNext", () => {
  it("starts the run of the user with the fewest runs executing, not the oldest run", () => {
    const waiting = [w("a4", "alice", 1), w("b4", "bob", 2), w("v1", "victim", 3)];
    expect(pickNext(waiting, new Map([["alice", 3], ["bob", 2]]), 5, rules(16, 3))?.runId).toBe("v1");
  });

  it("round robin: equal loads go to the longest waiting, a user's own runs in order", () => {
    const waiting = new Map([w("a1", "alice", 1), w("a2", "alice", 2), w("b1", "bob", 3), w("c1", "carol", 4)].map((r) => [r.runId, r]));
    expect(drain(waiting, new Map(), rules(16, 3))).toEqual(["a1", "b1", "c1", "a2"]);
  });

  it("4 users x 4 long syncs leave room: a 5th user's sync still starts", () => {
    const waiting = new Map<string, WaitingRun>();
    let seq = 0;
    for (const u of ["u1", "u2", "u3", "u4"]) for (const p of ["gmail", "slack", "box", "github"]) waiting.set(`${u}-${p}`, w(`${u}-${p}`, u, (seq += 1)));
    const running = new Map<string, number>();
    // All queued at once: each user's share (3), then nobody more (half the slots must stay free).
    expect(drain(waiting, running, rules(16, 3))).toHaveLength(12);
    expect(Math.max(...running.values())).toBe(3);
    waiting.set("victim", w("victim", "v", (seq += 1)));
    expect(drain(waiting, running, rules(16, 3))).toEqual(["victim"]);
  });

  it("users arriving one after another: the early ones go past the share only while half the slots are free", () => {
    const running = new Map<string, number>();
    let seq = 0;
    const started: number[] = [];
    for (const u of ["u1", "u2", "u3", "u4"]) {
      const waiting = new Map([1, 2, 3, 4].map((i) => [`${u}-${i}`, w(`${u}-${i}`, u, (seq += 1))]));
      started.push(drain(waiting, running, rules(16, 3)).length);
    }
    expect(started).toEqual([4, 4, 3, 3]);
    expect(drain(new Map([["victim", w("victim", "v", (seq += 1))]]), running, rules(16, 3))).toEqual(["victim"]);
  });

  it("a lone user is not held to the share while the process is idle", () => {
    const waiting = new Map([1, 2, 3, 4].map((i) => [`a${i}`, w(`a${i}`, "alice", i)]));
    expect(drain(waiting, new Map(), rules(16, 3))).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("never starts more than the slots", () => {
    const waiting = new Map([1, 2, 3].map((i) => [`u${i}`, w(`u${i}`, `user${i}`, i)]));
    expect(drain(waiting, new Map(), rules(2, 1))).toEqual(["u1", "u2"]);
  });
});

describe("mayStart / countByUser", () => {
  it("lets a user past the share only while the reserve stays free", () => {
    const counts = countByUser(["u1", "u2", "u1", "u1"]);
    expect(counts.get("u1")).toBe(3);
    expect(mayStart("u1", counts, 4, rules(16, 3))).toBe(true); // 11 free after it
    expect(mayStart("u1", counts, 8, rules(16, 3))).toBe(false); // 7 free after it: under half
    expect(mayStart("u3", counts, 13, rules(16, 3))).toBe(true);
    expect(mayStart("u3", counts, 16, rules(16, 3))).toBe(false);
  });
});
