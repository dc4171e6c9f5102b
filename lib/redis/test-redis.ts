// For unit tests: whether the Redis at REDIS_URL_TEST (default redis://127.0.0.1:6379)
// answers, and a key namespace of the test's own.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

export const TEST_REDIS_URL = process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379";

export async function redisAnswers(): Promise<boolean> {
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Points the app's settings at the test Redis under a fresh prefix; returns the prefix. */
export function useTestRedis(): string {
  const prefix = `ut-${randomUUID().slice(0, 8)}`;
  process.env.REDIS_URL = TEST_REDIS_URL;
  process.env.REDIS_PREFIX = prefix;
  return prefix;
}
