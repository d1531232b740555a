import { RedisPanicClock } from '../../clock/redis-panic-clock.js';
import { normalizeScope } from '../../clock/scope.js';
import type { CliIo } from '../cli-io.js';
import { parseFlags } from '../parse-flags.js';
import { connectRedis, requireRedisUrl } from '../redis-connection.js';

export const RESET_HELP = `vix-ttl reset [--redis URL] [--scope S] [--key-prefix P] [--json]
  Ends a scope's panic on the shared clock (the next panic starts again at tier 1).`;

/** `vix-ttl reset`: deletes a scope's panic start. */
export async function resetCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { redis: { type: 'string' }, scope: { type: 'string' }, 'key-prefix': { type: 'string' } });
  if (flags.help) return io.out(RESET_HELP), 0;
  const scope = normalizeScope(flags.scope);
  const url = requireRedisUrl(flags.redis as string | undefined, io.env);
  const redis = await connectRedis(url);
  try {
    const clock = new RedisPanicClock(redis, flags['key-prefix'] ? { keyPrefix: flags['key-prefix'] as string, timeoutMs: 3000 } : { timeoutMs: 3000 });
    const ended = await clock.reset(scope);
    if (flags.json) return io.out(JSON.stringify({ scope, key: clock.keyFor(scope), ended })), 0;
    io.out(ended ? `scope ${scope}: panic ended (${clock.keyFor(scope)} deleted)` : `scope ${scope}: no panic to end`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
