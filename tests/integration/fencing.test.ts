// Fencing (lib/sync/fence.ts): an execution that lost its run — paused past the stale window
// while another process claimed it, or while a sweep ended it — can never write to it again:
// no event, no document, no checkpoint, no cursor, no second terminal event, no second email.
// Real SQLite, the real engine and attempt code; the "pause" is a connector that waits while
// the test claims the run the way another process would.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, SyncPage } from "@/lib/connectors/types";
import type { RunLimits } from "@/lib/sync/engine";

const dir = mkdtempSync(path.join(tmpdir(), "sb-fence-"));
process.env.DATABASE_URL = `file:${path.join(dir, "fence.db")}`;
process.env.APP_SECRET = "fencing-test-secret-0123456789abcdef012345";
process.env.SYNC_STALE_AFTER_S = "3";

beforeAll(() => {
  execFileSync(process.execPath, ["scripts/prisma.mjs", "migrate", "deploy"], { env: process.env, stdio: "ignore" });
});

afterAll(async () => {
  const { db } = await import("@/lib/db");
  await db().$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const limits: RunLimits = {
  connectTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
  stallTimeoutMs: 120_000,
  runTimeoutMs: 3_600_000,
  maxRateLimitWaitMs: 60_000,
  maxAttempts: 1,
  heartbeatMs: 60_000,
};

async function newRun(): Promise<{ runId: string; connectionId: string }> {
  const { db } = await import("@/lib/db");
  const { encryptJson } = await import("@/lib/crypto");
  const id = Math.random().toString(16).slice(2);
  // A verified address: sync email goes only to those (lib/notify/outbox.ts).
  const user = await db().user.create({ data: { id: `u${id}`, name: "F", email: `${id}@f.test`, emailVerified: true } });
  const ws = await db().workspace.create({ data: { name: "w", memberships: { create: { userId: user.id } } } });
  const runId = `sync_${id.padEnd(32, "0").slice(0, 32)}`;
  const conn = await db().connection.create({
    data: { userId: user.id, workspaceId: ws.id, type: "github", mode: "sandbox", credentials: encryptJson({ accessToken: "t" }), activeRunId: runId },
  });
  await db().syncRun.create({
    data: { id: runId, userId: user.id, workspaceId: ws.id, connectionId: conn.id, connectorType: "github", status: "queued", stage: "Waiting", lastSeq: 0 },
  });
  return { runId, connectionId: conn.id };
}

function page(from: number, n: number): SyncPage {
  return {
    documents: Array.from({ length: n }, (_, k) => ({
      externalId: `d${from + k}`,
      kind: "issue" as const,
      title: `Doc ${from + k}`,
      text: "text",
      createdAt: new Date(0),
      updatedAt: new Date(0),
    })),
    failures: [],
    checkpoint: { next: from + n },
  };
}

/** Yields page 1, then waits for `resume` (the "pause"), then yields page 2 and ends with a cursor. */
function pausingConnector(paused: Promise<void>, onPaused: () => void): Connector {
  return {
    type: "github",
    async connect() {
      return { accountLabel: "x" };
    },
    async *sync(ctx) {
      const start = (ctx.checkpoint as { next?: number } | null)?.next ?? 0;
      if (start === 0) {
        yield page(0, 10);
        onPaused();
        await paused;
      }
      yield page(Math.max(start, 10), 10);
      return { cursor: { done: true } };
    },
  };
}

async function rows(runId: string, connectionId: string) {
  const { db } = await import("@/lib/db");
  const events = await db().syncEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } });
  const docs = await db().document.count({ where: { connectionId } });
  const mails = await db().notification.count({ where: { runId } });
  const run = await db().syncRun.findUniqueOrThrow({ where: { id: runId } });
  const conn = await db().connection.findUniqueOrThrow({ where: { id: connectionId } });
  return { events, docs, mails, run, conn };
}

/** The checks every case ends with: a gapless log with exactly one terminal event, the last. */
function expectOneEnd(events: { seq: number; name: string }[]) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const terminal = events.filter((e) => ["complete", "error", "cancelled"].includes(e.name));
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)!.name).toBe(terminal[0]!.name);
}

describe("a paused execution that lost its run", () => {
  it("writes nothing once another process claimed the run; the new owner completes it once", async () => {
    const { claimRun } = await import("@/lib/sync/attempt");
    const { executeRun } = await import("@/lib/sync/engine");
    const { db } = await import("@/lib/db");
    const { runId, connectionId } = await newRun();

    const first = await claimRun(runId, "worker-a");
    expect(first.claim).toBe("claimed");
    expect(first.fence?.epoch).toBe(1);

    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    let reachedPause!: () => void;
    const atPause = new Promise<void>((r) => (reachedPause = r));
    const a = executeRun(runId, { stop: new AbortController().signal, workerId: "worker-a", epoch: first.fence!.epoch, limits, connector: pausingConnector(paused, reachedPause) });
    await atPause;

    // "Paused" past the stale window (its coalesced progress event written first, as a real
    // pause would find it): worker B takes the run over (a new epoch) and finishes it.
    await new Promise((r) => setTimeout(r, 700));
    await db().syncRun.update({ where: { id: runId }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
    const second = await claimRun(runId, "worker-b");
    expect(second.claim).toBe("taken_over");
    expect(second.fence?.epoch).toBe(2);
    const b = await executeRun(runId, { stop: new AbortController().signal, workerId: "worker-b", epoch: 2, limits, connector: pausingConnector(paused, () => undefined), resumed: true });
    expect(b).toBe("finished");
    const afterB = await rows(runId, connectionId);
    expect(afterB.run.status).toBe("complete");

    // A wakes up: its next page, its cursor and its terminal event are all refused.
    resume();
    expect(await a).toBe("lost");
    const end = await rows(runId, connectionId);
    expectOneEnd(end.events);
    expect(end.events.length).toBe(afterB.events.length);
    expect(end.run.status).toBe("complete");
    expect(end.run.finishedAt).not.toBeNull();
    expect(end.docs).toBe(20);
    expect(end.mails).toBe(1);
    expect(end.conn.activeRunId).toBeNull();
  });

  it("cannot reopen a run a sweep ended while it was paused (no second terminal event or email)", async () => {
    const { claimRun, endRun } = await import("@/lib/sync/attempt");
    const { executeRun } = await import("@/lib/sync/engine");
    const { runId, connectionId } = await newRun();
    const { fence } = await claimRun(runId, "worker-a");
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    let reachedPause!: () => void;
    const atPause = new Promise<void>((r) => (reachedPause = r));
    const a = executeRun(runId, { stop: new AbortController().signal, workerId: "worker-a", epoch: fence!.epoch, limits, connector: pausingConnector(paused, reachedPause) });
    await atPause;

    // The sweep gives up on it (as after too many takeovers): it takes a new epoch and ends it.
    await endRun(runId, "error", "The sync was interrupted several times and could not be resumed. Start it again.");
    const ended = await rows(runId, connectionId);
    expect(ended.run.status).toBe("error");

    resume();
    expect(await a).toBe("lost");
    const end = await rows(runId, connectionId);
    expectOneEnd(end.events);
    expect(end.run.status).toBe("error");
    expect(end.run.finishedAt).not.toBeNull();
    expect(end.run.lastSeq).toBe(ended.run.lastSeq);
    // Page 1 was written before the end; page 2 and the cursor never were.
    expect(end.docs).toBe(10);
    expect(end.conn.cursor).toBeNull();
    expect(end.mails).toBe(1);
  });

  it("refuses an event with a stale epoch, and any event after the terminal one", async () => {
    const { appendEvent, toProgressData } = await import("@/lib/progress/store");
    const { claimRun } = await import("@/lib/sync/attempt");
    const { RunLostError } = await import("@/lib/progress/fence");
    const { db } = await import("@/lib/db");
    const { runId } = await newRun();
    const { fence } = await claimRun(runId, "worker-a");
    const data = toProgressData(await db().syncRun.findUniqueOrThrow({ where: { id: runId } }));
    await appendEvent(fence!, 1, "progress", { ...data, status: "syncing" });
    await expect(appendEvent({ runId, epoch: fence!.epoch - 1 }, 2, "progress", data)).rejects.toBeInstanceOf(RunLostError);
    await appendEvent(fence!, 2, "complete", { ...data, status: "complete", finished_at: new Date().toISOString() });
    await expect(appendEvent(fence!, 3, "progress", { ...data, status: "syncing" })).rejects.toBeInstanceOf(RunLostError);
    const run = await db().syncRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("complete");
    expect(run.lastSeq).toBe(2);
  });
});

describe("the resume budget", () => {
  it("counts takeovers since the last checkpoint: a run that keeps making progress is not ended by pauses", async () => {
    const { claimRun } = await import("@/lib/sync/attempt");
    const { db } = await import("@/lib/db");
    const { holdFence } = await import("@/lib/progress/fence");
    const { runId } = await newRun();
    await claimRun(runId, "w0");
    for (let i = 1; i <= 6; i += 1) {
      await db().syncRun.update({ where: { id: runId }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
      const { claim, fence } = await claimRun(runId, `w${i}`);
      expect(claim).toBe("taken_over");
      expect((await db().syncRun.findUniqueOrThrow({ where: { id: runId } })).resumeCount).toBe(1);
      // The new owner writes a checkpoint (as writePage does): the budget starts again.
      await db().$transaction((tx) => holdFence(tx, fence!, "page", { resumeCount: 0, checkpoint: JSON.stringify({ i }) }));
    }
    const run = await db().syncRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.epoch).toBe(7);
    expect(run.resumeCount).toBe(0);
  });
});
