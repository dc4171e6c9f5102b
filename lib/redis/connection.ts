// Redis connections, only when REDIS_URL is set (the embedded default needs none).
// One shared connection for commands (rate limits, run slots, publishing progress), one
// for subscriptions (a subscribed connection can do nothing else), and BullMQ opens its
// own from the same options. A Redis that goes away is retried for ever with backoff; the
// callers degrade (streams poll the database, see lib/progress/stream.ts).
import { Redis, type RedisOptions } from "ioredis";
import { env } from "@/lib/env";
import { processSingleton } from "@/lib/platform/singleton";
import { logger } from "@/lib/platform/logger";

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "redis://(unparseable REDIS_URL)";
  }
}

export function redisOptions(): RedisOptions & { url: string } {
  const url = env().REDIS_URL;
  if (!url) throw new Error("REDIS_URL is not set");
  return {
    url,
    // BullMQ requires null here (its blocking commands must never be cut off).
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 5000),
    lazyConnect: false,
  };
}

/**
 * A new connection (BullMQ, subscribers); the caller quits it. `subscriber`: no ready
 * check and no CLIENT SETNAME: a SUBSCRIBE issued while connecting can reach Redis before
 * them, and Redis then refuses them ("Connection in subscriber mode"), which made ioredis
 * drop and reopen the connection (seen with 1,000 streams opening at once).
 */
export function newRedis(name: string, opts: { subscriber?: boolean } = {}): Redis {
  const { url, ...options } = redisOptions();
  const client = new Redis(
    url,
    opts.subscriber ? { ...options, enableReadyCheck: false } : { ...options, connectionName: `2nd-brain:${name}` },
  );
  let reported = false;
  client.on("error", (error: Error) => {
    // ioredis retries by itself; say it once per outage, without the URL's password.
    if (reported) return;
    reported = true;
    logger.error(`[redis] ${name}: ${error.message} (${redactRedisUrl(url)}); retrying`);
  });
  client.on("ready", () => {
    reported = false;
  });
  return client;
}

/** The process's shared command connection. */
export function redis(): Redis {
  return processSingleton("redis", () => newRedis("commands"));
}

/** A key or channel name in this deployment's namespace (REDIS_PREFIX). */
export function redisKey(name: string): string {
  return `${env().REDIS_PREFIX}:${name}`;
}

export function redisEnabled(): boolean {
  return Boolean(env().REDIS_URL);
}
