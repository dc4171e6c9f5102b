// Shared by the sandbox and connector tests: a Box sandbox on a real 127.0.0.1 port whose
// accounts live in an in-memory SandboxAuth (same token rules as the app's: expiry, rotation).
import type { SandboxScenario } from "@/lib/contract";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createBoxSandbox } from "./handler";

export interface BoxTestAccount {
  key: string;
  accessToken: string;
  refreshToken: string;
  /** Replaces the account's scenario (e.g. raise items between two syncs). */
  set(scenario: Partial<SandboxScenario>): void;
  scenario(): SandboxScenario;
}

export interface BoxSandboxFixture {
  server: SandboxServer;
  /** What the connector gets as ctx.baseUrl, e.g. http://127.0.0.1:1234/box */
  baseUrl: string;
  /** The OAuth token endpoint, e.g. http://127.0.0.1:1234/box/oauth2/token */
  tokenUrl: string;
  auth: MemorySandboxAuth;
  account(scenario: Partial<SandboxScenario>): BoxTestAccount;
  close(): Promise<void>;
}

let seq = 0;

export async function startBoxSandbox(opts: { now?: () => number; wrap?: (handler: (req: Request, subpath: string) => Promise<Response>) => (req: Request, subpath: string) => Promise<Response> } = {}): Promise<BoxSandboxFixture> {
  const auth = new MemorySandboxAuth();
  const handler = createBoxSandbox({ auth, now: opts.now });
  const server = await serveSandbox({ "/box": opts.wrap ? opts.wrap(handler) : handler });
  return {
    server,
    baseUrl: `${server.url}/box`,
    tokenUrl: `${server.url}/box/oauth2/token`,
    auth,
    account(partial) {
      const key = `box-test-${process.pid}-${++seq}-${Date.now()}`;
      let scenario: SandboxScenario = { items: 0, latency_ms: 0, fault: "none", ...partial };
      const tokens = auth.account(key, scenario);
      return {
        key,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken!,
        set(next) {
          scenario = { ...scenario, ...next };
          auth.setScenario(key, scenario);
        },
        scenario: () => scenario,
      };
    },
    close: () => server.close(),
  };
}
