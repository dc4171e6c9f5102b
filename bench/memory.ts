// Benchmark scenario 4 (issue 7): peak resident memory of one Gmail sync of <items> messages, in
// the shape the sync runs in production: a plain Node process with tsx's loader, as
// `npm run worker` (tsx scripts/worker.ts) is, not a vitest fork. bench/run.mjs runs it as
//   node --import tsx bench/memory.ts <items> <outFile>
// The Gmail sandbox runs in a child process of its own (bench/gmail-sandbox.ts), reached over
// loopback HTTP like the real Gmail over the network: what is measured is the sync's memory only
// (connector, SDK, engine fetch path), not the fake provider generating and serialising the
// messages (its own peak is reported separately, sandboxVmHwmBytes). Quota lifted: the sandbox's
// quota clock runs 1000x fast, latency 0, and the engine path runs with Gmail's concurrency cap
// but no token bucket, so the run is CPU-bound. Documents are counted and dropped.
// Peak = VmHWM of this process (the kernel's own high-water mark), plus RSS sampled every 50 ms
// and V8's heap (process.memoryUsage) at the same moments.
// BENCH_TRACE=1 prints rss/heap every 2 s instead, BENCH_TRACE=gc also V8's line per GC.
// Exits non-zero if the sync did not account for every message (docs + failures != items).
import { writeFileSync } from "node:fs";
import v8 from "node:v8";
import { readStatus, runSync, sandboxChildren, spawnGmailSandbox, strip } from "./harness";

async function main(): Promise<number> {
  const items = Number(process.argv[2] ?? process.env.BENCH_ITEMS ?? 10_000);
  const out = process.argv[3] ?? process.env.BENCH_OUT ?? "bench/results/.memory.json";
  if (!Number.isInteger(items) || items <= 0) throw new Error(`usage: node --import tsx bench/memory.ts <items> <outFile> (bad item count: ${process.argv[2]})`);
  const trace = process.env.BENCH_TRACE;
  if (trace === "gc") v8.setFlagsFromString("--trace-gc");

  const sb = await spawnGmailSandbox(items);
  try {
    const rssBefore = readStatus("VmRSS");
    let peak = rssBefore;
    const heap = { used: 0, total: 0, external: 0, arrayBuffers: 0 };
    const sample = () => {
      const rss = readStatus("VmRSS");
      peak = Math.max(peak, rss);
      const m = process.memoryUsage();
      heap.used = Math.max(heap.used, m.heapUsed);
      heap.total = Math.max(heap.total, m.heapTotal);
      heap.external = Math.max(heap.external, m.external);
      heap.arrayBuffers = Math.max(heap.arrayBuffers, m.arrayBuffers);
      if (trace) console.log(`[bench:mem] rss ${(rss / 1e6).toFixed(0)} heapUsed ${(m.heapUsed / 1e6).toFixed(0)} heapTotal ${(m.heapTotal / 1e6).toFixed(0)} external ${(m.external / 1e6).toFixed(0)}`);
    };
    const timer = setInterval(sample, trace ? 2000 : 50);
    let r;
    try {
      r = await runSync("gmail", { baseUrl: sb.baseUrl, hits: [] }, sb.token, items, "concurrent-unpaced");
    } finally {
      clearInterval(timer);
    }
    sample();
    const vmHwm = readStatus("VmHWM");
    const st = await sb.stats();
    r.requests = st.requests;
    r.rateLimited = st.rateLimited;
    r.notModified = st.notModified;
    writeFileSync(
      out,
      JSON.stringify(
        {
          ...strip(r),
          rssBeforeBytes: rssBefore,
          peakRssSampledBytes: peak,
          vmHwmBytes: vmHwm,
          peakHeap: heap,
          sandboxVmHwmBytes: st.vmHwmBytes,
          process: `plain Node ${process.version} with tsx's loader (node --import tsx bench/memory.ts), as npm run worker`,
          sandbox: "child process (bench/gmail-sandbox.ts), loopback HTTP; not counted in vmHwmBytes",
        },
        null,
        2,
      ) + "\n",
    );
    console.log(
      `[bench:memory] ${items} messages: ${r.docs} docs, ${r.failures} failures in ${r.seconds} s; VmHWM ${(vmHwm / 1048576).toFixed(0)} MiB (sampled peak ${(peak / 1048576).toFixed(0)}, before ${(rssBefore / 1048576).toFixed(0)}; heap used ${(heap.used / 1048576).toFixed(0)} / reserved ${(heap.total / 1048576).toFixed(0)}); sandbox VmHWM ${(st.vmHwmBytes / 1048576).toFixed(0)} MiB`,
    );
    if (r.docs + r.failures !== items) {
      console.error(`[bench:memory] expected ${items} messages accounted for, got ${r.docs} docs + ${r.failures} failures`);
      return 1;
    }
    return 0;
  } finally {
    await sb.kill();
  }
}

// However this process ends, no sandbox process outlives it (it also exits when its stdin closes).
process.on("exit", () => {
  for (const c of sandboxChildren) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const c of sandboxChildren) c.kill("SIGKILL");
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
