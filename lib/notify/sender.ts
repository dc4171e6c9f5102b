// Delivers the outbox (lib/notify/outbox.ts) over SMTP, in this process, after the run's
// transaction has committed: woken right after a terminal event (lib/notify/wake.ts) and
// polling every few seconds for retries and for mail another process left behind.
//
// Exactly once, and where it is only "at least once":
//  1. At most one email per run and kind exists at all: the unique index (runId, kind) on
//     Notification, written in the transaction that ends the run.
//  2. At most one sender works on an email at a time: a row is claimed with one conditional
//     UPDATE (pending, due, and not locked -> lockedUntil = now + LOCK_MS); a second sender,
//     in this process or another one on the same database, matches zero rows and moves on.
//     LOCK_MS is far longer than a send can take (connection 10 s + greeting 10 s + socket
//     20 s idle per step), so a lock never expires under a live send.
//  3. The remaining window: the SMTP server accepted the message (250 after DATA) but we
//     crash, or lose the database, before recording `sent`. The lock then expires and the
//     email goes again. The same window covers a lost acknowledgement (the server accepted,
//     the reply never reached us: a socket timeout here). We narrow it by recording `sent`
//     in one small UPDATE immediately after the reply (retried a few times if the database
//     is busy), by waiting for an in-flight send on shutdown (stopMailer), and we make the
//     rare repeat recognisable: the Message-ID header is derived from the notification id,
//     so every attempt of one email carries the same Message-ID and mail systems and
//     clients that de-duplicate by Message-ID show it once.
// Sending never changes a run: the run is already terminal when its email is delivered.
import nodemailer from "nodemailer";
import type { Transporter, SMTPSentMessageInfo } from "nodemailer";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { MailConfigError, mailConfig, type SmtpConfig } from "@/lib/notify/config";
import { retryDelayMs } from "@/lib/notify/backoff";
import { describeSendError } from "@/lib/notify/smtp-errors";
import { setMailerWake } from "@/lib/notify/wake";
import type { Notification } from "@/lib/generated/prisma/client";
import { processSingleton } from "@/lib/platform/singleton";
import { logger } from "@/lib/platform/logger";

/** How often the outbox is looked at without a wake-up (retries, other processes' mail). */
export const POLL_MS = 5_000;
/** How long a claim holds an email; far longer than one send can take. */
export const LOCK_MS = 5 * 60_000;
const BATCH = 20;

/** `<id.kind@domain-of-SMTP_FROM_EMAIL>`: the same for every attempt of one email. */
export function messageIdFor(n: Pick<Notification, "id" | "kind">, fromAddress: string): string {
  const domain = fromAddress.split("@")[1]?.replace(/[^A-Za-z0-9.-]/g, "") || "2nd-brain.local";
  return `<${n.id}.${n.kind.replace(/[^a-z_]/g, "")}@${domain}>`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Mailer {
  private config: SmtpConfig | undefined;
  private transporter: Transporter<SMTPSentMessageInfo> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  /** Validates the settings (throws for a half-set SMTP configuration) and starts delivering. */
  start(): void {
    if (this.config || this.stopped) return;
    const config = mailConfig();
    if (config.kind === "outbox") {
      logger.info("[notify] SMTP_HOST is not set: emails are kept in the in-app outbox (/notifications), not sent.");
      return;
    }
    this.config = config;
    this.transporter = nodemailer.createTransport(config.transport);
    setMailerWake(() => this.wake());
    logger.info(`[notify] sending email through ${config.host}:${config.port} as ${config.from.address}`);
    // Mail that failed before this start (an outage, settings fixed since): due again now.
    void db()
      .notification.updateMany({ where: { status: "pending", attempts: { gt: 0 } }, data: { nextAttemptAt: new Date() } })
      .catch((error: unknown) => logger.error({ err: error }, "[notify] could not reschedule pending mail"))
      .finally(() => this.wake());
  }

  /** Looks at the outbox as soon as possible; a pass already running goes round once more. */
  wake(): void {
    if (!this.config || this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * One pass now, awaited: on a serverless host no timer runs between invocations, so the
   * invocation that recorded an email (or the cron) sends what is due before it ends.
   */
  async drainNow(): Promise<void> {
    if (!this.config || this.stopped) return;
    if (this.pass) return this.pass;
    const pass = this.drain()
      .catch((error: unknown) => logger.error({ err: error }, "[notify] outbox pass failed"))
      .finally(() => {
        if (this.pass === pass) this.pass = undefined;
      });
    this.pass = pass;
    return pass;
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    setMailerWake(undefined);
    if (this.timer) clearTimeout(this.timer);
    if (this.pass) await Promise.race([this.pass, sleep(timeoutMs)]);
    this.transporter?.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pass = this.run().finally(() => {
        this.pass = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.stopped);
    } catch (error) {
      logger.error({ err: error }, "[notify] outbox pass failed");
    }
    let next = POLL_MS;
    try {
      next = await this.nextDueIn();
    } catch {
      // poll again later
    }
    // Woken while finishing this pass: go round again at once.
    this.schedule(this.again ? 0 : next);
  }

  /** Sends every email that is due, one at a time, until none is left. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const now = new Date();
      const due = await db().notification.findMany({
        where: { status: "pending", nextAttemptAt: { lte: now }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
        orderBy: { nextAttemptAt: "asc" },
        take: BATCH,
      });
      if (due.length === 0) return;
      let claimedAny = false;
      for (const n of due) {
        if (this.stopped) return;
        const lock = await this.claim(n);
        if (!lock) continue;
        claimedAny = true;
        await this.deliver({ ...n, lockedUntil: lock });
      }
      if (!claimedAny) return; // all taken by another sender
    }
  }

  /**
   * One conditional UPDATE: whoever matches the row owns it until the lock expires. It also
   * matches the attempt count we read, so a row another sender tried meanwhile is re-read.
   */
  private async claim(n: Notification): Promise<Date | null> {
    const now = new Date();
    const lockedUntil = new Date(now.getTime() + LOCK_MS);
    const { count } = await db().notification.updateMany({
      where: {
        id: n.id,
        status: "pending",
        attempts: n.attempts,
        nextAttemptAt: { lte: now },
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      },
      data: { lockedUntil },
    });
    return count === 1 ? lockedUntil : null;
  }

  private async deliver(n: Notification & { lockedUntil: Date }): Promise<void> {
    const config = this.config!;
    let info: SMTPSentMessageInfo;
    try {
      info = await this.transporter!.sendMail({
        from: config.from,
        to: n.toEmail,
        subject: n.subject,
        html: n.html,
        text: n.text,
        messageId: messageIdFor(n, config.from.address),
        headers: { "Auto-Submitted": "auto-generated", "X-2nd-Brain-Notification": n.id },
      });
    } catch (error) {
      await this.recordFailure(n, error);
      return;
    }
    // The server has the message: record it at once (the at-least-once window is until here).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await db().notification.update({
          where: { id: n.id },
          data: { status: "sent", messageId: info.messageId, sentAt: new Date(), attempts: { increment: 1 }, lockedUntil: null, lastError: null },
        });
        return;
      } catch (error) {
        if (attempt >= 5) {
          logger.error({ err: error }, `[notify] email ${n.id} was sent but could not be recorded as sent; it may go out again`);
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  private async recordFailure(n: Notification & { lockedUntil: Date }, error: unknown): Promise<void> {
    const config = this.config!;
    const e = env();
    const failure = describeSendError(error, {
      host: config.host,
      port: config.port,
      secrets: config.secrets,
      user: typeof config.transport.auth?.user === "string" ? config.transport.auth.user : undefined,
    });
    const attempts = n.attempts + 1;
    const giveUp = failure.permanent || attempts >= e.NOTIFY_MAX_ATTEMPTS;
    const delay = retryDelayMs(attempts, e.NOTIFY_RETRY_BASE_MS);
    logger.warn(
      `[notify] email ${n.id} attempt ${attempts} failed: ${failure.message}${giveUp ? " — giving up" : ` — retrying in ${Math.round(delay / 1000)} s`}`,
    );
    await db()
      .notification.updateMany({
        // Only while we still hold the claim.
        where: { id: n.id, status: "pending", lockedUntil: n.lockedUntil },
        data: {
          attempts,
          lastError: failure.message,
          lockedUntil: null,
          ...(giveUp ? { status: "failed" } : { nextAttemptAt: new Date(Date.now() + delay) }),
        },
      })
      .catch((dbError: unknown) => logger.error({ err: dbError }, `[notify] could not record the failure of email ${n.id}`));
  }

  /** Until the earliest pending email is due (bounded by the poll interval). */
  private async nextDueIn(): Promise<number> {
    const next = await db().notification.findFirst({
      where: { status: "pending" },
      orderBy: { nextAttemptAt: "asc" },
      select: { nextAttemptAt: true, lockedUntil: true },
    });
    if (!next) return POLL_MS;
    const at = Math.max(next.nextAttemptAt.getTime(), next.lockedUntil?.getTime() ?? 0);
    return Math.min(POLL_MS, Math.max(50, at - Date.now()));
  }
}

function mailer(): Mailer {
  return processSingleton("mailer", () => new Mailer());
}

/**
 * Called once at server start (lib/sync/boot.ts). A half-set SMTP configuration stops the
 * process with the variables' names: Next.js would otherwise log the failed start-up hook
 * and go on answering every request with a 500.
 */
export function startMailer(): void {
  try {
    mailer().start();
  } catch (error) {
    if (!(error instanceof MailConfigError)) throw error;
    logger.fatal(`[notify] ${error.message}`);
    process.exit(1);
  }
}

/** Sends every email that is due now and waits for it (serverless invocations, the cron). */
export function deliverDueMail(): Promise<void> {
  return mailer().drainNow();
}

/** On shutdown: lets an in-flight send finish and be recorded (narrows the repeat window). */
export function stopMailer(): Promise<void> {
  return mailer().stop();
}
