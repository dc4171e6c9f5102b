// Shared by the sandbox and connector tests: a Slack sandbox on a real 127.0.0.1 port, backed by
// the in-memory SandboxAuth (Slack bot tokens have no refresh token), with mutable scenarios
// and a per-account request count kept by the server side.
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import type { SandboxScenario } from "@/lib/contract";
import { createSlackSandbox } from "./handler";

export interface SlackTestAccount {
  token: string;
  key: string;
  /** Requests the server received with this token so far (any method, any answer). */
  served(): number;
  /** Methods the server received with this token, in order. */
  methods(): string[];
  setScenario(patch: Partial<SandboxScenario>): void;
  scenario(): SandboxScenario;
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
  const handler = createSlackSandbox({ auth, now });
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
      return {
        token: accessToken,
        key,
        served: () => log.get(accessToken)?.length ?? 0,
        methods: () => [...(log.get(accessToken) ?? [])],
        setScenario(patch) {
          scenario = { ...scenario, ...patch };
          auth.setScenario(key, scenario);
        },
        scenario: () => scenario,
      };
    },
    close: () => server.close(),
  };
}
