// SMTP down for the whole run, then back: runs end on time regardless, every email waits in
// the outbox (retrying, saying why), and once a real SMTP server (smtp-server, STARTTLS, on
// loopback) answers, each run's email arrives exactly once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import selfsigned from "selfsigned";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";
import { freePort } from "@/tests/helpers/server";
import { assertDatabaseInvariants, logTail, report, sleep, startApp, until, type ChaosApp } from "./helpers";

interface Mail {
  to: string[];
  messageId: string;
}

let dir: string;
let smtpPort: number;
let tls: { key: string; cert: string };
let smtp: SMTPServer | undefined;
const received: Mail[] = [];
let app: ChaosApp;

function startSmtp(): Promise<void> {
  const server = new SMTPServer({
    key: tls.key,
    cert: tls.cert,
    authOptional: true,
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
      stream.on("end", () => {
        const messageId = /^message-id:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? "";
        // Sync emails only: the verification email each user got at sign-up is not counted.
        if (!messageId.includes(".verify_email@")) received.push({ to: session.envelope.rcptTo.map((r) => r.address), messageId });
        cb();
      });
    },
  });
  smtp = server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(smtpPort, "127.0.0.1", () => resolve());
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sb-chaos-smtp-"));
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  tls = { key: pems.private, cert: pems.cert };
  writeFileSync(path.join(dir, "ca.pem"), pems.cert);
  // Reserved, but nobody listens yet: the mail server is down.
  smtpPort = await freePort();
  app = await startApp({
    env: {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtpPort),
      SMTP_FROM_EMAIL: "noreply@brain.test",
      SMTP_TLS_CA: path.join(dir, "ca.pem"),
      NOTIFY_RETRY_BASE_MS: "300",
    },
  });
});
afterAll(async () => {
  await app?.close();
  if (smtp) await new Promise<void>((r) => smtp!.close(() => r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("SMTP down for the whole run, then back", () => {
  it("ends the runs on time, keeps every email, and delivers each exactly once when SMTP returns", async () => {
    const users = await Promise.all([0, 1, 2].map(() => TestUser.signUp(app.server.baseUrl)));
    const faults = ["none", "item_errors", "server_error"];
    const runs = await Promise.all(
      users.map(async (u, i) => {
        await u.connectSandbox("github", { items: 40, latency_ms: 0, fault: faults[i]! });
        const { syncId } = await u.startSync("github");
        return { user: u, syncId, end: await u.waitForTerminal(syncId, 20_000) };
      }),
    );
    expect(runs.map((r) => r.end.status)).toEqual(["complete", "complete", "error"]);

    // Every email waits in the outbox, retried, with the reason recorded.
    const rows = await until("three retried emails", async () => {
      const r = await queryDb<{ runId: string; status: string; attempts: number; lastError: string | null }>(
        app.databaseUrl,
        // Sync emails only: each user's verification email (sign-up) waits in the outbox too.
        `SELECT "runId", status, attempts, "lastError" FROM notification WHERE kind LIKE 'sync%'`,
      );
      return r.length === 3 && r.every((n) => Number(n.attempts) >= 2) ? r : null;
    });
    for (const n of rows) {
      expect(n.status).toBe("pending");
      expect(n.lastError, "the reason is recorded").toBeTruthy();
    }
    expect(received).toEqual([]);

    await startSmtp();
    const upAt = Date.now();
    await until(
      "every email delivered",
      async () => {
        const sent = await queryDb<{ n: number | string }>(app.databaseUrl, `SELECT COUNT(*) AS n FROM notification WHERE status = 'sent' AND kind LIKE 'sync%'`);
        return Number(sent[0]!.n) === 3 && received.length >= 3;
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${logTail(app)}`);
    });
    const deliveredIn = Date.now() - upAt;
    // A few more sender rounds: still one each.
    await sleep(2000);
    for (const r of runs) expect(received.filter((m) => m.to.includes(r.user.email)), r.user.email).toHaveLength(1);
    expect(new Set(received.map((m) => m.messageId)).size).toBe(received.length);
    expect(received).toHaveLength(3);
    await assertDatabaseInvariants(app.databaseUrl);
    report("SMTP down, then back", [
      `3 runs ended (2 complete, 1 error) while SMTP was down; each email retried ${rows.map((r) => r.attempts).join(", ")} times meanwhile`,
      `all 3 delivered ${(deliveredIn / 1000).toFixed(1)} s after SMTP came back, each exactly once`,
    ]);
  });
});
