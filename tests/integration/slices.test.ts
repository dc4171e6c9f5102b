// Serverless limits: with SYNC_SLICE_S a run executes in slices that each end at a
// checkpoint and queue the next; the user sees one continuous sync (one event sequence,
// no "continuing"/"resuming" words, no return to "connecting"), every document once.
import { afterAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { startOwnServer, type OwnServer } from "@/tests/helpers/own-server";

let own: OwnServer | undefined;
afterAll(async () => {
  await own?.dispose();
});

describe("a run in slices (SYNC_SLICE_S)", () => {
  it("is one continuous sync to the user, resumed slice after slice from its checkpoint", async () => {
    // The serverless shape: the web server executes the runs itself (with TEST_REDIS=1 it
    // takes them from the BullMQ queue; no separate worker), one slice at a time.
    own = await startOwnServer("slices", { SYNC_SLICE_S: "1", SYNC_RUN_IN_WEB: "true" });
    const { server } = own;
    expect(server.worker).toBeUndefined();
    const user = await TestUser.signUp(server.baseUrl);
    // 12 repositories of 50 items at 250 ms a request: several seconds, so several slices.
    await user.connectSandbox("github", { items: 600, latency_ms: 250, fault: "none" });
    const { syncId } = await user.startSync("github");
    const live = await user.stream(syncId, { lastEventId: "0", timeoutMs: 60_000 });
    expect(live.closedByServer).toBe(true);

    const end = await user.progress(syncId);
    expect(end).toMatchObject({ status: "complete", total_items: 600, processed_items: 600, failed_items: 0 });
    const list = await user.json<{ integrations: { type: string; item_count: number }[] }>("/api/integrations");
    expect(list.body.integrations.find((i) => i.type === "github")!.item_count).toBe(600);

    const slices = server.output().match(new RegExp(`run ${syncId}: slice ended`, "g")) ?? [];
    expect(slices.length).toBeGreaterThanOrEqual(2);

    // One unbroken sequence; counters never go back; once syncing, never "connecting" again.
    const ids = live.events.map((e) => Number(e.id));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    const processed = live.events.map((e) => e.data.processed_items);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    const firstSyncing = live.events.findIndex((e) => e.data.status === "syncing");
    expect(live.events.slice(firstSyncing).some((e) => e.data.status === "connecting" || e.data.status === "queued")).toBe(false);
    expect(live.events.some((e) => /Continuing where|Resuming after/.test(e.data.stage))).toBe(false);
  });
});
