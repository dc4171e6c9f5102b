// The process's structured logger: one JSON line per event on stdout (pino), whatever the
// environment, so production collectors and tests read the same thing. Run-scoped code logs
// through `logger.child({ run_id })` so every line of a run carries its id. Secrets that
// may ride along in logged objects (tokens, credentials, auth headers) are redacted.
import pino, { type Logger } from "pino";
import { z } from "zod";
import { processSingleton } from "@/lib/platform/singleton";

export type { Logger };

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Paths pino replaces with "[redacted]" (top level and one object deep). */
export const REDACT_PATHS = [
  "password",
  "accessToken",
  "refreshToken",
  "credentials",
  "token",
  "authorization",
  "cookie",
  "*.password",
  "*.accessToken",
  "*.refreshToken",
  "*.credentials",
  "*.token",
  "*.authorization",
  "*.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
];

/** LOG_LEVEL (default info); a bad value fails loudly with the variable's name. */
export function logLevel(value = process.env.LOG_LEVEL): (typeof LEVELS)[number] {
  const parsed = z.enum(LEVELS).safeParse(value === undefined || value.trim() === "" ? "info" : value.trim());
  if (!parsed.success) throw new Error(`Invalid settings:\n  LOG_LEVEL: must be one of ${LEVELS.join(", ")}`);
  return parsed.data;
}

/**
 * A logger with the app's settings writing to `destination`: stdout by default, written
 * synchronously like console on a pipe, so a line is out before a crash or a kill and keeps
 * its place among lines other code still prints; tests pass a stream.
 */
export function createLogger(destination: pino.DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  const options: pino.LoggerOptions = {
    level: logLevel(),
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
  };
  return pino(options, destination);
}

/** One logger per process, shared by every bundle that imports this module. */
export const logger: Logger = processSingleton("logger", () => createLogger());
