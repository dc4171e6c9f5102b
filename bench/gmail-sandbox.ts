// The Gmail sandbox in a process of its own, for the memory benchmark (scenario 4): a real sync
// talks to Gmail over the network, so the fake provider's memory (generating and serialising
// 100,000 messages) must not be counted as the sync's. bench/memory.ts spawns it (spawnGmailSandbox in
// bench/harness.ts) as
//   node --import tsx bench/gmail-sandbox.ts <items>
// It serves lib/sandbox/gmail/handler.ts on 127.0.0.1 with the quota clock running 1000x fast,
// no latency and no request log, creates one account with <items> messages, and prints one JSON
// line on stdout: { baseUrl, token, pid }. GET /__bench/stats answers what it counted
// ({ requests, rateLimited, notModified, vmHwmBytes, vmRssBytes }; its own requests not counted).
// It exits on SIGTERM / SIGINT, and when its stdin closes (the parent went away, however it ended).
import { readFileSync } from "node:fs";
import { createGmailSandbox } from "@/lib/sandbox/gmail/handler";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { serveSandbox } from "@/lib/sandbox/http";

function readStatus(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  const items = Number(process.argv[2] ?? process.env.BENCH_ITEMS ?? 10_000);
  if (!Number.isInteger(items) || items < 0) throw new Error(`bad item count: ${process.argv[2]}`);
  const auth = new MemorySandboxAuth();
  const handler = createGmailSandbox({ auth, now: () => Date.now() * 1000 });
  const stats = { requests: 0, rateLimited: 0, notModified: 0 };
  const server = await serveSandbox({
    "/sandbox/gmail": async (req, subpath) => {
      const res = await handler(req, subpath);
      stats.requests++;
      if (res.status === 429) stats.rateLimited++;
      else if (res.status === 304) stats.notModified++;
      return res;
    },
    "/__bench": async (_req, subpath) => {
      if (subpath !== "/stats") return new Response("not found", { status: 404 });
      const body = { ...stats, vmHwmBytes: readStatus("VmHWM"), vmRssBytes: readStatus("VmRSS") };
      return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    },
  });
  const key = `bench-gmail-${process.pid}`;
  const tokens = auth.account(key, { items, latency_ms: 0, fault: "none" }, true);

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    const exit = () => process.exit(0);
    server.close().then(exit, exit);
    setTimeout(exit, 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify({ baseUrl: `${server.url}/sandbox/gmail`, statsUrl: `${server.url}/__bench/stats`, token: tokens.accessToken, pid: process.pid })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
