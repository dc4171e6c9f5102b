// How many progress streams may be open: per user (STREAMS_PER_USER; across every web instance
// when REDIS_URL is set) and per process (STREAMS_PER_INSTANCE). One user once opened ~20,000
// streams of one run: the process ran out of file descriptors, SQLite could no longer open its
// file and a running sync failed. A stream takes its slot before its first byte (a refusal is
// still a 429 with a JSON body and Retry-After) and gives it back however it ends.
//
// In Redis a user's slots are a sorted set: members are streams, scores their lease's expiry.
// This process renews the leases of its open streams every RENEW_MS, so a crashed instance's
// slots free themselves within LEASE_MS instead of counting against their user for ever. When
// Redis does not answer within REDIS_WAIT_MS, this process counts alone meanwhile (a stream is
// never refused because Redis is away).
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/env";
import { logger } from "@/lib/platform/logger";
import { processSingleton } from "@/lib/platform/singleton";
import { redis, redisKey } from "@/lib/redis/connection";
import type { StreamOptions } from "@/lib/progress/stream";

export const LEASE_MS = 60_000;
const RENEW_MS = 20_000;
const REDIS_WAIT_MS = 1000;
/** A slot frees when a tab closes or a sync ends: worth another try after a few seconds. */
export const STREAM_RETRY_AFTER_S = 5;

export interface StreamSlot {
  /** Gives the slot back (idempotent). */
  release(): void;
}

interface SlotState {
  /** Stream requests per session (hashed cookie) being decided or open here: see gatedStream. */
  sessions: Map<string, number>;
  total: number;
  perUser: Map<string, number>;
  /** Redis members this process holds → their user (renewed together). */
  leased: Map<string, string>;
  instance: string;
  seq: number;
  renewTimer?: ReturnType<typeof setInterval>;
}

const state = () =>
  processSingleton<SlotState>("stream-slots", () => ({ sessions: new Map(), total: 0, perUser: new Map(), leased: new Map(), instance: randomUUID().slice(0, 8), seq: 0 }));

let fileLimit: number | undefined;
function openFileLimit(): number {
  if (fileLimit !== undefined) return fileLimit;
  fileLimit = 1024;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) fileLimit = Number(m[1]);
  } catch {
    // not Linux: assume the common default
  }
  return fileLimit;
}

/** Streams this process may hold: STREAMS_PER_INSTANCE, else half its open-file limit (at most 5,000), leaving the rest to the database and other requests. */
export function instanceStreamLimit(): number {
  return env().STREAMS_PER_INSTANCE ?? Math.min(5000, Math.max(64, Math.floor(openFileLimit() / 2)));
}

/** Streams open in this process (diagnostics and tests). */
export function openStreamSlots(): { total: number; users: number } {
  const s = state();
  return { total: s.total, users: s.perUser.size };
}

const userKey = (userId: string) => redisKey(`streams:user:${userId}`);

const ACQUIRE = `
local key, now, ttl, member, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now + ttl, member)
redis.call('PEXPIRE', key, ttl)
return 1
`;

/** Resolves to `fallback` when Redis has not answered within REDIS_WAIT_MS (ioredis would queue the command until it is back). */
function withinWait<T>(work: Promise<T>, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), REDIS_WAIT_MS);
  });
  return Promise.race([work.catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
}

/** true: taken; false: the user is at the limit; null: Redis did not answer. */
async function redisAcquire(userId: string, member: string, limit: number): Promise<boolean | null> {
  const result = redis().eval(ACQUIRE, 1, userKey(userId), Date.now(), LEASE_MS, member, limit) as Promise<number>;
  return withinWait(result.then((r) => r === 1), null);
}

function renewLeases(s: SlotState): void {
  if (s.leased.size === 0) {
    clearInterval(s.renewTimer);
    s.renewTimer = undefined;
    return;
  }
  const expiry = Date.now() + LEASE_MS;
  const pipeline = redis().pipeline();
  for (const [member, userId] of s.leased) {
    pipeline.zadd(userKey(userId), "XX", expiry, member);
    pipeline.pexpire(userKey(userId), LEASE_MS);
  }
  pipeline.exec().catch((error: unknown) => logger.warn({ err: error }, "[stream] renewing stream slots in Redis failed; they expire unless renewed"));
}

function refusal(message: string): ApiError {
  return new ApiError(429, message, "rate_limited", STREAM_RETRY_AFTER_S);
}

/** Takes a stream slot for `userId`, or throws a 429 ApiError (with Retry-After) saying which limit. */
export async function acquireStreamSlot(userId: string): Promise<StreamSlot> {
  const s = state();
  const perUser = env().STREAMS_PER_USER;
  const busy = () => refusal("This server has too many progress streams open right now; try again in a few seconds.");
  if (s.total >= instanceStreamLimit()) throw busy();
  let member: string | undefined;
  if (env().REDIS_URL) {
    member = `${s.instance}:${(s.seq += 1)}`;
    const taken = await redisAcquire(userId, member, perUser);
    if (taken === null) member = undefined; // Redis away: counted here alone
    else if (!taken) throw refusal(tooMany(perUser));
  }
  if (!member && (s.perUser.get(userId) ?? 0) >= perUser) throw refusal(tooMany(perUser));
  if (s.total >= instanceStreamLimit()) {
    if (member) void redis().zrem(userKey(userId), member).catch(() => undefined);
    throw busy();
  }
  s.total += 1;
  s.perUser.set(userId, (s.perUser.get(userId) ?? 0) + 1);
  if (member) {
    s.leased.set(member, userId);
    if (!s.renewTimer) {
      s.renewTimer = setInterval(() => renewLeases(s), RENEW_MS);
      s.renewTimer.unref?.();
    }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      s.total -= 1;
      const left = (s.perUser.get(userId) ?? 1) - 1;
      if (left > 0) s.perUser.set(userId, left);
      else s.perUser.delete(userId);
      if (member) {
        s.leased.delete(member);
        void redis().zrem(userKey(userId), member).catch(() => undefined);
      }
    },
  };
}

function tooMany(limit: number): string {
  return `You already have ${limit} live progress views open (the most at once); close one in another tab or window and try again.`;
}

/** The session cookie's value, hashed (never kept as it is), or null without one. */
function sessionKey(headers: Headers): string | null {
  const m = /(?:^|;\s*)(?:__Secure-)?sb\.session_token=([^;]+)/.exec(headers.get("cookie") ?? "");
  return m ? createHash("sha256").update(m[1]!).digest("base64url").slice(0, 22) : null;
}

/**
 * Opens a stream request through a gate per session: once one session has STREAMS_PER_USER
 * stream requests being decided or open in this process, the next is refused (429) before any
 * database work. The per-user slot (acquireStreamSlot) stays the rule; this makes a flood from
 * one session cheap to refuse: 600 at once took the process's event loop for 24 s when each had
 * its session and run read first, long enough to time out a running sync's provider requests.
 * `open` decides the stream (session, ownership, slot); the gate is held until the stream ends.
 */
export async function gatedStream(headers: Headers, signal: AbortSignal, open: () => Promise<StreamOptions>): Promise<StreamOptions> {
  const key = sessionKey(headers);
  if (key === null) return open();
  const sessions = state().sessions;
  const limit = env().STREAMS_PER_USER;
  const held = sessions.get(key) ?? 0;
  if (held >= limit) throw refusal(tooMany(limit));
  sessions.set(key, held + 1);
  let released = false;
  const leave = () => {
    if (released) return;
    released = true;
    const left = (sessions.get(key) ?? 1) - 1;
    if (left > 0) sessions.set(key, left);
    else sessions.delete(key);
  };
  let opts: StreamOptions;
  try {
    opts = await open();
  } catch (error) {
    leave();
    throw error;
  }
  signal.addEventListener("abort", leave, { once: true });
  if (signal.aborted) leave();
  const release = opts.release;
  return {
    ...opts,
    release: () => {
      release?.();
      leave();
    },
  };
}
