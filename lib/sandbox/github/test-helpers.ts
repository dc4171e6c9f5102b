// Shared by the sandbox and connector tests: a GitHub sandbox on a real 127.0.0.1 port whose
// tokens map to mutable scenarios.
import type { SandboxScenario } from "@/lib/contract";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { createGithubSandbox, type SandboxAccount } from "./handler";

export interface GithubSandboxFixture {
  server: SandboxServer;
  /** Octokit baseUrl, e.g. http://127.0.0.1:1234/github */
  baseUrl: string;
  /** Registers a token (fresh rate-limit bucket) and returns it. */
  account(scenario: Partial<SandboxScenario>, login?: string): { token: string; account: SandboxAccount };
  close(): Promise<void>;
}

let seq = 0;

export async function startGithubSandbox(now?: () => number): Promise<GithubSandboxFixture> {
  const accounts = new Map<string, SandboxAccount>();
  const handler = createGithubSandbox({ resolveToken: async (token) => accounts.get(token) ?? null, now });
  const server = await serveSandbox({ "/github": handler });
  return {
    server,
    baseUrl: `${server.url}/github`,
    account(scenario, login) {
      const n = ++seq;
      const token = `gho_test${n}_${Math.random().toString(36).slice(2)}`;
      const account: SandboxAccount = {
        key: `test-${process.pid}-${n}-${Date.now()}`,
        scenario: { items: 0, latency_ms: 0, fault: "none", ...scenario },
        ...(login ? { login } : {}),
      };
      accounts.set(token, account);
      return { token, account };
    },
    close: () => server.close(),
  };
}
