import { redisPanicClockOptionsSchema } from '../clock/redis-panic-clock.js';
import { CliUsageError } from './cli-error.js';
import { KEY_PREFIX_FLAG, REDIS_FLAG, SCOPE_FLAG } from './common-flags.js';
import type { ConfigFile } from './config-file.js';
import { requireRedisUrl } from './redis-connection.js';

/** The flags of the commands that read or write the shared clock (`status`, `reset`). */
export const CLOCK_FLAGS = { redis: REDIS_FLAG, scope: SCOPE_FLAG, 'key-prefix': KEY_PREFIX_FLAG } as const;

/**
 * Where a command finds the shared clock: the Redis URL (`--redis` > `REDIS_URL` >
 * the file's `redis.url`) and the key prefix (`--key-prefix` > the file's
 * `redis.keyPrefix` > the default), checked by the clock's own rule.
 */
export function clockTarget(flags: { redis?: string; 'key-prefix'?: string }, given: ReadonlySet<string>, env: NodeJS.ProcessEnv, file: ConfigFile | undefined): { url: string; keyPrefix: string } {
  const url = requireRedisUrl(flags.redis, env, file?.redis?.url);
  const keyPrefix = given.has('key-prefix') ? flags['key-prefix']! : (file?.redis?.keyPrefix ?? KEY_PREFIX_FLAG.default);
  const checked = redisPanicClockOptionsSchema.shape.keyPrefix.safeParse(keyPrefix);
  if (!checked.success) throw new CliUsageError(`--key-prefix ${checked.error.issues[0]!.message}, got ${JSON.stringify(keyPrefix)}`);
  return { url, keyPrefix };
}
