import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES } from '../../policy/importance.js';
import type { CliIo } from '../cli-io.js';
import { formatTable } from '../format-table.js';
import { MATCH_FLAGS, matchFromFlags } from '../match-flags.js';
import { numberFlag, parseFlags } from '../parse-flags.js';

export const PLAN_HELP = `vix-ttl plan [--league L] [--match-type T] [--importance I] [--base-ttl 60] [--json]
  The tier timeline of a match; without a match, of all three importances.`;

/** `vix-ttl plan`: the tier timeline. */
export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { ...MATCH_FLAGS, 'base-ttl': { type: 'string' } });
  if (flags.help) return io.out(PLAN_HELP), 0;
  const baseTtl = numberFlag('base-ttl', flags['base-ttl'] as string | undefined, 60);
  const match = matchFromFlags(flags as Record<string, string | undefined>);
  const quota = new AdaptivePanicQuota();
  const contexts = match ? [match] : IMPORTANCES.map((importance) => ({ importance }));
  const plans = contexts.map((context) => ({ importance: quota.classify(context), baseTtl, tiers: quota.plan(baseTtl, context) }));
  if (flags.json) return io.out(JSON.stringify(match ? plans[0] : plans, null, 2)), 0;
  const blocks = plans.map((plan) => {
    const rows = plan.tiers.map((t) => [t.tier, t.mode, `${t.fromMin}–${t.untilMin ?? '∞'} min`, `${t.ttl} s`]);
    return `${plan.importance} (base TTL ${baseTtl} s)\n${formatTable(['tier', 'mode', 'panic duration', 'ttl'], rows)}`;
  });
  io.out(blocks.join('\n\n'));
  return 0;
}
