// Throughput of a full sync through the test harness (real SDK, real HTTP, sandbox in-process).
// Skipped unless asked for:
//   GMAIL_BENCH=1 npx vitest run lib/connectors/gmail/bench.test.ts
// Env: GMAIL_BENCH_ITEMS (10000), GMAIL_BENCH_LATENCY (80), GMAIL_BENCH_QUOTA ("real" | "lifted").
// "real": the sandbox enforces Gmail's 15,000 units/min (250/s) and the harness waits out each
// 429 for its Retry-After, as the engine does; "lifted": the sandbox's quota clock runs 1000x
// fast, so only latency, concurrency and CPU limit the run.
import { describe, expect, it } from "vitest";
import type { SyncContext } from "@/lib/connectors/types";
import { startGmailSandbox } from "@/lib/sandbox/gmail/test-helpers";
import { gmailConnector } from "./connector";

const enabled = !!process.env.GMAIL_BENCH;

describe.skipIf(!enabled)("gmail connector: benchmark", () => {
  it("full sync", async () => {
    const items = Number(process.env.GMAIL_BENCH_ITEMS ?? 10_000);
    const latency = Number(process.env.GMAIL_BENCH_LATENCY ?? 80);
    const lifted = process.env.GMAIL_BENCH_QUOTA === "lifted";
    const gm = await startGmailSandbox(lifted ? () => Date.now() * 1000 : undefined);
    const a = gm.account({ items, latency_ms: latency });
    let requests = 0;
    let waits = 0;
    let waitedMs = 0;
    const waiting: typeof fetch = async (input, init) => {
      for (;;) {
        requests++;
        const res = await fetch(input, init);
        if (res.status !== 429 && res.status !== 403) return res;
        await res.arrayBuffer();
        const ms = Number(res.headers.get("retry-after") ?? "1") * 1000;
        waits++;
        waitedMs += ms;
        await new Promise((r) => setTimeout(r, ms));
      }
    };
    const ctx: SyncContext = {
      signal: new AbortController().signal,
      fetch: waiting,
      baseUrl: gm.baseUrl,
      credentials: { accessToken: a.accessToken },
      cursor: null,
      checkpoint: null,
      progress: { stage: () => undefined, total: () => undefined, phase: () => undefined, capped: () => undefined },
      limits: { maxPages: 1000, maxChannels: 200, maxMessagesPerChannel: 10000, maxFolders: 1000 },
    };
    const t0 = performance.now();
    let docs = 0;
    for await (const page of gmailConnector.sync(ctx)) docs += page.documents.length + page.failures.length;
    const seconds = (performance.now() - t0) / 1000;
    await gm.close();
    console.log(
      `[gmail bench] ${items} emails, latency ${latency} ms, quota ${lifted ? "lifted" : "real (15,000 units/min)"}: ` +
        `${seconds.toFixed(1)} s, ${(docs / seconds).toFixed(0)} items/s, ${requests} requests, ${waits} rate-limit waits (${(waitedMs / 1000).toFixed(0)} s)`,
    );
    expect(docs).toBe(items);
  }, 600_000);
});
