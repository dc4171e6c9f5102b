// Account emails (address verification, "someone tried to sign up with your address") go
// through the same outbox as sync emails, so without SMTP they show on the Notifications
// page, and with SMTP the sender delivers them with retries. They belong to no run: each
// gets a run id of its own ("account_<uuid>") so the outbox's (runId, kind) index holds.
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { escapeHtml, type RenderedEmail } from "@/lib/notify/templates";
import { wakeMailer } from "@/lib/notify/wake";
import { logger } from "@/lib/platform/logger";

export const ACCOUNT_MAIL_KINDS = ["verify_email", "sign_up_attempt"] as const;
export type AccountMailKind = (typeof ACCOUNT_MAIL_KINDS)[number];

/** "Someone tried to sign up with your address" goes at most once per this long per account. */
const ATTEMPT_MAIL_EVERY_MS = 60 * 60_000;

interface MailUser {
  id: string;
  email: string;
  name?: string | null;
}

function layout(title: string, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 12px">${escapeHtml(p)}</p>`).join("");
  const button = link
    ? `<p style="margin:20px 0"><a href="${escapeHtml(link.href)}" style="background:#2563eb;color:#fff;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">${escapeHtml(link.label)}</a></p><p style="font-size:12px;color:#525252;word-break:break-all">${escapeHtml(link.href)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#171717;max-width:520px;margin:0 auto;padding:24px"><h1 style="font-size:18px">${escapeHtml(title)}</h1>${body}${button}</body></html>`;
}

export function renderVerifyEmail(email: string, url: string): RenderedEmail {
  const subject = "Confirm your email address for 2nd Brain";
  const lines = [
    `Confirm that ${email} is your address, and 2nd Brain will email you when your syncs complete or fail.`,
    "Until then no sync emails are sent to it. The link works for 24 hours.",
    "If you did not create a 2nd Brain account, ignore this email.",
  ];
  return { subject, text: `${lines[0]}\n\n${url}\n\n${lines[1]}\n${lines[2]}\n`, html: layout(subject, lines, { href: url, label: "Confirm my email" }) };
}

export function renderSignUpAttempt(signInUrl: string): RenderedEmail {
  const subject = "Someone tried to create a 2nd Brain account with your email";
  const lines = [
    "Someone just tried to create a new 2nd Brain account with this email address. Your account already exists and nothing was changed.",
    "If it was you, sign in instead. If it was not, you need do nothing.",
  ];
  return { subject, text: `${lines[0]}\n\n${lines[1]}\n\n${signInUrl}\n`, html: layout(subject, lines, { href: signInUrl, label: "Sign in" }) };
}

async function record(user: MailUser, kind: AccountMailKind, email: RenderedEmail): Promise<void> {
  const membership = await db().membership.findFirst({ where: { userId: user.id }, orderBy: { createdAt: "asc" }, select: { workspaceId: true } });
  await db().notification.create({
    data: {
      userId: user.id,
      workspaceId: membership?.workspaceId ?? "",
      runId: `account_${randomUUID().replace(/-/g, "")}`,
      kind,
      toEmail: user.email,
      subject: email.subject,
      html: email.html,
      text: email.text,
      // Without SMTP the outbox keeps it for the Notifications page, as for sync emails.
      status: env().SMTP_HOST ? "pending" : "stored",
    },
  });
  wakeMailer();
}

/** The verification link Better Auth made, in the outbox (it is the one email an unverified address gets). */
export async function queueVerificationEmail(user: MailUser, url: string): Promise<void> {
  let link = url;
  try {
    // Back to Integrations after confirming, whatever page asked for the link.
    const u = new URL(url);
    u.searchParams.set("callbackURL", "/notifications");
    link = u.toString();
  } catch {
    // keep Better Auth's link as it is
  }
  await record(user, "verify_email", renderVerifyEmail(user.email, link));
}

/**
 * Tells a verified owner that someone tried to sign up with their address (the sign-up itself
 * answers as for a new account). An unverified address gets nothing: it may not be the
 * signer's, and nobody should be able to mail it through us over and over.
 */
export async function queueSignUpAttemptEmail(user: MailUser & { emailVerified: boolean }, appOrigin: string): Promise<void> {
  if (!user.emailVerified) return;
  const recent = await db().notification.findFirst({
    where: { userId: user.id, kind: "sign_up_attempt", createdAt: { gt: new Date(Date.now() - ATTEMPT_MAIL_EVERY_MS) } },
    select: { id: true },
  });
  if (recent) return;
  await record(user, "sign_up_attempt", renderSignUpAttempt(`${appOrigin.replace(/\/$/, "")}/sign-in`)).catch((error: unknown) =>
    logger.error({ err: error }, "[notify] could not record the sign-up attempt email"),
  );
}
