// Shared by the sandbox and connector tests: a Box sandbox on a real 127.0.0.1 port whose
// accounts live in an in-memory SandboxAuth (same token rules as the app's: expiry, rotation).
import type { SandboxChange, SandboxScenario } from "@/lib/contract";
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createBoxSandbox } from "./handler";
import type { BoxChange } from "./state";

export interface BoxTestAccount {
  key: string;
  accessToken: string;
  refreshToken: string;
  /** Replaces the account's scenario (e.g. raise items between two syncs). */
  set(scenario: Partial<SandboxScenario>): void;
  scenario(): SandboxScenario;
  /**
   * Appends to the account's change log, as POST .../sandbox/changes does (adds take the next
   * index: scenario.items + adds so far); "restore" is the sandbox's own ITEM_UNDELETE_VIA_TRASH.
   * Returns the indices touched.
   */
  change(kind: BoxChange["kind"], index?: number, at?: number): number;
  changes(): readonly BoxChange[];
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
  // The app's accounts carry their change log (lib/sandbox/accounts.ts); the in-memory auth's get it here.
  const logs = new Map<string, BoxChange[]>();
  const withChanges: SandboxAuth = {
    async checkAccessToken(token) {
      const check = await auth.checkAccessToken(token);
      if (check.status !== "ok") return check;
      return { status: "ok", account: { ...check.account, changes: (logs.get(check.account.key) ?? []) as unknown as SandboxChange[] } };
    },
    refresh: (token, o) => auth.refresh(token, o),
  };
  const handler = createBoxSandbox({ auth: withChanges, now: opts.now });
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
          logs.delete(key); // a new scenario is a new dataset (lib/sandbox/changes-store.ts)
        },
        scenario: () => scenario,
        change(kind, index, at = Date.now()) {
          const log = logs.get(key) ?? [];
          const i = kind === "add" ? scenario.items + log.filter((c) => c.kind === "add").length : index!;
          log.push({ seq: log.length + 1, kind, index: i, at });
          logs.set(key, log);
          return i;
        },
        changes: () => logs.get(key) ?? [],
      };
    },
    close: () => server.close(),
  };
}
