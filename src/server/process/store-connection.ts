import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactSecrets, redactUrl } from '../../core/redact-url.js';

/**
 * Connects to Redis for a long-running service: commands fail fast while it is
 * down (no offline queue: the clock fails safe instead), and it keeps
 * reconnecting. A Redis that is down at start is logged, not fatal: the service
 * starts unready (`/readyz` 503) and fails safe until Redis answers.
 */
export async function connectStore(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastLoggedMs = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLoggedMs < 10_000) return;
    lastLoggedMs = Date.now();
    logger.warn({ err: redactSecrets(error.message, url), redis: redactUrl(url) }, 'VIX_TTL_STORE_CONNECTION_ERROR');
  });
  try {
    await redis.connect();
  } catch (error) {
    logger.warn({ err: redactSecrets((error as Error).message, url), redis: redactUrl(url) }, 'VIX_TTL_STORE_UNREACHABLE_AT_START: serving fail-safe decisions until it answers');
  }
  return redis;
}

/** `QUIT`, or a hard disconnect when Redis does not answer within a second. */
export async function quitRedis(redis: Redis): Promise<void> {
  const timer = setTimeout(() => redis.disconnect(), 1000);
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
