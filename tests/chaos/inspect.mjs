// Reads the app's own bookkeeping from a running web server through the Node inspector
// (opened with SIGUSR1 on 127.0.0.1:<port>): open stream hubs, progress-bus listeners and
// the active handles by kind, process.memoryUsage(). Run with `node --experimental-websocket`
// (Node 20). Usage: node --experimental-websocket tests/chaos/inspect.mjs <port> [--gc]
const port = process.argv[2] ?? "9229";
const expression = `(() => {
  const hubs = globalThis[Symbol.for("2nd-brain.progress-hubs")];
  const bus = globalThis[Symbol.for("2nd-brain.progress-bus")];
  const em = bus && (bus.emitter || (bus.local && bus.local.emitter));
  const busListeners = em ? em.eventNames().reduce((n, e) => n + em.listenerCount(e), 0) : 0;
  let streams = 0;
  if (hubs) for (const h of hubs.values()) streams += h.subs ? h.subs.size : 0;
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] || 0) + 1;
  const m = process.memoryUsage();
  const memory = { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
  return JSON.stringify({ pid: process.pid, hubs: hubs ? hubs.size : 0, streams, busListeners, resources, memory });
})()`;

// --gc: collect garbage first (a full collection), to tell retained memory from garbage.
const gc = process.argv.includes("--gc");
const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = () => reject(new Error("inspector websocket failed"));
});
const replies = new Map();
ws.onmessage = (m) => {
  const d = JSON.parse(String(m.data));
  replies.get(d.id)?.(d);
};
const call = (id, method, params) =>
  new Promise((resolve) => {
    replies.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
if (gc) await call(1, "HeapProfiler.collectGarbage");
const answer = await call(2, "Runtime.evaluate", { expression, returnByValue: true });
ws.close();
const value = answer.result?.result?.value;
if (typeof value !== "string") {
  console.error(JSON.stringify(answer));
  process.exit(1);
}
console.log(value);
process.exit(0);
