import { VIX_STATUS_LEVEL } from '../policy/vix-status.js';
import { IMPORTANCES } from '../policy/importance.js';
import { REJECT_RULES, type RejectReason } from './tick.js';
import type { ReplayPanic, ReplayResult, ReplayScope } from './vix-replay.js';

/** Options of {@link renderReplayReport}. */
export interface ReplayReportOptions {
  /** What was replayed (a file name), shown in the title. */
  source: string;
}

const WIDTH = 960;
const HEIGHT = 240;
const MARGIN = { left: 100, right: 175, top: 12, bottom: 28 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const STATUS_FILL = ['none', '#f5b301', '#e5484d'];
const TIER_FILL = ['#e9ecef', '#e5484d', '#f76b15', '#f5b301', '#8e4ec6'];
const TIME_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/**
 * Renders a replay as one self-contained HTML page: per scope an inline SVG chart of
 * the index over time with the status as coloured bands and the thresholds as lines,
 * a strip of the tier each importance was in, and tables of transitions, panics and
 * bad ticks. No script, no external resource: it opens offline and can be attached.
 */
export function renderReplayReport(result: ReplayResult, options: ReplayReportOptions): string {
  const from = result.fromTs ?? 0;
  const until = Math.max(result.untilTs ?? 0, from + 1);
  const o = result.options;
  const summary = [
    `${result.ticks.total.toLocaleString('en-US')} records, ${result.ticks.accepted.toLocaleString('en-US')} ticks used, ${result.ticks.rejected.toLocaleString('en-US')} not used`,
    result.fromTs === null ? 'no valid tick' : `${iso(from)} → ${iso(until)} (${minutes((until - from) / 60_000)})`,
    `index = fast / slow variance of implied-probability log returns (half-lives ${seconds(o.fastHalfLifeMs)} / ${seconds(o.slowHalfLifeMs)})`,
    `panic: enter ≥ ${o.panic.enter} for ${seconds(o.panic.enterDelayMs)}, exit < ${o.panic.exit} for ${seconds(o.panic.exitDelayMs)}; elevated: enter ≥ ${o.elevated.enter} for ${seconds(o.elevated.enterDelayMs)}, exit < ${o.elevated.exit} for ${seconds(o.elevated.exitDelayMs)}; base TTL ${result.baseTtl} s`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VIX replay — ${esc(options.source)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; color: #1d2125; padding: 0 12px; }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 18px; margin: 32px 0 6px; border-top: 1px solid #dee2e6; padding-top: 16px; }
h3 { font-size: 14px; margin: 16px 0 4px; }
p.meta { margin: 2px 0; color: #495057; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #f1f3f5; }
th { color: #495057; font-weight: 600; }
.badge { display: inline-block; padding: 0 8px; border-radius: 9px; font-size: 12px; font-weight: 600; }
.calm { background: #d3f9d8; color: #2b8a3e; } .elevated { background: #fff3bf; color: #946c00; } .panic { background: #ffe3e3; color: #c92a2a; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: #495057; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border-radius: 2px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #495057; }
</style>
</head>
<body>
<h1>VIX replay — ${esc(options.source)}</h1>
${summary.map((line) => `<p class="meta">${esc(line)}</p>`).join('\n')}
${badTicks(result)}
${result.scopes.map((scope) => scopeSection(scope, result, from, until)).join('\n')}
</body>
</html>
`;
}

function scopeSection(scope: ReplayScope, result: ReplayResult, from: number, until: number): string {
  return `<section>
<h2>scope ${esc(scope.scope)} <span class="badge ${scope.finalStatus}">${scope.finalStatus}</span></h2>
<p class="meta">${scope.ticks.toLocaleString('en-US')} ticks, max index ${scope.maxIndex.toFixed(2)}, ${scope.panics.length} panic${scope.panics.length === 1 ? '' : 's'}, ${scope.transitions.length} transition${scope.transitions.length === 1 ? '' : 's'}</p>
${indexChart(scope, result, from, until)}
<div class="legend"><span><i style="background:${STATUS_FILL[1]};opacity:.35"></i>elevated</span><span><i style="background:${STATUS_FILL[2]};opacity:.35"></i>panic</span><span><i style="background:#1c7ed6"></i>index</span></div>
<h3>tier per importance (base TTL ${result.baseTtl} s)</h3>
${tierStrip(scope, from, until)}
<div class="legend">${TIER_FILL.map((fill, tier) => `<span><i style="background:${fill}"></i>tier ${tier}</span>`).join('')}</div>
${transitionsTable(scope)}
${scope.panics.map((panic) => panicTable(panic)).join('\n')}
</section>`;
}

function indexChart(scope: ReplayScope, result: ReplayResult, from: number, until: number): string {
  const o = result.options;
  const yMax = niceCeil(Math.max(scope.maxIndex, o.panic.enter * 1.5));
  const x = (ts: number) => MARGIN.left + ((ts - from) / (until - from)) * PLOT_WIDTH;
  const y = (v: number) => MARGIN.top + (1 - Math.min(v, yMax) / yMax) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const bands = statusIntervals(scope, from, until)
    .filter((b) => b.level > 0)
    .map((b) => `<rect x="${f(x(b.from))}" y="${MARGIN.top}" width="${f(Math.max(1, x(b.to) - x(b.from)))}" height="${HEIGHT - MARGIN.top - MARGIN.bottom}" fill="${STATUS_FILL[b.level]}" fill-opacity="0.22"/>`);
  const thresholds: Array<[number, string, string, string]> = [
    [o.panic.enter, '#e5484d', '6 4', 'panic enter'],
    [o.panic.exit, '#e5484d', '2 3', 'panic exit'],
    [o.elevated.enter, '#f59f00', '6 4', 'elevated enter'],
  ];
  const labels = new Map<number, string[]>();
  for (const [v, , , label] of thresholds) labels.set(v, [...(labels.get(v) ?? []), label]);
  const lines = thresholds.map(
    ([v, color, dash]) => `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${color}" stroke-dasharray="${dash}"/>`,
  );
  for (const [v, names] of labels) lines.push(`<text x="${WIDTH - MARGIN.right + 4}" y="${f(y(v) + 4)}">${esc(`${names.join(' / ')} ${trim(v)}`)}</text>`);
  const points = downsample(scope.series, from, until).map(([ts, v]) => `${f(x(ts))},${f(y(v))}`);
  const yTicks = [0, yMax / 4, yMax / 2, (3 * yMax) / 4, yMax].map(
    (v) => `<line x1="${MARGIN.left - 4}" x2="${MARGIN.left}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#adb5bd"/><text x="${MARGIN.left - 7}" y="${f(y(v) + 4)}" text-anchor="end">${trim(v)}</text>`,
  );
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="VIX index of scope ${esc(scope.scope)} over time">
<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_WIDTH}" height="${HEIGHT - MARGIN.top - MARGIN.bottom}" fill="#fcfcfd" stroke="#dee2e6"/>
${bands.join('\n')}
${lines.join('\n')}
<polyline points="${points.join(' ')}" fill="none" stroke="#1c7ed6" stroke-width="1.5" stroke-linejoin="round"/>
${yTicks.join('\n')}
${timeAxis(from, until, x, HEIGHT - MARGIN.bottom)}
<text x="${MARGIN.left - 40}" y="${MARGIN.top + 10}" transform="rotate(-90 ${MARGIN.left - 40} ${MARGIN.top + 10})" text-anchor="end">index</text>
</svg>`;
}

function tierStrip(scope: ReplayScope, from: number, until: number): string {
  const rowHeight = 18;
  const height = IMPORTANCES.length * (rowHeight + 6) + 24;
  const x = (ts: number) => MARGIN.left + ((ts - from) / (until - from)) * PLOT_WIDTH;
  const rows = IMPORTANCES.map((importance, i) => {
    const top = i * (rowHeight + 6);
    const segments = scope.panics.flatMap((panic) => {
      const steps = panic.tiers[importance];
      const end = panic.endTs ?? until;
      return steps
        .filter((s) => s.tier > 0)
        .map((step, k, all) => {
          const stepEnd = all[k + 1]?.ts ?? end;
          return `<rect x="${f(x(step.ts))}" y="${top}" width="${f(Math.max(1, x(stepEnd) - x(step.ts)))}" height="${rowHeight}" fill="${TIER_FILL[step.tier]}"><title>${esc(`${importance}: tier ${step.tier} ${step.mode}, TTL ${step.ttl} s, from ${iso(step.ts)}`)}</title></rect>`;
        });
    });
    return `<text x="${MARGIN.left - 6}" y="${top + 13}" text-anchor="end">${importance}</text><rect x="${f(x(from))}" y="${top}" width="${f(x(until) - x(from))}" height="${rowHeight}" fill="${TIER_FILL[0]}"/>${segments.join('')}`;
  });
  return `<svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="tier per importance of scope ${esc(scope.scope)} over time">
${rows.join('\n')}
${timeAxis(from, until, x, IMPORTANCES.length * (rowHeight + 6))}
</svg>`;
}

function transitionsTable(scope: ReplayScope): string {
  if (scope.transitions.length === 0) return '<p class="meta">No status change: calm throughout.</p>';
  const rows = scope.transitions.map(
    (t) => `<tr><td>${iso(t.ts)}</td><td><span class="badge ${t.from}">${t.from}</span> → <span class="badge ${t.to}">${t.to}</span></td><td>${t.index.toFixed(2)}</td><td>${t.cause === 'idle' ? 'no ticks any more' : 'index'}</td></tr>`,
  );
  return `<h3>status transitions</h3><table><tr><th>time (UTC)</th><th>change</th><th>index</th><th>cause</th></tr>${rows.join('')}</table>`;
}

function panicTable(panic: ReplayPanic): string {
  const rows = IMPORTANCES.map((importance) => {
    const steps = panic.tiers[importance].map((s) => `${time(s.ts)} tier ${s.tier} (${s.ttl} s)`).join(' → ');
    return `<tr><td>${importance}</td><td>${esc(steps)}</td></tr>`;
  });
  const title = `panic ${iso(panic.startTs)} → ${panic.endTs === null ? 'still on at the end' : iso(panic.endTs)} (${minutes(panic.durationMin)})`;
  return `<h3>${esc(title)}</h3><table><tr><th>importance</th><th>tier timeline</th></tr>${rows.join('')}</table>`;
}

function badTicks(result: ReplayResult): string {
  const entries = Object.entries(result.ticks.byReason) as Array<[RejectReason, number]>;
  if (entries.length === 0) return '<p class="meta">Every record was a usable tick.</p>';
  const rows = entries.map(([reason, count]) => `<tr><td>${reason}</td><td>${REJECT_RULES[reason]}</td><td>${count.toLocaleString('en-US')}</td></tr>`);
  return `<h3>ticks not used</h3><table><tr><th>reason</th><th>rule</th><th>count</th></tr>${rows.join('')}</table>`;
}

/** The status over time as intervals, from the transitions. */
function statusIntervals(scope: ReplayScope, from: number, until: number): Array<{ from: number; to: number; level: number }> {
  const intervals: Array<{ from: number; to: number; level: number }> = [];
  let start = from;
  let current = 0;
  for (const t of scope.transitions) {
    intervals.push({ from: start, to: t.ts, level: current });
    start = t.ts;
    current = VIX_STATUS_LEVEL[t.to];
  }
  intervals.push({ from: start, to: until, level: current });
  return intervals;
}

/** At most one point per pixel column, keeping the highest index so spikes stay visible. */
function downsample(series: ReplayScope['series'], from: number, until: number): Array<[number, number]> {
  if (series.length <= PLOT_WIDTH) return series.map(([ts, v]) => [ts, v]);
  const columns = new Map<number, [number, number]>();
  for (const [ts, v] of series) {
    const column = Math.floor(((ts - from) / (until - from)) * PLOT_WIDTH);
    const kept = columns.get(column);
    if (!kept || v > kept[1]) columns.set(column, [ts, v]);
  }
  return [...columns.values()].sort((a, b) => a[0] - b[0]);
}

function timeAxis(from: number, until: number, x: (ts: number) => number, top: number): string {
  const spanMin = (until - from) / 60_000;
  const stepMin = TIME_STEPS_MIN.find((step) => spanMin / step <= 8) ?? 1440;
  const stepMs = stepMin * 60_000;
  const ticks: string[] = [];
  for (let ts = Math.ceil(from / stepMs) * stepMs; ts <= until; ts += stepMs) {
    ticks.push(`<line x1="${f(x(ts))}" x2="${f(x(ts))}" y1="${top}" y2="${top + 4}" stroke="#adb5bd"/><text x="${f(x(ts))}" y="${top + 16}" text-anchor="middle">${time(ts).slice(0, 5)}</text>`);
  }
  return ticks.join('');
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function iso(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
}

function time(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

function minutes(value: number): string {
  if (value < 59.95) return `${Math.round(value * 10) / 10} min`;
  const whole = Math.round(value);
  return `${Math.floor(whole / 60)} h ${whole % 60} min`;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

function trim(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function f(value: number): string {
  return value.toFixed(1);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
