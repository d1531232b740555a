import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IMPORTANCES } from '../../policy/importance.js';
import { renderReplayReport } from '../../vix/replay-report.js';
import { REJECT_RULES, type RejectReason } from '../../vix/tick.js';
import { readTickFile, tickFileFormat } from '../../vix/tick-file.js';
import { VixReplay, type ReplayResult, type ReplayScope } from '../../vix/vix-replay.js';
import { CliUsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { formatTable } from '../format-table.js';
import { numberFlag } from '../parse-flags.js';

/** Usage of `vix-ttl replay`, also shown in `vix-ttl help`. */
export const REPLAY_HELP = `vix-ttl replay <ticks.csv|ticks.jsonl> [--json] [--report report.html] [--base-ttl 60]
  Replays odds ticks through the VIX engine: status and tier timeline per scope, bad ticks.`;

/** `vix-ttl replay`: a tick file through the VIX engine, as text, JSON or an HTML report. */
export async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  const { file, json, report, baseTtl, help } = parseReplayArgs(argv);
  if (help) return io.out(REPLAY_HELP), 0;
  const format = tickFileFormat(file);
  if (format === null) throw new CliUsageError(`cannot tell the format of ${file}: name it .csv, .jsonl or .ndjson`);
  if (report !== undefined) await assertWritableDir(report);
  const replay = new VixReplay({ baseTtl });
  for await (const record of readTickFile(file, format)) replay.ingest(record);
  const result = replay.result();
  if (report !== undefined) {
    try {
      await writeFile(report, renderReplayReport(result, { source: file }));
    } catch (error) {
      throw new Error(`cannot write the report to ${report}: ${(error as Error).message}`);
    }
  }
  if (json) {
    io.out(JSON.stringify({ file, format, ...withoutSeries(result), report: report ?? null }, null, 2));
    return 0;
  }
  io.out(formatText(file, result));
  if (report !== undefined) io.out(`\nreport written to ${report}`);
  return 0;
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

function parseReplayArgs(argv: string[]): { file: string; json: boolean; report?: string | undefined; baseTtl: number; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, report: { type: 'string' }, 'base-ttl': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message.split('\n')[0]!.replace(/^Unknown option/, 'unknown option'));
  }
  const { values, positionals } = parsed;
  const help = values.help === true;
  if (!help && positionals.length !== 1) {
    throw new CliUsageError(positionals.length === 0 ? 'needs one tick file: vix-ttl replay <ticks.csv|ticks.jsonl>' : `takes one tick file, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  if (values.report !== undefined && values.report.trim() === '') throw new CliUsageError('--report needs a file name');
  return { file: positionals[0] ?? '', json: values.json === true, report: values.report, baseTtl: numberFlag('base-ttl', values['base-ttl'], 60), help };
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

function indent(text: string, spaces = 2): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}
