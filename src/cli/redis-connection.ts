import { Redis } from 'ioredis';
import { InvalidInputError } from '../errors.js';
import { CliUsageError } from './cli-error.js';
import { redactUrl } from '../clock/redact-url.js';

/** The Redis URL from --redis or REDIS_URL, validated; undefined when neither is set. */
export function redisUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = flag ?? (env.REDIS_URL || undefined);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(flag === undefined ? 'REDIS_URL' : '--redis', 'must be a URL like redis://127.0.0.1:6379', url);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidInputError(flag === undefined ? 'REDIS_URL' : '--redis', 'must use redis:// or rediss://', url);
  }
  return url;
}

/** Like {@link redisUrlFrom}, but a command that needs Redis says so when none is given. */
export function requireRedisUrl(flag: string | undefined): string {
  const url = redisUrlFrom(flag);
  if (url === undefined) {
    throw new CliUsageError(`needs a shared clock: pass --redis redis://HOST:PORT or set REDIS_URL (the in-memory clock lives inside one process)`);
  }
  return url;
}

/** Connects once, failing fast with a one-line error instead of retrying forever. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(lastError ?? (error as Error)).message}`);
  }
}
