import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES } from '../../policy/importance.js';
import { renderReplayReport } from '../../vix/replay-report.js';
import { REJECT_RULES, type RejectReason } from '../../vix/tick.js';
import { openTickFile, readTicks, tickFileFormat, type TickFileFormat } from '../../vix/tick-file.js';
import { VixReplay, type ReplayResult, type ReplayScope } from '../../vix/vix-replay.js';
import { ShadowReplay, type ShadowReplayResult } from '../../vix/shadow-replay.js';
import { CliUsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { commandHelp } from '../command-help.js';
import { BASE_TTL_FLAG, jsonFlag } from '../common-flags.js';
import { configFlag, CONFIG_ENV } from '../config-flag.js';
import { configFileFrom } from '../config-file.js';
import type { CommandSpec } from '../flag-spec.js';
import { formatTable } from '../format-table.js';
import { parseFlags, printable } from '../parse-flags.js';
import { showProgress } from '../replay-progress.js';

/** `vix-ttl replay`: its flags, synopsis and help. */
export const REPLAY_SPEC = {
  name: 'replay',
  summary: 'replays odds ticks through the VIX engine: status and tier timeline per scope, bad ticks',
  synopsis: '<ticks.csv|ticks.jsonl|-> [--json] [--report report.html] [--base-ttl 60] [--format auto|csv|jsonl] [--shadow]',
  description: [
    'Reads the input line by line (a file of millions of ticks is never held whole) and shows its progress on stderr',
    'when stderr is a terminal. "-" reads standard input:',
    '',
    '  zcat ticks.csv.gz | vix-ttl replay -',
    '',
    'With --shadow it also tells what a service in shadow mode (serve --shadow) would have reported: callers serving',
    '--base-ttl ask a breaker in shadow mode once a second of tick time for each scope with ticks (global only when no',
    'tick names a scope) and each importance,',
    'and the vix_ttl_shadow_* totals say for how long vix-ttl would have served fresher data than the base TTL.',
  ].join('\n'),
  positional: {
    name: 'tick file',
    meaning: 'CSV with a header naming ts, market, price (and optionally scope), or JSON lines (.jsonl, .ndjson); - for standard input.',
  },
  flags: {
    format: {
      type: 'choice',
      value: 'FORMAT',
      choices: ['auto', 'csv', 'jsonl'],
      default: 'auto',
      meaning: 'Format of the input. auto: a file by its extension (.csv, .jsonl, .ndjson); standard input by its first line ({ starts JSON lines, anything else a CSV header).',
    },
    'base-ttl': BASE_TTL_FLAG,
    report: { type: 'string', value: 'FILE', defaultText: 'none', meaning: 'Also writes a self-contained HTML report (inline SVG charts, no script) to FILE.' },
    config: configFlag('the policy and vix sections'),
    shadow: { type: 'boolean', meaning: 'Also replays a service in shadow mode at --base-ttl and prints what its vix_ttl_shadow_* metrics would say: minutes vix-ttl would have served fresher data, by importance and tier.' },
    json: jsonFlag('{ file, format, ticks: { total, accepted, rejected, byReason }, fromTs, untilTs, from, until, baseTtl, options, scopes, shadow, report }'),
  },
} as const satisfies CommandSpec;

/** `vix-ttl replay`: a tick file through the VIX engine, as text, JSON or an HTML report. */
export async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: flags, positional, help } = parseFlags(REPLAY_SPEC, argv);
  if (help) return io.out(commandHelp(REPLAY_SPEC)), 0;
  const file = positional!;
  const fromStdin = file === '-';
  const format: TickFileFormat | 'auto' = flags.format !== 'auto' ? flags.format! : fromStdin ? 'auto' : (tickFileFormat(file) ?? unknownFormat(file));
  if (fromStdin && io.stdin === undefined) throw new CliUsageError('replay - reads standard input, which this caller does not provide');
  const config = configFileFrom(flags.config, io.env, CONFIG_ENV);
  const report = flags.report;
  if (report !== undefined) await assertWritableDir(report);
  const policy = config?.policy ? new AdaptivePanicQuota(config.policy) : undefined;
  const replay = new VixReplay({ baseTtl: flags['base-ttl'], engine: config?.vix, policy });
  const shadow = flags.shadow === true ? new ShadowReplay({ engine: replay.engine, baseTtl: flags['base-ttl'], policy }) : null;
  const input = fromStdin ? io.stdin! : await openTickFile(file);
  const name = fromStdin ? 'standard input' : file;
  let records = 0;
  let detected: TickFileFormat = format === 'auto' ? 'csv' : format;
  const progress = showProgress(io.status, `replay ${printable(name)}`, {
    records: () => records,
    bytes: 'size' in input ? () => ({ read: input.bytesRead, total: input.size }) : undefined,
  });
  try {
    for await (const record of readTicks(input, format, name, (f) => (detected = f))) {
      records += 1;
      replay.ingest(record);
      if (shadow !== null) await shadow.sample();
    }
  } finally {
    progress.stop();
    await shadow?.close();
    if ('destroy' in input && typeof input.destroy === 'function') input.destroy();
  }
  const result = replay.result();
  const shadowResult = shadow?.result() ?? null;
  if (report !== undefined) {
    try {
      await writeFile(report, renderReplayReport(result, { source: name }));
    } catch (error) {
      throw new Error(`cannot write the report to ${report}: ${(error as Error).message}`);
    }
  }
  if (flags.json) {
    io.out(JSON.stringify({ file, format: detected, ...withoutSeries(result), shadow: shadowResult, report: report ?? null }, null, 2));
    return 0;
  }
  io.out(formatText(name, result));
  if (shadowResult !== null) io.out(`\n${shadowText(shadowResult)}`);
  if (report !== undefined) io.out(`\nreport written to ${report}`);
  return 0;
}

function unknownFormat(file: string): never {
  throw new CliUsageError(`cannot tell the format of ${file}: name it .csv, .jsonl or .ndjson, or pass --format csv|jsonl`);
}

/** Fails before a long replay when the report could not be written anyway. */
async function assertWritableDir(file: string): Promise<void> {
  try {
    await access(dirname(resolve(file)), constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot write the report to ${file}: ${code === 'ENOENT' ? 'no such directory' : 'permission denied'}`);
  }
}

function withoutSeries(result: ReplayResult): object {
  return {
    ...result,
    from: result.fromTs === null ? null : new Date(result.fromTs).toISOString(),
    until: result.untilTs === null ? null : new Date(result.untilTs).toISOString(),
    scopes: result.scopes.map(({ series: _series, ...scope }) => scope),
  };
}

function formatText(file: string, result: ReplayResult): string {
  const { ticks } = result;
  const span = result.fromTs === null || result.untilTs === null ? 'no valid tick' : `${iso(result.fromTs)} → ${iso(result.untilTs)}`;
  const lines = [`${file}: ${ticks.total} records, ${ticks.accepted} ticks used, ${ticks.rejected} not used; ${span}`];
  const reasons = Object.entries(ticks.byReason) as Array<[RejectReason, number]>;
  if (reasons.length > 0) {
    lines.push('', formatTable(['not used', 'rule', 'count'], reasons.map(([reason, count]) => [reason, REJECT_RULES[reason], count])));
  }
  for (const scope of result.scopes) lines.push('', ...scopeText(scope, result.baseTtl));
  return lines.join('\n');
}

function scopeText(scope: ReplayScope, baseTtl: number): string[] {
  const lines = [`scope ${scope.scope}: ${scope.ticks} ticks, max index ${scope.maxIndex.toFixed(2)}, ${scope.panics.length} panic(s), now ${scope.finalStatus}`];
  if (scope.transitions.length === 0) return [...lines, '  calm throughout'];
  const rows = scope.transitions.map((t) => [iso(t.ts), `${t.from} → ${t.to}`, t.index.toFixed(2), t.cause]);
  lines.push(indent(formatTable(['time (UTC)', 'status', 'index', 'cause'], rows)));
  for (const panic of scope.panics) {
    const end = panic.endTs === null ? 'still on at the end' : iso(panic.endTs);
    lines.push(`  panic ${iso(panic.startTs)} → ${end} (${panic.durationMin.toFixed(1)} min), tier timeline at base TTL ${baseTtl} s:`);
    const tierRows = IMPORTANCES.map((importance) => [importance, panic.tiers[importance].map((s) => `${iso(s.ts).slice(11)} T${s.tier} ${s.ttl}s`).join(' → ')]);
    lines.push(indent(formatTable(['importance', 'tiers'], tierRows), 4));
  }
  return lines;
}

/** What a service in shadow mode would have reported, per importance, and its vix_ttl_shadow_* totals. */
function shadowText(shadow: ShadowReplayResult): string {
  const min = (value: number) => `${value.toFixed(1)} min`;
  const rows = IMPORTANCES.map((importance) => {
    const s = shadow.byImportance[importance];
    return [importance, min(s.fresherMin), min(s.freshMin), s.fresherMinByTier.slice(1).map((m) => m.toFixed(1)).join(' / '), min(s.sameMin), `${s.fresherDecisions} / ${s.decisions}`, `${s.meanGapSeconds.toFixed(1)} s`];
  });
  const lines = [
    `shadow mode at base TTL ${shadow.baseTtl} s (one decision per scope with ticks and importance every ${shadow.everyMs / 1000} s of tick time; ${shadow.decisions} decisions):`,
    indent(formatTable(['importance', 'fresher', 'fresh (TTL 0)', 'fresher by tier 1 / 2 / 3 / 4 (min)', 'same TTL', 'fresher / decisions', 'mean TTL gap'], rows)),
  ];
  for (const importance of IMPORTANCES) {
    const s = shadow.byImportance[importance];
    if (s.fresherMin > 0) lines.push(`  ${importance}: vix-ttl would have served fresh data (TTL 0) for ${min(s.freshMin)}, and fresher data for ${min(s.fresherMin)} in all, where ${shadow.baseTtl}-second-old data was served`);
  }
  const metricRows = shadow.totals
    .filter((t) => t.decisions > 0)
    .sort((a, b) => IMPORTANCES.indexOf(a.importance) - IMPORTANCES.indexOf(b.importance) || a.tier - b.tier || a.outcome.localeCompare(b.outcome))
    .map((t) => [`{importance="${t.importance}",tier="${t.tier}",outcome="${t.outcome}"}`, t.decisions, t.ttlDifferenceSeconds, t.servedSeconds.toFixed(0)]);
  lines.push('', '  vix_ttl_shadow_* totals:', indent(formatTable(['labels', 'decisions_total', 'ttl_difference_seconds_total', 'served_seconds_total'], metricRows), 4));
  return lines.join('\n');
}

function indent(text: string, spaces = 2): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}
