// Shared by the sandbox and connector tests: a Gmail sandbox on a real 127.0.0.1 port, mounted
// at /sandbox/gmail like in the app, with in-memory accounts and a log of what it was asked.
import type { SandboxChange, SandboxChangeKind, SandboxScenario } from "@/lib/contract";
import type { SandboxAuth } from "@/lib/sandbox/accounts";
import { serveSandbox, type SandboxServer } from "@/lib/sandbox/http";
import { MemorySandboxAuth } from "@/lib/sandbox/memory-auth";
import { createGmailSandbox } from "./handler";

export interface GmailTestAccount {
  key: string;
  accessToken: string;
  refreshToken: string;
  scenario: SandboxScenario;
  /** Changes the account's scenario (e.g. more items, another fault). */
  update(change: Partial<SandboxScenario>): void;
  /** Appends changes to the account's dataset, like POST .../sandbox/changes (item indices chosen by the test). */
  change(...changes: Array<[SandboxChangeKind, number]>): void;
  readonly changes: SandboxChange[];
}

export interface GmailSandboxFixture {
  server: SandboxServer;
  /** What the connector's ctx.baseUrl is in sandbox mode: `<origin>/sandbox/gmail`. */
  baseUrl: string;
  /** The OAuth token endpoint: `<origin>/sandbox/gmail/token`. */
  tokenUrl: string;
  auth: MemorySandboxAuth;
  /** Every request the sandbox received: "GET /gmail/v1/users/me/messages?maxResults=500". */
  hits: string[];
  account(scenario?: Partial<SandboxScenario>): GmailTestAccount;
  close(): Promise<void>;
}

let seq = 0;

export async function startGmailSandbox(now?: () => number): Promise<GmailSandboxFixture> {
  const auth = new MemorySandboxAuth();
  // The app loads each account's change log with its token (lib/sandbox/accounts.ts); here, from memory.
  const logs = new Map<string, SandboxChange[]>();
  const withChanges: SandboxAuth = {
    async checkAccessToken(token) {
      const check = await auth.checkAccessToken(token);
      return check.status === "ok" ? { status: "ok", account: { ...check.account, changes: logs.get(check.account.key) ?? [] } } : check;
    },
    refresh: (token, opts) => auth.refresh(token, opts),
  };
  const handler = createGmailSandbox({ auth: withChanges, now });
  const hits: string[] = [];
  const server = await serveSandbox({
    "/sandbox/gmail": (req, subpath) => {
      hits.push(`${req.method} ${subpath}${new URL(req.url).search}`);
      return handler(req, subpath);
    },
  });
  const baseUrl = `${server.url}/sandbox/gmail`;
  return {
    server,
    baseUrl,
    tokenUrl: `${baseUrl}/token`,
    auth,
    hits,
    account(scenario = {}) {
      const key = `gmail-test-${process.pid}-${++seq}-${Date.now()}`;
      const full: SandboxScenario = { items: 0, latency_ms: 0, fault: "none", ...scenario };
      const tokens = auth.account(key, full);
      const log: SandboxChange[] = [];
      logs.set(key, log);
      const account: GmailTestAccount = {
        changes: log,
        change(...changes) {
          for (const [kind, index] of changes) log.push({ seq: log.length + 1, kind, index, at: Date.now() });
        },
        key,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken!,
        scenario: full,
        update(change) {
          account.scenario = { ...account.scenario, ...change };
          auth.setScenario(key, account.scenario);
        },
      };
      return account;
    },
    close: () => server.close(),
  };
}
