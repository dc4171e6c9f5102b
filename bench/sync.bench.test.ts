// Sync benchmarks, run in-process against the sandboxes on 127.0.0.1 (bench/run.mjs drives it).
//   BENCH_MODE=sync    scenario 1 (throughput vs quota bound, with a sequential unpaced baseline)
//                      and scenario 2 (incremental re-sync: nothing changed / 1% new items)
// Results are written as JSON to BENCH_OUT.
// Scenario 4 (memory) is not here: it runs in a plain Node process, as a worker does
// (node --import tsx bench/memory.ts <items> <out>); the sync path both use is bench/harness.ts.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gmailQuotaCost } from "@/lib/connectors/gmail/connector";
import { createGmailSandbox, GMAIL_USER_QUOTA } from "@/lib/sandbox/gmail/handler";
import { createSlackSandbox, TIERS } from "@/lib/sandbox/slack/handler";
import { createBoxSandbox, BOX_USER_QUOTA } from "@/lib/sandbox/box/handler";
import { createGithubSandbox, type SandboxAccount } from "@/lib/sandbox/github/handler";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import type { SandboxAccount as AppSandboxAccount } from "@/lib/sandbox/accounts";
import { CHANGE_MODELS, planSandboxChanges } from "@/lib/sandbox/change-plan";
import type { SandboxChangesRequest, SandboxChangesResult } from "@/lib/contract";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { round, runSync, strip, type Hit, type Provider } from "./harness";

const mode = process.env.BENCH_MODE ?? "sync";
const latency = Number(process.env.BENCH_LATENCY ?? 80);
const out = process.env.BENCH_OUT ?? "bench/results/.sync.json";
const sizes = JSON.parse(process.env.BENCH_SIZES ?? "{}") as Record<string, number>;

interface Sandbox {
  server: SandboxServer;
  baseUrl: string;
  hits: Hit[];
  counted(): number;
  /** A fresh account (fresh quota); returns its token and ways to change its items. */
  account(items: number, latencyMs: number): { token: string; setItems(n: number): void; change(request: SandboxChangesRequest): SandboxChangesResult };
  close(): Promise<void>;
}

let seq = 0;

async function startSandbox(p: Provider, now?: () => number, record = true): Promise<Sandbox> {
  const hits: Hit[] = [];
  let counted = 0;
  const auth = new MemorySandboxAuth();
  const ghAccounts = new Map<string, SandboxAccount>();
  const handler =
    p === "gmail"
      ? createGmailSandbox({ auth, now })
      : p === "slack"
        ? createSlackSandbox({ auth, now })
        : p === "box"
          ? createBoxSandbox({ auth, now })
          : createGithubSandbox({ resolveToken: async (t) => ghAccounts.get(t) ?? null, now });
  const mount = p === "gmail" ? "/sandbox/gmail" : `/${p}`;
  const server = await serveSandbox({
    [mount]: async (req, subpath) => {
      const res = await handler(req, subpath);
      // record = false only counts (a log of 100,000 requests would itself grow with the items).
      if (record) {
        const token = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
        hits.push({ path: subpath, status: res.status, token, at: Date.now() });
      }
      else counted++;
      return res;
    },
  });
  const baseUrl = p === "slack" ? `${server.url}/slack/api` : `${server.url}${mount}`;
  return {
    server,
    baseUrl,
    hits,
    counted: () => counted,
    account(items, latencyMs) {
      const key = `bench-${p}-${process.pid}-${++seq}`;
      const scenario = { items, latency_ms: latencyMs, fault: "none" as const };
      if (p === "github") {
        const token = `gho_bench${seq}_${Math.random().toString(36).slice(2)}`;
        // The app's account shape (with its change log); the GitHub handler reads the part it knows.
        const account: AppSandboxAccount = { key, scenario, login: "bench-user", changes: [] };
        ghAccounts.set(token, account);
        return {
          token,
          setItems: (n) => (account.scenario = { ...account.scenario, items: n }),
          change(request) {
            const { planned, result } = planSandboxChanges(CHANGE_MODELS.github, account, account.changes ?? [], request, Date.now());
            account.changes = [...(account.changes ?? []), ...planned];
            return result;
          },
        };
      }
      const tokens = auth.account(key, scenario, p !== "slack");
      let current = scenario;
      return {
        token: tokens.accessToken,
        setItems: (n) => auth.setScenario(key, (current = { ...current, items: n })),
        change(request) {
          const log = auth.changesOf(key);
          const { planned, result } = planSandboxChanges(CHANGE_MODELS[p], { key, scenario: current, login: "sandbox-user", changes: log }, log, request, Date.now());
          auth.addChanges(key, planned);
          return result;
        },
      };
    },
    close: () => server.close(),
  };
}

/**
 * The shortest time the sandbox's quota allows for the requests this workload made (429 answers
 * excluded, bucket/window starting full), and the items/s that means. null: the quota never binds.
 */
function quotaBound(p: Provider, hits: Hit[], items: number): { seconds: number; itemsPerSecond: number | null; basis: string } {
  const ok = hits.filter((h) => h.status !== 429);
  let seconds = 0;
  let basis = "";
  if (p === "gmail") {
    const units = ok.reduce((s, h) => s + gmailQuotaCost(new URL(`http://x/sandbox/gmail${h.path}`), "GET"), 0);
    seconds = Math.max(0, (units - GMAIL_USER_QUOTA.capacity) / GMAIL_USER_QUOTA.refillPerSecond);
    basis = `${ok.length} requests = ${units} units; bucket ${GMAIL_USER_QUOTA.capacity} + ${GMAIL_USER_QUOTA.refillPerSecond}/s`;
  } else if (p === "slack") {
    const per = new Map<string, number>();
    for (const h of ok) {
      const m = h.path.replace(/^\/api\//, "").replace(/^\//, "");
      per.set(m, (per.get(m) ?? 0) + 1);
    }
    const tierOf: Record<string, { limit: number; windowMs: number }> = {
      "auth.test": TIERS.tier4,
      "conversations.list": TIERS.tier2,
      "users.list": TIERS.tier2,
      "conversations.history": TIERS.tier3,
      "conversations.replies": TIERS.tier3,
    };
    const parts: string[] = [];
    for (const [m, n] of per) {
      const t = tierOf[m] ?? TIERS.tier2;
      seconds = Math.max(seconds, ((Math.ceil(n / t.limit) - 1) * t.windowMs) / 1000);
      parts.push(`${m} ${n} (${t.limit}/min)`);
    }
    basis = parts.join(", ");
  } else if (p === "box") {
    const api = ok.filter((h) => h.path.startsWith("/2.0/")).length;
    seconds = ((Math.ceil(api / BOX_USER_QUOTA.limit) - 1) * BOX_USER_QUOTA.windowMs) / 1000;
    basis = `${api} API requests (${BOX_USER_QUOTA.limit}/min sliding window)`;
  } else {
    const counted = ok.filter((h) => h.status !== 304).length;
    seconds = Math.max(0, ((Math.ceil(counted / 5000) - 1) * 3_600_000) / 1000);
    basis = `${counted} requests (5,000/h)`;
  }
  return { seconds: round(seconds, 1), itemsPerSecond: seconds > 0 ? round(items / seconds, 1) : null, basis };
}

describe.runIf(mode === "sync")("sync throughput and incremental re-sync", () => {
  it("runs every provider, paced and baseline, side by side", async () => {
    const providers = (process.env.BENCH_PROVIDERS ?? "gmail,slack,box,github").split(",") as Provider[];
    const results = await Promise.all(
      providers.map(async (p) => {
        const sb = await startSandbox(p);
        try {
          const full = sizes[`${p}`] ?? 1000;
          const baseItems = sizes[`${p}Baseline`] ?? full;
          const incItems = sizes[`${p}Incremental`] ?? full;
          // Scenario 1: paced engine path and the sequential, unpaced baseline, at the same time
          // on separate accounts (separate quotas) of the same sandbox.
          const a = sb.account(full, latency);
          const b = sb.account(baseItems, latency);
          const [paced, baseline] = await Promise.all([
            runSync(p, sb, a.token, full, "paced"),
            runSync(p, sb, b.token, baseItems, "sequential"),
          ]);
          const bound = quotaBound(p, (paced as unknown as { hits: Hit[] }).hits, full);
          const baseBound = quotaBound(p, (baseline as unknown as { hits: Hit[] }).hits, baseItems);
          // Scenario 2: a fresh account: full sync, re-sync with nothing changed, re-sync after 1% new items.
          const c = sb.account(incItems, latency);
          const first = await runSync(p, sb, c.token, incItems, "paced");
          const same = await runSync(p, sb, c.token, 0, "paced", first.cursor);
          const grown = Math.ceil(incItems * 1.01);
          c.setItems(grown);
          const changed = await runSync(p, sb, c.token, grown - incItems, "paced", same.cursor);
          // Scenario 2b: 3 items added, 3 edited, 3 deleted (POST .../sandbox/changes in the app),
          // then a re-sync from the cursor: what edits and deletions cost next to "nothing changed".
          const asked = c.change({ add: 3, edit: 3, delete: 3 });
          const edits = await runSync(p, sb, c.token, asked.added + asked.edited, "paced", changed.cursor);
          console.log(`[bench:sync] ${p} done (${Math.round(paced.seconds)} s paced)`);
          return {
            provider: p,
            throughput: {
              paced: { ...strip(paced), quotaBound: bound, ratioToBound: bound.itemsPerSecond ? round(paced.itemsPerSecond / bound.itemsPerSecond, 2) : null },
              baseline: { ...strip(baseline), quotaBound: baseBound, ratioToBound: baseBound.itemsPerSecond ? round(baseline.itemsPerSecond / baseBound.itemsPerSecond, 2) : null },
            },
            incremental: { full: strip(first), unchanged: strip(same), onePercent: strip(changed), changes: { ...strip(edits), asked: { added: asked.added, edited: asked.edited, deleted: asked.deleted } } },
          };
        } finally {
          await sb.close();
        }
      }),
    );
    writeFileSync(out, JSON.stringify({ latencyMs: latency, providers: results }, null, 2));
    for (const r of results) expect(r.throughput.paced.docs + r.throughput.paced.failures).toBeGreaterThan(0);
  });
});
