import { RedisPanicClock } from '../../clock/redis-panic-clock.js';
import { normalizeScope } from '../../clock/scope.js';
import type { CliIo } from '../cli-io.js';
import { CLOCK_FLAGS, clockTarget } from '../clock-flags.js';
import { commandHelp } from '../command-help.js';
import { jsonFlag } from '../common-flags.js';
import { configFlag, CONFIG_ENV } from '../config-flag.js';
import { configFileFrom } from '../config-file.js';
import type { CommandSpec } from '../flag-spec.js';
import { parseFlags } from '../parse-flags.js';
import { connectRedis } from '../redis-connection.js';

/** `vix-ttl reset`: its flags, synopsis and help. */
export const RESET_SPEC = {
  name: 'reset',
  summary: "ends a scope's panic on the shared clock (the next panic starts again at tier 1)",
  synopsis: '[--redis URL] [--scope S] [--key-prefix P] [--json]',
  flags: {
    ...CLOCK_FLAGS,
    config: configFlag('redis.url and redis.keyPrefix'),
    json: jsonFlag('{ scope, key, ended }'),
  },
} as const satisfies CommandSpec;

/** `vix-ttl reset`: deletes a scope's panic start. */
export async function resetCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: flags, given, help } = parseFlags(RESET_SPEC, argv);
  if (help) return io.out(commandHelp(RESET_SPEC)), 0;
  const scope = normalizeScope(flags.scope);
  const { url, keyPrefix } = clockTarget(flags, given, io.env, configFileFrom(flags.config, io.env, CONFIG_ENV));
  const redis = await connectRedis(url);
  try {
    const clock = new RedisPanicClock(redis, { keyPrefix, timeoutMs: 3000 });
    const ended = await clock.reset(scope);
    if (flags.json) return io.out(JSON.stringify({ scope, key: clock.keyFor(scope), ended })), 0;
    io.out(ended ? `scope ${scope}: panic ended (${clock.keyFor(scope)} deleted)` : `scope ${scope}: no panic to end`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
