// The Redis progress bus against a real Redis: two buses stand for two processes (each with
// its own publisher and subscriber connections). Events cross over in order, a process's
// own events reach its listeners once, and nothing arrives after unsubscribing.
import { afterAll, describe, expect, it } from "vitest";
import { redisAnswers, useTestRedis } from "@/lib/redis/test-redis";

const reachable = await redisAnswers();
if (reachable) useTestRedis();
const { RedisBus } = await import("@/lib/progress/bus");
const { newRedis } = await import("@/lib/redis/connection");

const buses: InstanceType<typeof RedisBus>[] = [];
const publishers: ReturnType<typeof newRedis>[] = [];
function processBus() {
  const publisher = newRedis("test-publisher");
  publishers.push(publisher);
  const bus = new RedisBus(() => publisher);
  buses.push(bus);
  return bus;
}

async function until(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterAll(async () => {
  for (const b of buses) await b.close();
  for (const p of publishers) await p.quit();
});

describe.skipIf(!reachable)("Redis progress bus", () => {
  it("delivers another process's events in order, and its own once", async () => {
    const web = processBus();
    const worker = processBus();
    const heardOnWeb: number[] = [];
    const heardOnWorker: number[] = [];
    web.subscribe("run-a", (e) => heardOnWeb.push(e.seq));
    worker.subscribe("run-a", (e) => heardOnWorker.push(e.seq));
    await new Promise((r) => setTimeout(r, 100)); // the SUBSCRIBE takes a round trip
    for (let seq = 1; seq <= 200; seq += 1) worker.publish({ runId: "run-a", seq, name: "progress", data: "{}" });
    await until(() => heardOnWeb.length === 200);
    expect(heardOnWeb).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The worker's own listener heard each event once (locally, not again from Redis).
    await new Promise((r) => setTimeout(r, 100));
    expect(heardOnWorker).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("keeps runs apart and stops delivering after the last listener leaves", async () => {
    const web = processBus();
    const worker = processBus();
    const heard: string[] = [];
    const off = web.subscribe("run-b", (e) => heard.push(`${e.runId}:${e.seq}`));
    await new Promise((r) => setTimeout(r, 100));
    worker.publish({ runId: "run-c", seq: 1, name: "progress", data: "{}" });
    worker.publish({ runId: "run-b", seq: 1, name: "progress", data: "{}" });
    await until(() => heard.length === 1);
    expect(heard).toEqual(["run-b:1"]);
    expect(web.listenerCount("run-b")).toBe(1);
    off();
    expect(web.listenerCount("run-b")).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    worker.publish({ runId: "run-b", seq: 2, name: "progress", data: "{}" });
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual(["run-b:1"]);
  });
});
