import { Redis } from 'ioredis';
import { InvalidInputError } from '../core/errors.js';
import { CliUsageError } from './cli-error.js';
import { redactSecrets, redactUrl } from '../core/redact-url.js';

/**
 * The Redis URL from --redis or REDIS_URL, validated; undefined when neither is set.
 * A REDIS_URL that is set but empty is an error, not "unset": it must not silently
 * fall back to the in-memory clock. The URL must name a host (`redis://HOST…` or
 * `rediss://HOST…`): `redis:/:pw@host` parses with an empty host, and the Redis
 * client would take its path for a unix socket and print it, password included.
 * A URL that is refused is described without its secrets: an unparsable one by its
 * scheme and host only, one of another scheme by its scheme.
 */
export function redisUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag === undefined && env.REDIS_URL === '') {
    throw new CliUsageError('REDIS_URL is set but empty: unset it to run the in-memory clock, or set it to a URL like redis://127.0.0.1:6379');
  }
  const url = flag ?? env.REDIS_URL;
  if (url === undefined) return undefined;
  const field = flag === undefined ? 'REDIS_URL' : '--redis';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(field, 'must be a URL like redis://127.0.0.1:6379', redactUrl(url));
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidInputError(field, 'must use redis:// or rediss://', parsed.protocol);
  }
  if (parsed.hostname === '' || !/^rediss?:\/\//i.test(url)) {
    throw new InvalidInputError(field, 'must be a URL like redis://127.0.0.1:6379', redactUrl(url));
  }
  return url;
}

/**
 * Like {@link redisUrlFrom}, then the config file's `redis.url` (checked when the
 * file was read), but a command that needs Redis says so when none is given.
 */
export function requireRedisUrl(flag: string | undefined, env: NodeJS.ProcessEnv, fromFile?: string): string {
  const url = redisUrlFrom(flag, env) ?? fromFile;
  if (url === undefined) {
    throw new CliUsageError(`needs a shared clock: pass --redis redis://host:6379, set REDIS_URL or redis.url in the config file (the in-memory clock lives inside one process)`);
  }
  return url;
}

/** Connects once, failing fast with a one-line error (without the URL's secrets) instead of retrying forever. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${redactSecrets((lastError ?? (error as Error)).message, url)}`);
  }
}

/**
 * The Redis URLs a command line carries (`--redis URL`, `--redis=URL`, `REDIS_URL`),
 * and any other argument that holds `://` (a URL given in the wrong place), whose
 * secrets no output of the command may show — whole, even when a password holds a
 * space that would cut the URL short in free text.
 */
export function redisUrlsOf(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const urls = env.REDIS_URL ? [env.REDIS_URL] : [];
  argv.forEach((arg, i) => {
    if (arg === '--redis' && argv[i + 1] !== undefined) urls.push(argv[i + 1]!);
    else if (arg.startsWith('--redis=')) urls.push(arg.slice('--redis='.length));
    else if (arg.includes('://') && argv[i - 1] !== '--redis') {
      urls.push(arg);
      if (/^--[^=]+=/.test(arg)) urls.push(arg.slice(arg.indexOf('=') + 1)); // --flag=URL
    }
  });
  return urls;
}

/** `text` without the secrets of any of `urls` (see {@link redactSecrets}). */
export function withoutSecrets(text: string, urls: readonly string[]): string {
  return urls.reduce((result, url) => redactSecrets(result, url), text);
}
