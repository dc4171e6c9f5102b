// Shared by the sandbox and connector tests: a Slack sandbox on a real 127.0.0.1 port, backed by
// the in-memory SandboxAuth (Slack bot tokens have no refresh token), with mutable scenarios
// and a per-account request count kept by the server side.
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import { sandboxChangeView, type SandboxChange, type SandboxChangeKind, type SandboxScenario } from "@/lib/contract";
import { createSlackSandbox } from "./handler";
import { slackChangeModel } from "./changes";

export interface SlackTestAccount {
  token: string;
  key: string;
  /** Requests the server received with this token so far (any method, any answer). */
  served(): number;
  /** Methods the server received with this token, in order. */
  methods(): string[];
  setScenario(patch: Partial<SandboxScenario>): void;
  scenario(): SandboxScenario;
  /** Appends one change to the account's log (as the app's change log would hold it). */
  change(kind: SandboxChangeKind, index: number, at?: number): SandboxChange;
  /**
   * Like POST .../sandbox/changes (lib/sandbox/changes.ts, whose store is the database): adds
   * first, then edits and deletes of distinct items the model allows, at random. Returns the
   * external ids touched.
   */
  applyChanges(request: { add?: number; edit?: number; delete?: number }): { added: string[]; edited: string[]; deleted: string[] };
  changes(): readonly SandboxChange[];
}

export interface SlackSandboxFixture {
  server: SandboxServer;
  auth: MemorySandboxAuth;
  /** What ctx.baseUrl is in the app: `<origin>/sandbox/slack/api` (here `<origin>/slack/api`). */
  baseUrl: string;
  account(scenario: Partial<SandboxScenario>): SlackTestAccount;
  close(): Promise<void>;
}

let seq = 0;

export async function startSlackSandbox(now?: () => number): Promise<SlackSandboxFixture> {
  const auth = new MemorySandboxAuth();
  // The app's SandboxAuth loads each account's change log with it (lib/sandbox/accounts.ts); here
  // the log lives in memory beside the memory auth.
  const logs = new Map<string, SandboxChange[]>();
  const withChanges: SandboxAuth = {
    async checkAccessToken(token) {
      const check = await auth.checkAccessToken(token);
      return check.status === "ok" ? { status: "ok", account: { ...check.account, changes: [...(logs.get(check.account.key) ?? [])] } } : check;
    },
    refresh: (token, opts) => auth.refresh(token, opts),
  };
  const handler = createSlackSandbox({ auth: withChanges, now });
  const log = new Map<string, string[]>();
  const server = await serveSandbox({
    "/slack": async (req, subpath) => {
      const header = req.headers.get("authorization") ?? "";
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (token) {
        const list = log.get(token) ?? [];
        list.push(subpath.replace(/^\/api\//, ""));
        log.set(token, list);
      }
      return handler(req, subpath);
    },
  });
  return {
    server,
    auth,
    baseUrl: `${server.url}/slack/api`,
    account(partial) {
      const key = `slack-test-${process.pid}-${++seq}-${Date.now()}`;
      let scenario: SandboxScenario = { items: 0, latency_ms: 0, fault: "none", ...partial };
      const { accessToken } = auth.account(key, scenario, false);
      const changeLog = (): SandboxChange[] => logs.get(key) ?? [];
      const change = (kind: SandboxChangeKind, index: number, at = Date.now()): SandboxChange => {
        const c: SandboxChange = { seq: (changeLog().at(-1)?.seq ?? 0) + 1, kind, index, at };
        logs.set(key, [...changeLog(), c]);
        return c;
      };
      return {
        token: accessToken,
        key,
        served: () => log.get(accessToken)?.length ?? 0,
        methods: () => [...(log.get(accessToken) ?? [])],
        setScenario(patch) {
          scenario = { ...scenario, ...patch };
          auth.setScenario(key, scenario);
          logs.delete(key); // a new scenario is a new dataset
        },
        scenario: () => scenario,
        change,
        changes: () => changeLog(),
        applyChanges(request) {
          const before = sandboxChangeView(scenario, changeLog());
          const account = { key, scenario, changes: changeLog() };
          const taken = new Set<number>();
          const pick = (n: number): number[] => {
            const out: number[] = [];
            const ok = (i: number) => !taken.has(i) && !before.deletes.has(i) && (slackChangeModel.changeable?.(i, account) ?? true);
            for (let t = 0; t < 500 && out.length < n && before.count > 0; t++) {
              const i = Math.floor(Math.random() * before.count);
              if (ok(i)) (taken.add(i), out.push(i));
            }
            for (let i = before.count - 1; i >= 0 && out.length < n; i--) if (ok(i)) (taken.add(i), out.push(i));
            return out;
          };
          const adds = Array.from({ length: request.add ?? 0 }, (_, k) => before.count + k);
          const edits = pick(request.edit ?? 0);
          const deletes = pick(request.delete ?? 0);
          adds.forEach((i) => change("add", i));
          edits.forEach((i) => change("edit", i));
          deletes.forEach((i) => change("delete", i));
          const after = { key, scenario, changes: changeLog() };
          const id = (i: number) => slackChangeModel.externalId(i, after);
          return { added: adds.map(id), edited: edits.map(id), deleted: deletes.map(id) };
        },
      };
    },
    close: () => server.close(),
  };
}
