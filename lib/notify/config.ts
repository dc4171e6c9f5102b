// Where mail goes: an SMTP server from the settings, or (no SMTP_HOST) the built-in outbox
// the user reads in the app. A half-set configuration is a start-up error, not a surprise
// at the first sync.
import { readFileSync } from "node:fs";
import type { SMTPTransportOptions } from "nodemailer";
import { z } from "zod";
import { env, type Env } from "@/lib/env";

export const DEFAULT_FROM_NAME = "2nd Brain";

/** Bounded everywhere: a dead or slow mail server never holds a send for long. */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

export type SmtpSettings = Pick<
  Env,
  "SMTP_HOST" | "SMTP_PORT" | "SMTP_USER" | "SMTP_PASSWORD" | "SMTP_FROM_EMAIL" | "SMTP_FROM_NAME" | "SMTP_TLS_CA" | "SMTP_TLS_REJECT_UNAUTHORIZED"
>;

export interface SmtpConfig {
  kind: "smtp";
  host: string;
  port: number;
  /** What nodemailer.createTransport gets. */
  transport: SMTPTransportOptions;
  from: { name: string; address: string };
  /** Kept only to scrub it from error texts (lib/notify/smtp-errors.ts). */
  secrets: string[];
}

export type MailConfig = { kind: "outbox" } | SmtpConfig;

export class MailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MailConfigError";
  }
}

const email = z.email();

/**
 * Port 465 speaks TLS from the first byte; any other port (587, 25, 2525…) must upgrade
 * with STARTTLS, and the send fails rather than going out in clear text.
 */
export function resolveMailConfig(s: SmtpSettings, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): MailConfig {
  const set = (name: keyof SmtpSettings) => s[name] !== undefined && s[name] !== "";
  if (!s.SMTP_HOST) {
    const stray = (["SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM_EMAIL", "SMTP_TLS_CA"] as const).filter(set);
    if (stray.length) {
      throw new MailConfigError(
        `Incomplete email settings: ${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} set but SMTP_HOST is missing. ` +
          "Set SMTP_HOST, or unset them to keep mail in the built-in outbox.",
      );
    }
    return { kind: "outbox" };
  }

  const missing: string[] = [];
  if (!s.SMTP_FROM_EMAIL) missing.push("SMTP_FROM_EMAIL");
  if (s.SMTP_USER && !s.SMTP_PASSWORD) missing.push("SMTP_PASSWORD");
  if (s.SMTP_PASSWORD && !s.SMTP_USER) missing.push("SMTP_USER");
  if (missing.length) {
    throw new MailConfigError(
      `Incomplete email settings: SMTP_HOST is set but ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} missing. ` +
        "Set them, or unset SMTP_HOST to keep mail in the built-in outbox.",
    );
  }
  const fromAddress = s.SMTP_FROM_EMAIL!;
  if (!email.safeParse(fromAddress).success) {
    throw new MailConfigError(`Invalid email settings: SMTP_FROM_EMAIL (${JSON.stringify(fromAddress)}) is not an email address.`);
  }

  const port = s.SMTP_PORT ?? 587;
  let ca: string | undefined;
  if (s.SMTP_TLS_CA) {
    try {
      ca = readFile(s.SMTP_TLS_CA);
    } catch (error) {
      throw new MailConfigError(`Invalid email settings: SMTP_TLS_CA: cannot read ${s.SMTP_TLS_CA} (${(error as Error).message}).`);
    }
  }
  const implicitTls = port === 465;
  const transport: SMTPTransportOptions = {
    host: s.SMTP_HOST,
    port,
    secure: implicitTls,
    requireTLS: !implicitTls,
    ...SMTP_TIMEOUTS,
    tls: {
      rejectUnauthorized: s.SMTP_TLS_REJECT_UNAUTHORIZED !== false,
      ...(ca ? { ca } : {}),
      minVersion: "TLSv1.2",
    },
    ...(s.SMTP_USER && s.SMTP_PASSWORD ? { auth: { user: s.SMTP_USER, pass: s.SMTP_PASSWORD } } : {}),
  };
  return {
    kind: "smtp",
    host: s.SMTP_HOST,
    port,
    transport,
    from: { name: s.SMTP_FROM_NAME ?? DEFAULT_FROM_NAME, address: fromAddress },
    secrets: s.SMTP_PASSWORD ? [s.SMTP_PASSWORD] : [],
  };
}

let cached: MailConfig | undefined;

/** The process's mail configuration; throws MailConfigError for a half-set one. */
export function mailConfig(): MailConfig {
  cached ??= resolveMailConfig(env());
  return cached;
}

/** The origin links in emails point at: what users open (APP_URL), else localhost. */
export function publicOrigin(): string {
  const e = env();
  return (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
}
