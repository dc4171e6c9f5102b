// Throughput of a full sync against the sandbox with Slack's rate tiers on. Minutes long, so it
// only runs when asked: SLACK_BENCH=1 npx vitest run lib/connectors/slack/throughput.test.ts
import { describe, expect, it } from "vitest";
import type { SyncContext } from "@/lib/connectors/types";
import { startSlackSandbox } from "@/lib/sandbox/slack/test-helpers";
import { slackConnector } from "./connector";

describe.skipIf(!process.env.SLACK_BENCH)("slack connector throughput", () => {
  it("full sync of 50 channels x 400 messages at 80 ms latency", async () => {
    const items = Number(process.env.SLACK_BENCH_ITEMS ?? 20_000);
    const fx = await startSlackSandbox();
    try {
      const a = fx.account({ items, latency_ms: 80 });
      const waits: number[] = [];
      const calls = new Map<string, number>();
      // Like the engine's fetch: 429 + Retry-After is waited out (no quota pacing of our own).
      const engineLike: typeof fetch = async (input, init) => {
        const method = String(input).split("/").pop() ?? "";
        for (;;) {
          calls.set(method, (calls.get(method) ?? 0) + 1);
          const res = await fetch(input, init);
          if (res.status !== 429) return res;
          const s = Number(res.headers.get("retry-after"));
          waits.push(s);
          await res.arrayBuffer();
          await new Promise((r) => setTimeout(r, s * 1000));
        }
      };
      const ctx: SyncContext = {
        signal: new AbortController().signal,
        fetch: engineLike,
        baseUrl: fx.baseUrl,
        credentials: { accessToken: a.token },
        cursor: null,
        checkpoint: null,
        progress: { stage() {}, total() {}, phase() {}, capped() {} },
        limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10_000, maxFolders: 1000 },
      };
      const started = performance.now();
      let docs = 0;
      let failed = 0;
      for await (const page of slackConnector.sync(ctx)) {
        docs += page.documents.length;
        failed += page.failures.length;
      }
      const seconds = (performance.now() - started) / 1000;
      const report = {
        items,
        docs,
        failed,
        seconds: Number(seconds.toFixed(1)),
        itemsPerSecond: Number((docs / seconds).toFixed(1)),
        calls: Object.fromEntries(calls),
        rateLimitWaits: waits.length,
        waitedSeconds: waits.reduce((x, y) => x + y, 0),
      };
      console.log(`SLACK_BENCH ${JSON.stringify(report)}`);
      expect(docs).toBe(items);
    } finally {
      await fx.close();
    }
  }, 30 * 60_000);
});
