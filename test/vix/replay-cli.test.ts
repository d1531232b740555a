import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { RejectReason } from '../../src/vix/tick.js';
import { scenarioRecords, SCENARIOS } from '../../scripts/generate-ticks.js';

const dir = mkdtempSync(join(tmpdir(), 'vix-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {} });
  return { code, out, err };
}

interface JsonScope {
  scope: string;
  finalStatus: string;
  maxIndex: number;
  transitions: Array<{ ts: number; from: string; to: string; cause: string }>;
  panics: Array<{ startTs: number; endTs: number | null; durationMin: number; tiers: Record<string, Array<{ tier: number; ttl: number }>> }>;
}

async function replayJson(file: string): Promise<{ ticks: { total: number; accepted: number; byReason: Record<string, number> }; scopes: JsonScope[] }> {
  const { code, out, err } = await cli(['replay', file, '--json']);
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out);
}

/** The bad ticks the generator planted in a scenario, by reason. */
function planted(name: string): Record<string, number> {
  const counts: Partial<Record<RejectReason, number>> = {};
  for (const record of scenarioRecords(name)) if (record.bad) counts[record.bad] = (counts[record.bad] ?? 0) + 1;
  return counts;
}

const tiersOf = (panic: JsonScope['panics'][number], importance: string) => panic.tiers[importance]!.map((s) => s.tier);
const scopeOf = (result: { scopes: JsonScope[] }, name: string) => result.scopes.find((s) => s.scope === name)!;

describe('vix-ttl replay: the three examples replay to their expected timelines', () => {
  it('calm-day.csv: no scope ever leaves calm; the planted duplicates and late ticks are ignored', async () => {
    const result = await replayJson('examples/calm-day.csv');
    expect(result.scopes.map((s) => s.scope)).toEqual(['global', 'ars-che', 'lyon-nice', 'psg-om']);
    for (const scope of result.scopes) {
      expect(scope.transitions).toEqual([]);
      expect(scope.maxIndex).toBeLessThan(2);
    }
    expect(result.ticks.byReason).toEqual(planted('calm-day'));
  });

  it('goal-shock.jsonl: rma-bay panics within seconds of the goal and is calm again minutes after the shock; psg-bvb never moves', async () => {
    const result = await replayJson('examples/goal-shock.jsonl');
    const options = SCENARIOS['goal-shock']!.options(SCENARIOS['goal-shock']!.seed);
    const goal = options.startMs + options.events![0]!.atMs;
    const shockEnd = goal + options.events![0]!.durationMs;
    const rma = scopeOf(result, 'rma-bay');
    expect(rma.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['calm→panic', 'panic→calm']);
    expect(rma.transitions[0]!.ts - goal).toBeGreaterThanOrEqual(10_000);
    expect(rma.transitions[0]!.ts - goal).toBeLessThan(25_000);
    expect(rma.transitions[1]!.ts - shockEnd).toBeGreaterThanOrEqual(60_000);
    expect(rma.transitions[1]!.ts - shockEnd).toBeLessThan(4 * 60_000);
    expect(tiersOf(rma.panics[0]!, 'low_stakes')).toEqual([1, 0]);
    expect(scopeOf(result, 'psg-bvb').transitions).toEqual([]);
    expect(result.ticks.byReason).toEqual(planted('goal-shock'));
    expect(Object.keys(result.ticks.byReason)).toHaveLength(8);
  });

  it('volatile-evening.csv: one panic of almost two hours that climbs the tiers of each importance', async () => {
    const result = await replayJson('examples/volatile-evening.csv');
    const match = scopeOf(result, 'om-ol');
    expect(match.transitions.map((t) => t.to)).toEqual(['panic', 'calm']);
    const [panic] = match.panics;
    expect(panic!.durationMin).toBeGreaterThan(110);
    expect(panic!.durationMin).toBeLessThan(125);
    expect(tiersOf(panic!, 'high_stakes')).toEqual([1, 2, 0]);
    expect(tiersOf(panic!, 'medium_stakes')).toEqual([1, 2, 3, 0]);
    expect(tiersOf(panic!, 'low_stakes')).toEqual([1, 2, 3, 4, 0]);
    expect(panic!.tiers.low_stakes!.map((s) => s.ttl)).toEqual([0, 5, 20, 45, 60]);
    expect(result.ticks.byReason).toEqual(planted('volatile-evening'));
  });

  it('prints a readable timeline without --json', async () => {
    const { code, out } = await cli(['replay', 'examples/goal-shock.jsonl']);
    expect(code).toBe(0);
    expect(out).toMatch(/scope rma-bay: \d+ ticks, max index [\d.]+, 1 panic\(s\), now calm/);
    expect(out).toMatch(/2024-05-08T19:12:\d\d\.\d{3}Z\s+calm → panic/);
    expect(out).toMatch(/low_stakes\s+19:12:\d\d\.\d{3}Z T1 0s → 19:1\d:\d\d\.\d{3}Z T0 60s/);
    expect(out).toMatch(/malformed\s+reject\s+2/);
    expect(out).toContain('scope psg-bvb');
    expect(out).toContain('calm throughout');
  });

  it('--base-ttl caps the tier TTLs', async () => {
    const { out } = await cli(['replay', 'examples/volatile-evening.csv', '--json', '--base-ttl', '10']);
    const panic = scopeOf(JSON.parse(out), 'om-ol').panics[0]!;
    expect(panic.tiers.low_stakes!.map((s) => s.ttl)).toEqual([0, 5, 10, 10, 10]);
  });
});

describe('vix-ttl replay --report: a self-contained HTML report with charts', () => {
  const report = join(dir, 'evening.html');

  it('writes the report: inline SVG charts per scope, no script, nothing fetched from elsewhere', async () => {
    const { code, out } = await cli(['replay', 'examples/volatile-evening.csv', '--report', report]);
    expect(code).toBe(0);
    expect(out).toContain(`report written to ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(4); // index chart + tier strip, for global and om-ol
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('low_stakes: tier 4 NEW_NORMAL, TTL 45 s');
  });

  it('renders in a real headless Chromium without any network request', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${report}`);
      const charts = await page.$$eval('svg', (svgs) => svgs.map((svg) => ({ width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height })));
      expect(charts).toHaveLength(4);
      expect(charts.every((c) => c.width > 500 && c.height > 50)).toBe(true);
      const points = await page.$eval('polyline', (line) => line.getAttribute('points')!.split(' ').length);
      expect(points).toBeGreaterThan(300);
      const panicBands = await page.$$eval('rect[fill="#e5484d"]', (rects) => rects.length);
      expect(panicBands).toBeGreaterThanOrEqual(2);
      expect(requests).toEqual([`file://${report}`]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});

describe('vix-ttl replay reads what feeds write', () => {
  it('CSV: columns in any order, extra columns, quoted cells, ISO-8601 or epoch-ms times, CRLF, a BOM', async () => {
    const file = join(dir, 'mixed.csv');
    const rows = ['\uFEFFprice,bookmaker,ts,market,scope', '2.1,"Pinnacle, Ltd",2024-05-18T13:00:00Z,"m,1",ucl', '2.2,x,1716037201000,"m,1",ucl', 'abc,x,1716037202000,"m,1",ucl', '2.3,x,,"m,1",ucl', ''];
    writeFileSync(file, rows.join('\r\n'));
    const result = await replayJson(file);
    expect(result.ticks).toMatchObject({ total: 4, accepted: 2, byReason: { bad_price: 1, missing_field: 1 } });
    expect(result.scopes.map((s) => s.scope)).toEqual(['global', 'ucl']);
  });

  it('JSON lines: a line that is not JSON is one malformed tick, not a failure', async () => {
    const file = join(dir, 'broken.ndjson');
    writeFileSync(file, '{"ts":1716037200000,"market":"m","price":2}\n{"ts":1716037201000,"market":"m","pri\n\n{"ts":1716037202000,"market":"m","price":2.1}\n');
    const result = await replayJson(file);
    expect(result.ticks).toMatchObject({ total: 3, accepted: 2, byReason: { malformed: 1 } });
  });

  it('an empty JSON-lines file is a replay of nothing', async () => {
    const file = join(dir, 'empty.jsonl');
    writeFileSync(file, '');
    const result = await replayJson(file);
    expect(result).toMatchObject({ ticks: { total: 0, accepted: 0 }, scopes: [] });
  });
});

describe('vix-ttl replay: bad command lines and unreadable files are one line, no stack trace', () => {
  const noHeader = join(dir, 'no-header.csv');
  const emptyCsv = join(dir, 'empty.csv');
  const folder = join(dir, 'folder.csv');
  writeFileSync(noHeader, '1716037200000,m,2.1,ucl\n');
  writeFileSync(emptyCsv, '');
  mkdirSync(folder);

  const cases: Array<[string[], number, RegExp]> = [
    [['replay'], 2, /needs one tick file/],
    [['replay', 'a.csv', 'b.csv'], 2, /takes one tick file, got 2/],
    [['replay', 'ticks.txt'], 2, /cannot tell the format of ticks.txt: name it .csv, .jsonl or .ndjson, or pass --format csv\|jsonl/],
    [['replay', 'examples/calm-day.csv', '--bogus'], 2, /unknown option '--bogus'/],
    [['replay', 'examples/calm-day.csv', '--base-ttl', 'x'], 2, /--base-ttl must be a number ≥ 0, got "x"/],
    [['replay', 'examples/calm-day.csv', '--report'], 2, /--report/],
    [['replay', 'missing.csv'], 1, /^vix-ttl replay: cannot read missing.csv: no such file$/],
    [['replay', folder], 1, /not a file/],
    [['replay', noHeader], 1, /the CSV header must name the columns ts, market, price .* missing ts, market, price/],
    [['replay', emptyCsv], 1, /is empty: a CSV tick file starts with the header ts,market,price,scope/],
    [['replay', 'examples/calm-day.csv', '--report', join(dir, 'no/such/dir/r.html')], 1, /cannot write the report to/],
  ];
  for (const [args, exit, message] of cases) {
    it(`${args.join(' ').replace(dir, '<tmp>')} → exit ${exit}`, async () => {
      const { code, err, out } = await cli(args);
      expect(code).toBe(exit);
      expect(out).toBe('');
      expect(err.trim()).toMatch(message);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).not.toMatch(/\bat .*:\d+:\d+/);
    });
  }

  it('--help prints the usage', async () => {
    const { code, out } = await cli(['replay', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('vix-ttl replay <ticks.csv|ticks.jsonl|-> [--json] [--report report.html]');
  });

  it('is listed in vix-ttl help', async () => {
    const { out } = await cli(['help']);
    expect(out).toContain('vix-ttl replay <ticks.csv|ticks.jsonl|->');
  });
});
