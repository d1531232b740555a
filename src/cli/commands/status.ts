import { RedisPanicClock } from '../../clock/redis-panic-clock.js';
import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES } from '../../policy/importance.js';
import type { CliIo } from '../cli-io.js';
import { CLOCK_FLAGS, clockTarget } from '../clock-flags.js';
import { commandHelp } from '../command-help.js';
import { BASE_TTL_FLAG, jsonFlag } from '../common-flags.js';
import { configFlag, CONFIG_ENV } from '../config-flag.js';
import { configFileFrom } from '../config-file.js';
import { decisionJson } from '../decision-json.js';
import type { CommandSpec } from '../flag-spec.js';
import { formatMinutes, formatTable } from '../format-table.js';
import { parseFlags } from '../parse-flags.js';
import { connectRedis } from '../redis-connection.js';

/** `vix-ttl status`: its flags, synopsis and help. */
export const STATUS_SPEC = {
  name: 'status',
  summary: 'the shared panic state of a scope, read without changing it, and the tier per importance',
  synopsis: '[--redis URL] [--scope S] [--key-prefix P] [--base-ttl 60] [--json]',
  flags: {
    ...CLOCK_FLAGS,
    'base-ttl': BASE_TTL_FLAG,
    config: configFlag('redis.url, redis.keyPrefix and the policy section'),
    json: jsonFlag(
      '{ scope, location, active, inGrace, startedAtMs, durationMs, expiresInMs, raw, corrupt, clockNowMs, baseTtl, decisions: [one decision per importance] }',
    ),
  },
} as const satisfies CommandSpec;

/** `vix-ttl status`: what the shared clock holds for a scope. */
export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: flags, given, help } = parseFlags(STATUS_SPEC, argv);
  if (help) return io.out(commandHelp(STATUS_SPEC)), 0;
  const file = configFileFrom(flags.config, io.env, CONFIG_ENV);
  const { url, keyPrefix } = clockTarget(flags, given, io.env, file);
  const quota = new AdaptivePanicQuota(file?.policy);
  const baseTtl = flags['base-ttl']!;
  const redis = await connectRedis(url);
  try {
    const clock = new RedisPanicClock(redis, { keyPrefix, timeoutMs: 3000 });
    const view = await clock.inspect(flags.scope);
    const minutes = view.active && view.durationMs !== null ? view.durationMs / 60_000 : null;
    const tiers = IMPORTANCES.map((importance) => quota.calculateTtlStrategy(baseTtl, minutes, { importance }));
    if (flags.json) {
      const { scope, location, active, inGrace, startedAtMs, durationMs, expiresInMs, raw, corrupt, clockNowMs } = view;
      const shape = { scope, location, active, inGrace, startedAtMs, durationMs, expiresInMs, raw, corrupt, clockNowMs, baseTtl, decisions: tiers.map(decisionJson) };
      return io.out(JSON.stringify(shape, null, 2)), 0;
    }
    const state = view.corrupt ? `corrupt (${view.corrupt.reason}: ${JSON.stringify(view.corrupt.raw)})` : view.active ? 'PANIC' : view.inGrace ? 'calm (start kept for the grace)' : 'calm';
    io.out(
      [
        `scope ${view.scope} (${view.location}): ${state}`,
        view.startedAtMs !== null ? `started ${new Date(view.startedAtMs).toISOString()}, ${formatMinutes(minutes ?? view.durationMs! / 60_000)} ago` : '',
        view.expiresInMs !== null
          ? `expires in ${Math.round(view.expiresInMs / 1000)} s unless a panic is observed`
          : view.startedAtMs !== null
            ? 'no expiry (written by another writer or PERSISTed): the next observation of this scope gives it the dead man\'s switch'
            : '',
        '',
        formatTable(
          ['importance', 'mode', 'tier', `ttl (base ${baseTtl})`, 'next tier in'],
          tiers.map((d) => [d.importance, d.mode, d.tier, `${d.ttl} s`, formatMinutes(d.nextTierInMin)]),
        ),
      ]
        .filter((line, i) => line !== '' || i === 3)
        .join('\n'),
    );
    return 0;
  } finally {
    redis.disconnect();
  }
}
