// A tiny doorbell between the progress store and the mail sender, so recording a run's end
// does not pull nodemailer into every bundle that writes progress. Kept on globalThis:
// Next.js may load this module in several bundles and they must ring the same bell.
const globalKey = Symbol.for("2nd-brain.mailer-wake");
type Holder = { [globalKey]?: () => void };

/** Asks the sender (if one runs in this process) to look at the outbox now. Never throws, never waits. */
export function wakeMailer(): void {
  try {
    (globalThis as Holder)[globalKey]?.();
  } catch (error) {
    console.error("[notify] waking the sender failed", error);
  }
}

export function setMailerWake(fn: (() => void) | undefined): void {
  (globalThis as Holder)[globalKey] = fn;
}
