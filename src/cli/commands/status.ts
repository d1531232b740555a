import { RedisPanicClock } from '../../clock/redis-panic-clock.js';
import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES } from '../../policy/importance.js';
import type { CliIo } from '../cli-io.js';
import { formatMinutes, formatTable } from '../format-table.js';
import { parseFlags } from '../parse-flags.js';
import { connectRedis, requireRedisUrl } from '../redis-connection.js';

export const STATUS_HELP = `vix-ttl status [--redis URL] [--scope S] [--key-prefix P] [--json]
  The shared panic state of a scope, read without changing it, and the tier per importance.`;

/** `vix-ttl status`: what the shared clock holds for a scope. */
export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { redis: { type: 'string' }, scope: { type: 'string' }, 'key-prefix': { type: 'string' } });
  if (flags.help) return io.out(STATUS_HELP), 0;
  const url = requireRedisUrl(flags.redis as string | undefined, io.env);
  const clockOptions = flags['key-prefix'] ? { keyPrefix: flags['key-prefix'] as string, timeoutMs: 3000 } : { timeoutMs: 3000 };
  const redis = await connectRedis(url);
  try {
    const clock = new RedisPanicClock(redis, clockOptions);
    const view = await clock.inspect(flags.scope as string | undefined);
    const quota = new AdaptivePanicQuota();
    const minutes = view.active && view.durationMs !== null ? view.durationMs / 60_000 : null;
    const tiers = IMPORTANCES.map((importance) => quota.calculateTtlStrategy(60, minutes, { importance }));
    if (flags.json) return io.out(JSON.stringify({ ...view, decisions: tiers }, null, 2)), 0;
    const state = view.corrupt ? `corrupt (${view.corrupt.reason}: ${JSON.stringify(view.corrupt.raw)})` : view.active ? 'PANIC' : view.inGrace ? 'calm (start kept for the grace)' : 'calm';
    io.out(
      [
        `scope ${view.scope} (${view.location}): ${state}`,
        view.startedAtMs !== null ? `started ${new Date(view.startedAtMs).toISOString()}, ${formatMinutes(minutes ?? view.durationMs! / 60_000)} ago` : '',
        view.expiresInMs !== null ? `expires in ${Math.round(view.expiresInMs / 1000)} s unless a panic is observed` : '',
        '',
        formatTable(
          ['importance', 'mode', 'tier', 'ttl (base 60)', 'next tier in'],
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
