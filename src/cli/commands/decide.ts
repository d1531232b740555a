import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { VIX_STATUSES } from '../../policy/vix-status.js';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from '../cli-error.js';
import { commandHelp } from '../command-help.js';
import { BASE_TTL_FLAG, jsonFlag } from '../common-flags.js';
import { configFlag, CONFIG_ENV } from '../config-flag.js';
import { configFileFrom } from '../config-file.js';
import { decisionJson } from '../decision-json.js';
import type { CommandSpec } from '../flag-spec.js';
import { formatMinutes, formatTable } from '../format-table.js';
import { MATCH_FLAGS, matchFromFlags } from '../match-flags.js';
import { parseFlags } from '../parse-flags.js';

/** `vix-ttl decide`: its flags, synopsis and help. */
export const DECIDE_SPEC = {
  name: 'decide',
  summary: 'one decision of the pure policy, for a panic that has lasted M minutes',
  synopsis: '--status calm|elevated|panic [--minutes M] [--base-ttl 60] [--league L] [--match-type T] [--importance I] [--json]',
  flags: {
    status: { type: 'choice', value: 'STATUS', choices: VIX_STATUSES, required: true, meaning: 'The market status the decision is for.' },
    minutes: { type: 'number', value: 'M', min: 0, defaultText: 'none: required with --status panic, refused otherwise', meaning: 'Minutes the panic has lasted.' },
    'base-ttl': BASE_TTL_FLAG,
    ...MATCH_FLAGS,
    config: configFlag('the policy section'),
    json: jsonFlag('{ ttl, mode, tier, importance, panicDurationMin, nextTierInMin, failSafe, reason }'),
  },
} as const satisfies CommandSpec;

/** `vix-ttl decide`: one pure decision. */
export async function decideCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: flags, help } = parseFlags(DECIDE_SPEC, argv);
  if (help) return io.out(commandHelp(DECIDE_SPEC)), 0;
  if (flags.status !== 'panic' && flags.minutes !== undefined) throw new CliUsageError('--minutes only applies with --status panic');
  if (flags.status === 'panic' && flags.minutes === undefined) throw new CliUsageError('--minutes is required with --status panic (M, a number ≥ 0)');
  const minutes = flags.status === 'panic' ? flags.minutes! : null;
  const quota = new AdaptivePanicQuota(configFileFrom(flags.config, io.env, CONFIG_ENV)?.policy);
  const decision = quota.calculateTtlStrategy(flags['base-ttl']!, minutes, matchFromFlags(flags));
  if (flags.json) return io.out(JSON.stringify(decisionJson(decision), null, 2)), 0;
  io.out(
    formatTable(
      ['ttl', 'mode', 'tier', 'importance', 'panic', 'next tier in'],
      [[`${decision.ttl} s`, decision.mode, decision.tier, decision.importance, formatMinutes(decision.panicDurationMin), formatMinutes(decision.nextTierInMin)]],
    ),
  );
  return 0;
}
