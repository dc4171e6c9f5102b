// Email end to end: the built app sends through a real SMTP server on loopback (smtp-server
// with STARTTLS and AUTH, a certificate generated here and trusted through SMTP_TLS_CA),
// syncs run against the GitHub sandbox, and every assertion reads what really arrived.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import selfsigned from "selfsigned";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { TEST_SETTINGS, freePort, startServer, type RunningServer } from "@/tests/helpers/server";
import { createPgDatabase, dropPgDatabase, usePostgres } from "@/tests/helpers/pg";
import type { NotificationDetail, NotificationSummary } from "@/lib/notify/types";

const require = createRequire(import.meta.url);
const SMTP_USER = "brain-mailer";
const SMTP_PASSWORD = "Tr0ub4dor-smtp-secret";
const FROM = "noreply@brain.test";
const RETRY_BASE_MS = 300;

// ---------- a tiny mail server and a tiny MIME reader ----------

interface Received {
  to: string[];
  from: string;
  headers: Map<string, string>;
  subject: string;
  messageId: string;
  html: string;
  text: string;
  secure: boolean;
  user: string | undefined;
  at: number;
}

function decodeBytes(text: string, encoding: string): string {
  if (/base64/i.test(encoding)) return Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    const soft = text.replace(/=\r?\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i += 1) {
      if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...Buffer.from(soft[i]!, "utf8"));
    }
    return Buffer.from(bytes).toString("utf8");
  }
  return text;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=), as nodemailer writes non-ASCII headers. */
function decodeHeader(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === "B" ? Buffer.from(data, "base64").toString("utf8") : decodeBytes(data.replace(/_/g, " "), "quoted-printable"),
    );
}

function parseHeaders(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !map.has(line.slice(0, i).toLowerCase())) map.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return map;
}

function splitMessage(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  return { headers: parseHeaders(raw.slice(0, at)), body: raw.slice(at).replace(/^\r?\n\r?\n/, "") };
}

function parts(raw: string): { html: string; text: string } {
  const { headers, body } = splitMessage(raw);
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) {
    const decoded = decodeBytes(body, headers.get("content-transfer-encoding") ?? "7bit").replace(/\r\n/g, "\n");
    return type.startsWith("text/html") ? { html: decoded, text: "" } : { html: "", text: decoded };
  }
  const out = { html: "", text: "" };
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith("--")) break;
    const p = parts(chunk.replace(/^\r?\n/, "").replace(/\r?\n$/, ""));
    out.html ||= p.html;
    out.text ||= p.text;
  }
  return out;
}

class MailServer {
  readonly received: Received[] = [];
  /** What the server accepts; a test changes it to play "wrong password". */
  password = SMTP_PASSWORD;
  private server: SMTPServer | undefined;

  constructor(
    readonly port: number,
    private readonly tls: { key: string; cert: string },
  ) {}

  async start(): Promise<void> {
    const server = new SMTPServer({
      key: this.tls.key,
      cert: this.tls.cert,
      authMethods: ["PLAIN", "LOGIN"],
      // Login only after STARTTLS: a client that does not upgrade cannot send at all.
      allowInsecureAuth: false,
      logger: false,
      closeTimeout: 1000,
      onAuth: (auth, _session, cb) => {
        if (auth.username === SMTP_USER && auth.password === this.password) return cb(null, { user: auth.username });
        return cb(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
      },
      onData: (stream, session: SMTPServerSession, cb) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const { headers } = splitMessage(raw);
          this.received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: decodeHeader(headers.get("from") ?? ""),
            headers,
            subject: decodeHeader(headers.get("subject") ?? ""),
            messageId: headers.get("message-id") ?? "",
            ...parts(raw),
            secure: session.secure,
            user: typeof session.user === "string" ? session.user : undefined,
            at: Date.now(),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sync emails to `email` (not the address's verification email, which sign-up sends first). */
  to(email: string): Received[] {
    return this.received.filter((m) => m.to.includes(email) && !m.messageId.includes(".verify_email@"));
  }
}

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The user's sync emails (their address's verification email, from sign-up, left out). */
async function listOf(user: TestUser): Promise<NotificationSummary[]> {
  const r = await user.json<{ success: boolean; notifications: NotificationSummary[] }>("/api/notifications");
  expect(r.status).toBe(200);
  return r.body.notifications.filter((n) => n.kind !== "verify_email");
}

async function notificationFor(user: TestUser, syncId: string): Promise<NotificationSummary | undefined> {
  return (await listOf(user)).find((n) => n.run_id === syncId);
}

// ---------- the suite ----------

let dir: string;
let databaseUrl: string;
let smtp: MailServer;
let app: RunningServer;
let smtpEnv: Record<string, string>;
const extraServers: RunningServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sb-notify-"));
  // TEST_DATABASE=postgres: a fresh PostgreSQL database instead of the SQLite file.
  databaseUrl = usePostgres() ? await createPgDatabase() : `file:${path.join(dir, "app.db")}`;
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  const caPath = path.join(dir, "smtp-ca.pem");
  writeFileSync(caPath, pems.cert);
  smtp = new MailServer(await freePort(), { key: pems.private, cert: pems.cert });
  await smtp.start();
  smtpEnv = {
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp.port),
    SMTP_USER,
    SMTP_PASSWORD,
    SMTP_FROM_EMAIL: FROM,
    SMTP_FROM_NAME: "2nd Brain",
    SMTP_TLS_CA: caPath,
    NOTIFY_RETRY_BASE_MS: String(RETRY_BASE_MS),
  };
  app = await startServer({ databaseUrl, env: smtpEnv });
});

afterAll(async () => {
  for (const s of [app, ...extraServers]) await s?.stop();
  await smtp?.stop();
  if (databaseUrl?.startsWith("postgres")) await dropPgDatabase(databaseUrl);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("email over SMTP (STARTTLS + AUTH)", () => {
  let user: TestUser;
  let firstSync: string;

  it("sends exactly one completion email with the counts, the failed items, the link and the From", async () => {
    user = await TestUser.signUp(app.baseUrl);
    await user.connectSandbox("github", { items: 40, latency_ms: 0, fault: "item_errors" });
    const { syncId } = await user.startSync("github");
    firstSync = syncId;
    const end = await user.waitForTerminal(syncId);
    const endedAt = Date.now();
    expect(end).toMatchObject({ status: "complete", total_items: 40, processed_items: 36, failed_items: 4 });

    const [mail] = await until("the completion email", () => (smtp.to(user.email).length ? smtp.to(user.email) : null));
    // Woken by the terminal event, not by the 5 s poll.
    expect(mail!.at - endedAt).toBeLessThan(2500);
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe(SMTP_USER);
    expect(mail!.subject).toBe("GitHub sync complete — 36 items, 4 failed");
    expect(mail!.from).toMatch(/^"?2nd Brain"? <noreply@brain\.test>$/);
    expect(mail!.headers.get("to")).toBe(user.email);
    expect(mail!.text).toMatch(/^Found: +40$/m);
    expect(mail!.text).toMatch(/^Processed: +36$/m);
    expect(mail!.text).toMatch(/^Failed: +4$/m);
    expect(mail!.text).toMatch(/^Duration: +[\d.]+ s$/m);
    expect(mail!.text).toContain("First 4 failed items:");
    expect(mail!.text.match(/^- .+: .+$/gm)?.length).toBe(4);
    expect(mail!.text).toContain(`Open Integrations: ${app.baseUrl}/integrations`);
    expect(mail!.html).toContain(`href="${app.baseUrl}/integrations"`);
    expect(mail!.html).toContain("First 4 failed items");

    // The API shows it as sent, under the same stable Message-ID.
    const n = await until("status sent", async () => {
      const row = await notificationFor(user, syncId);
      return row?.status === "sent" ? row : null;
    });
    expect(n).toMatchObject({ kind: "sync_complete", status: "sent", attempts: 1, last_error: null, to_email: user.email, subject: mail!.subject });
    expect(n.message_id).toBe(mail!.messageId);
    expect(n.message_id).toBe(`<${n.id}.sync_complete@brain.test>`);

    const detail = await user.json<{ notification: NotificationDetail }>(`/api/notifications/${n.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.notification.text.trimEnd()).toBe(mail!.text.trimEnd());
    expect(detail.body.notification.html).toContain("First 4 failed items");

    // Several poll rounds later: still exactly one.
    await sleep(1500);
    expect(smtp.to(user.email)).toHaveLength(1);
  });

  it("records at most one email per run and kind in the database, whatever writes the run's end again", async () => {
    // This test process opens the app's database directly (the app keeps running).
    const previousUrl = process.env.DATABASE_URL;
    process.env.DATABASE_URL = databaseUrl;
    const { db } = await import("@/lib/db");
    const { enqueueRunNotification } = await import("@/lib/notify/outbox");
    try {
      // Two more "terminal writes" for the same run, at the same time: nothing new.
      const added = await Promise.all([
        db().$transaction((tx) => enqueueRunNotification(tx, { id: firstSync, status: "complete" })),
        db().$transaction((tx) => enqueueRunNotification(tx, { id: firstSync, status: "complete" })),
      ]);
      expect(added).toEqual([false, false]);
      // And the database itself refuses a second row, however it is written.
      const row = await db().notification.findFirstOrThrow({ where: { runId: firstSync } });
      const { id: _id, ...copy } = row;
      await expect(db().notification.create({ data: copy })).rejects.toMatchObject({ code: "P2002" });
      expect(await db().notification.count({ where: { runId: firstSync } })).toBe(1);
    } finally {
      await db().$disconnect();
      delete (globalThis as Record<symbol, unknown>)[Symbol.for("2nd-brain.db")];
      if (previousUrl === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previousUrl;
    }
    await sleep(500);
    expect(smtp.to(user.email)).toHaveLength(1);
  });

  it.each([
    // What went wrong, in a person's words (the status code stays in the run's error_detail).
    ["expired_token", /GitHub no longer accepts 2nd Brain's access\. Reconnect GitHub/, /Reconnect GitHub on the Integrations page/, "Reconnect GitHub", "/integrations"],
    ["server_error", /GitHub is having trouble right now/, /This is usually temporary\. Try the sync again/, "Retry the sync", "/integrations?sync=github"],
  ])("a %s sync sends one failure email with advice and the right link", async (fault, what, advice, action, link) => {
    const u = await TestUser.signUp(app.baseUrl);
    await u.connectSandbox("github", { items: 30, latency_ms: 0, fault });
    const { syncId } = await u.startSync("github");
    const end = await u.waitForTerminal(syncId);
    expect(end.status).toBe("error");

    const [mail] = await until("the failure email", () => (smtp.to(u.email).length ? smtp.to(u.email) : null));
    expect(mail!.subject).toBe("GitHub sync failed");
    expect(mail!.text).toContain(`What went wrong: ${end.error_message}`);
    expect(mail!.text).toMatch(what);
    expect(mail!.text).toMatch(advice);
    expect(mail!.text).toContain(`${action}: ${app.baseUrl}${link}\n`);
    expect(mail!.html).toContain(`href="${app.baseUrl}${link}"`);
    expect(mail!.html).toContain(`>${action}</a>`);
    const n = await until("sent", async () => ((await notificationFor(u, syncId))?.status === "sent" ? notificationFor(u, syncId) : null));
    expect(n).toMatchObject({ kind: "sync_failed", status: "sent" });
    await sleep(1000);
    expect(smtp.to(u.email)).toHaveLength(1);
  });

  it("sends nothing on success when the user chose failures only, and still sends the failure", async () => {
    const u = await TestUser.signUp(app.baseUrl);
    // The default since issue 15: only when something changed or failed.
    expect(await u.json("/api/settings/notifications")).toEqual({ status: 200, body: { success: true, notifyOn: "changes" } });
    const put = await u.json("/api/settings/notifications", { method: "PUT", body: JSON.stringify({ notifyOn: "failures" }) });
    expect(put).toEqual({ status: 200, body: { success: true, notifyOn: "failures" } });
    expect((await u.json("/api/settings/notifications")).body).toEqual({ success: true, notifyOn: "failures" });

    await u.connectSandbox("github", { items: 20, latency_ms: 0, fault: "none" });
    const ok = await u.startSync("github");
    expect((await u.waitForTerminal(ok.syncId)).status).toBe("complete");
    await sleep(2000);
    expect(smtp.to(u.email)).toHaveLength(0);
    expect(await listOf(u)).toEqual([]);

    await u.connectSandbox("github", { items: 20, latency_ms: 0, fault: "server_error" });
    const bad = await u.startSync("github");
    expect((await u.waitForTerminal(bad.syncId)).status).toBe("error");
    const mails = await until("the failure email", () => (smtp.to(u.email).length ? smtp.to(u.email) : null));
    expect(mails.map((m) => m.subject)).toEqual(["GitHub sync failed"]);

    // "never": not even failures.
    await u.json("/api/settings/notifications", { method: "PUT", body: JSON.stringify({ notifyOn: "never" }) });
    const again = await u.startSync("github");
    expect((await u.waitForTerminal(again.syncId)).status).toBe("error");
    await sleep(1500);
    expect(smtp.to(u.email)).toHaveLength(1);
    expect((await listOf(u)).map((n) => n.run_id)).toEqual([bad.syncId]);
  });

  it("keeps a sync on time while SMTP is down, then delivers its email exactly once when SMTP is back", async () => {
    const u = await TestUser.signUp(app.baseUrl);
    await u.connectSandbox("github", { items: 40, latency_ms: 0, fault: "none" });
    await smtp.stop();
    try {
      const started = Date.now();
      const { syncId } = await u.startSync("github");
      const end = await u.waitForTerminal(syncId);
      expect(end).toMatchObject({ status: "complete", processed_items: 40, failed_items: 0 });
      expect(Date.now() - started).toBeLessThan(5000);

      // The email waits in the outbox, retrying, with a readable reason.
      const waiting = await until("a failed attempt", async () => {
        const n = await notificationFor(u, syncId);
        return n && n.attempts >= 2 ? n : null;
      });
      expect(waiting.status).toBe("pending");
      expect(waiting.last_error).toBe(`Could not connect to the mail server 127.0.0.1:${smtp.port} (connection refused). Is it running?`);
      expect(Date.parse(waiting.next_attempt_at!)).toBeGreaterThan(Date.parse(waiting.created_at));
      expect(smtp.to(u.email)).toHaveLength(0);
    } finally {
      await smtp.start();
    }
    const mails = await until("the delayed email", () => (smtp.to(u.email).length ? smtp.to(u.email) : null), 30_000);
    expect(mails[0]!.subject).toBe("GitHub sync complete — 40 items");
    const sent = await until("sent", async () => {
      const n = (await listOf(u))[0];
      return n?.status === "sent" ? n : null;
    });
    expect(sent.last_error).toBeNull();
    expect(sent.attempts).toBeGreaterThanOrEqual(3);
    expect(sent.message_id).toBe(mails[0]!.messageId);
    await sleep(2000);
    expect(smtp.to(u.email)).toHaveLength(1);
  });

  it("records a refused login where the user can see it, without the password, and the sync is unaffected", async () => {
    const u = await TestUser.signUp(app.baseUrl);
    await u.connectSandbox("github", { items: 25, latency_ms: 0, fault: "none" });
    smtp.password = "the-server-now-wants-this";
    try {
      const { syncId } = await u.startSync("github");
      const end = await u.waitForTerminal(syncId);
      expect(end).toMatchObject({ status: "complete", total_items: 25, processed_items: 25, failed_items: 0 });

      const n = await until("a recorded login failure", async () => {
        const row = await notificationFor(u, syncId);
        return row?.last_error ? row : null;
      });
      expect(n.status).toBe("pending");
      expect(n.last_error).toMatch(/^The mail server 127\.0\.0\.1:\d+ refused the login\. The server said: "535 Authentication credentials invalid"\. Check SMTP_USER and SMTP_PASSWORD\.$/);
      const everything = JSON.stringify(await u.json(`/api/notifications/${n.id}`)) + JSON.stringify(await listOf(u));
      expect(everything).not.toContain(SMTP_PASSWORD);
      expect(everything).not.toContain(Buffer.from(SMTP_PASSWORD).toString("base64"));
      expect(smtp.to(u.email)).toHaveLength(0);
      expect((await u.progress(syncId)).status).toBe("complete");
    } finally {
      smtp.password = SMTP_PASSWORD;
    }
    // Fixed on the server side: the next retry goes through, once.
    await until("delivery after the fix", () => smtp.to(u.email).length === 1, 30_000);
    await sleep(1500);
    expect(smtp.to(u.email)).toHaveLength(1);
  });

  it("shows each user only their own emails; others' ids answer 404", async () => {
    const mine = await listOf(user);
    expect(mine.map((n) => n.run_id)).toEqual([firstSync]);
    const stranger = await TestUser.signUp(app.baseUrl);
    expect(await listOf(stranger)).toEqual([]);
    for (const id of [mine[0]!.id, "c".repeat(25), "../etc/passwd", "x"]) {
      const r = await stranger.json(`/api/notifications/${encodeURIComponent(id)}`);
      expect(r).toEqual({ status: 404, body: { success: false, error: "No such notification", code: "not_found" } });
    }
    expect((await fetch(`${app.baseUrl}/api/notifications`)).status).toBe(401);
    expect((await fetch(`${app.baseUrl}/api/settings/notifications`)).status).toBe(401);
  });

  it.each([
    ["an unknown choice", JSON.stringify({ notifyOn: "sometimes" }), 400, /notifyOn must be one of: all, changes, failures, never/],
    ["no choice", "{}", 400, /notifyOn/],
    ["an extra field", JSON.stringify({ notifyOn: "all", x: 1 }), 400, /x/],
    ["broken JSON", "{nope", 400, /not valid JSON/],
    ["an array", "[]", 400, /object/],
  ])("rejects %s with a 4xx JSON error and keeps the setting", async (_, body, status, message) => {
    const r = await user.json<{ success: boolean; error: string }>("/api/settings/notifications", { method: "PUT", body });
    expect(r.status).toBe(status);
    expect(r.body.success).toBe(false);
    expect(r.body.error).toMatch(message);
    expect((await user.json("/api/settings/notifications")).body).toEqual({ success: true, notifyOn: "changes" });
  });
});

/**
 * A second instance of the same build on the same database. Started with `next start`
 * directly: the first instance already applied the migrations, and `prisma migrate deploy`
 * cannot run while another process has the SQLite file open.
 */
async function startSecondInstance(): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [require.resolve("next/dist/bin/next"), "start", "-p", String(port)], {
    env: { ...process.env, ...TEST_SETTINGS, ...smtpEnv, PORT: String(port), DATABASE_URL: databaseUrl, APP_SECRET: "integration-test-secret-0123456789abcdef", APP_URL: baseUrl, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await until("the second instance", async () => {
    if (child.exitCode !== null) throw new Error(`second instance exited:\n${output}`);
    return (await fetch(`${baseUrl}/api/integrations`).catch(() => null))?.status === 401;
  }, 60_000);
  return {
    baseUrl,
    port,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe("two app processes on one database", () => {
  it("deliver each pending email exactly once, however they race for it", async () => {
    const second = await startSecondInstance();
    extraServers.push(second);
    const users = await Promise.all([app, second, app, second].map((s) => TestUser.signUp(s.baseUrl)));
    await smtp.stop();
    const syncIds: string[] = [];
    try {
      for (const u of users) {
        await u.connectSandbox("github", { items: 10, latency_ms: 0, fault: "none" });
        const { syncId } = await u.startSync("github");
        expect((await u.waitForTerminal(syncId)).status).toBe("complete");
        syncIds.push(syncId);
      }
      // Both processes have been failing to send them: let a few retries race.
      await until("retries on every email", async () => {
        const rows = await Promise.all(users.map((u, i) => notificationFor(u, syncIds[i]!)));
        return rows.every((n) => n && n.attempts >= 2);
      });
    } finally {
      await smtp.start();
    }
    await until("all four delivered", () => users.every((u) => smtp.to(u.email).length >= 1), 30_000);
    await sleep(3000);
    for (const [i, u] of users.entries()) {
      const mails = smtp.to(u.email);
      expect(mails, `deliveries to user ${i}`).toHaveLength(1);
      const n = (await notificationFor(u, syncIds[i]!))!;
      expect(n.status).toBe("sent");
      expect(n.message_id).toBe(mails[0]!.messageId);
    }
    const ids = smtp.received.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);

    // Both processes worked on the outbox, and every attempt either of them made is the one
    // the row recorded: no attempt ran twice in parallel (the claim is exclusive).
    const logs = app.output() + second.output();
    let attemptsByFirst = 0;
    let attemptsBySecond = 0;
    for (const [i, u] of users.entries()) {
      const n = (await notificationFor(u, syncIds[i]!))!;
      const failed = [...logs.matchAll(new RegExp(`\\[notify\\] email ${n.id} attempt (\\d+) failed`, "g"))].map((m) => Number(m[1]));
      expect(failed.sort((a, b) => a - b)).toEqual(Array.from({ length: n.attempts - 1 }, (_, k) => k + 1));
      attemptsByFirst += (app.output().match(new RegExp(`email ${n.id} attempt`, "g")) ?? []).length;
      attemptsBySecond += (second.output().match(new RegExp(`email ${n.id} attempt`, "g")) ?? []).length;
    }
    expect(attemptsByFirst).toBeGreaterThan(0);
    expect(attemptsBySecond).toBeGreaterThan(0);
  });
});

describe("start-up with a half-set SMTP configuration", () => {
  it("stops with an error naming the missing variables", async () => {
    const run = startServer({
      databaseUrl: `file:${path.join(dir, "halfset.db")}`,
      env: { SMTP_HOST: "127.0.0.1", SMTP_USER: "someone", SMTP_PASSWORD: "", SMTP_FROM_EMAIL: "" },
    });
    await expect(run).rejects.toThrow(/SMTP_HOST is set but SMTP_FROM_EMAIL and SMTP_PASSWORD are missing/);
  });
});
