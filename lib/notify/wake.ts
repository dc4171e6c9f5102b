// A tiny doorbell between the progress store and the mail sender, so recording a run's end
// does not pull nodemailer into every bundle that writes progress. A process singleton:
// Next.js may load this module in several bundles and they must ring the same bell.
import { logger } from "@/lib/platform/logger";
import { processSingleton } from "@/lib/platform/singleton";

const bell = () => processSingleton("mailer-wake", () => ({ ring: undefined as (() => void) | undefined }));

/** Asks the sender (if one runs in this process) to look at the outbox now. Never throws, never waits. */
export function wakeMailer(): void {
  try {
    bell().ring?.();
  } catch (error) {
    logger.error({ err: error }, "[notify] waking the sender failed");
  }
}

export function setMailerWake(fn: (() => void) | undefined): void {
  bell().ring = fn;
}
