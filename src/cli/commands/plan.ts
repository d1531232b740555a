import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES } from '../../policy/importance.js';
import type { CliIo } from '../cli-io.js';
import { commandHelp } from '../command-help.js';
import { BASE_TTL_FLAG, jsonFlag } from '../common-flags.js';
import { configFlag, CONFIG_ENV } from '../config-flag.js';
import { configFileFrom } from '../config-file.js';
import type { CommandSpec } from '../flag-spec.js';
import { formatTable } from '../format-table.js';
import { MATCH_FLAGS, matchFromFlags } from '../match-flags.js';
import { parseFlags } from '../parse-flags.js';

/** `vix-ttl plan`: its flags, synopsis and help. */
export const PLAN_SPEC = {
  name: 'plan',
  summary: 'the tier timeline of a match; without a match, of all three importances',
  synopsis: '[--league L] [--match-type T] [--importance I] [--base-ttl 60] [--json]',
  flags: {
    ...MATCH_FLAGS,
    'base-ttl': BASE_TTL_FLAG,
    config: configFlag('the policy section'),
    json: jsonFlag('{ baseTtl, match, plans: [{ importance, tiers: [{ tier, mode, fromMin, untilMin, ttl }] }] }, one plan per importance without a match'),
  },
} as const satisfies CommandSpec;

/** `vix-ttl plan`: the tier timeline. */
export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: flags, help } = parseFlags(PLAN_SPEC, argv);
  if (help) return io.out(commandHelp(PLAN_SPEC)), 0;
  const baseTtl = flags['base-ttl']!;
  const match = matchFromFlags(flags);
  const quota = new AdaptivePanicQuota(configFileFrom(flags.config, io.env, CONFIG_ENV)?.policy);
  const contexts = match ? [match] : IMPORTANCES.map((importance) => ({ importance }));
  const plans = contexts.map((context) => ({ importance: quota.classify(context), tiers: quota.plan(baseTtl, context) }));
  if (flags.json) {
    const shownMatch = match ? { league: match.league ?? null, matchType: match.matchType ?? null, importance: match.importance ?? null } : null;
    return io.out(JSON.stringify({ baseTtl, match: shownMatch, plans }, null, 2)), 0;
  }
  const blocks = plans.map((plan) => {
    const rows = plan.tiers.map((t) => [t.tier, t.mode, `${t.fromMin}–${t.untilMin ?? '∞'} min`, `${t.ttl} s`]);
    return `${plan.importance} (base TTL ${baseTtl} s)\n${formatTable(['tier', 'mode', 'panic duration', 'ttl'], rows)}`;
  });
  io.out(blocks.join('\n\n'));
  return 0;
}
