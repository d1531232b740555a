import { describeChoices } from '../../core/errors.js';
import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { VIX_STATUSES } from '../../policy/vix-status.js';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from '../cli-error.js';
import { formatMinutes, formatTable } from '../format-table.js';
import { MATCH_FLAGS, matchFromFlags } from '../match-flags.js';
import { choiceFlag, numberFlag, parseFlags } from '../parse-flags.js';

export const DECIDE_HELP = `vix-ttl decide --status ${VIX_STATUSES.join('|')} [--minutes M] [--base-ttl 60] [--league L] [--match-type T] [--importance I] [--json]
  One decision of the pure policy, for a panic that has lasted M minutes.`;

/** `vix-ttl decide`: one pure decision. */
export async function decideCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { ...MATCH_FLAGS, 'base-ttl': { type: 'string' }, status: { type: 'string' }, minutes: { type: 'string' } });
  if (flags.help) return io.out(DECIDE_HELP), 0;
  const status = choiceFlag('status', flags.status as string | undefined, VIX_STATUSES);
  if (status === undefined) throw new CliUsageError(`--status is required (${describeChoices(VIX_STATUSES)})`);
  const baseTtl = numberFlag('base-ttl', flags['base-ttl'] as string | undefined, 60);
  if (status !== 'panic' && flags.minutes !== undefined) throw new CliUsageError('--minutes only applies with --status panic');
  const minutes = status === 'panic' ? numberFlag('minutes', flags.minutes as string | undefined) : null;
  const decision = new AdaptivePanicQuota().calculateTtlStrategy(baseTtl, minutes, matchFromFlags(flags as Record<string, string | undefined>));
  if (flags.json) return io.out(JSON.stringify(decision, null, 2)), 0;
  io.out(
    formatTable(
      ['ttl', 'mode', 'tier', 'importance', 'panic', 'next tier in'],
      [[`${decision.ttl} s`, decision.mode, decision.tier, decision.importance, formatMinutes(decision.panicDurationMin), formatMinutes(decision.nextTierInMin)]],
    ),
  );
  return 0;
}
