import { execFile, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { hasCommand } from '../support/tools.js';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vix-replay-stdin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in this process with `stdin` as its standard input and a status line of its own. */
async function replay(args: string[], stdin?: NodeJS.ReadableStream, status?: (text: string) => void): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['replay', ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {}, stdin, status });
  return { code, out, err };
}

/** `text` as a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The --json output of a replay without the fields that name its input. */
function result(out: string): Record<string, unknown> {
  const { file: _file, ...rest } = JSON.parse(out) as Record<string, unknown>;
  return rest;
}

describe('vix-ttl replay - reads standard input', () => {
  for (const example of ['examples/goal-shock.jsonl', 'examples/calm-day.csv']) {
    it(`${example} through stdin replays exactly as the file, its format told by its first line`, async () => {
      const fromFile = await replay([example, '--json']);
      const fromStdin = await replay(['-', '--json'], createReadStream(example));
      expect(fromStdin.err).toBe('');
      expect(fromStdin.code).toBe(0);
      expect(JSON.parse(fromStdin.out)).toMatchObject({ file: '-', format: example.endsWith('.csv') ? 'csv' : 'jsonl' });
      expect(result(fromStdin.out)).toEqual(result(fromFile.out));
    });
  }

  it('--format overrides the guess; a CSV header is then required of JSON lines, one line, exit 1', async () => {
    const { code, err } = await replay(['-', '--format', 'csv'], createReadStream('examples/goal-shock.jsonl'));
    expect(code).toBe(1);
    expect(err.trim()).toMatch(/^vix-ttl replay: standard input: the CSV header must name the columns ts, market, price/);
  });

  it('a BOM and blank lines before a CSV header still make it CSV; an empty input is a replay of nothing', async () => {
    const input = new PassThrough();
    input.end('\uFEFF\n\nts,market,price,scope\n1716037200000,m,2.1,ucl\n');
    expect(JSON.parse((await replay(['-', '--json'], input)).out)).toMatchObject({ format: 'csv', ticks: { total: 1, accepted: 1 } });
    const empty = new PassThrough();
    empty.end('');
    expect(JSON.parse((await replay(['-', '--json'], empty)).out)).toMatchObject({ ticks: { total: 0 }, scopes: [] });
  });

  it('a line over 64 KiB is one bad record, whole or in pieces, and no line reader holds more: a feed without line breaks cannot fill the memory', async () => {
    const tick = (s: number) => JSON.stringify({ ts: 1716037200000 + s * 1000, market: 'm', price: 2 + s / 100 });
    const input = new PassThrough();
    const done = replay(['-', '--json'], input);
    input.write(`${tick(0)}\n{"ts":1716037201000,"market":"${'x'.repeat(100_000)}`);
    for (let i = 0; i < 50; i += 1) input.write('y'.repeat(100_000)); // 5 MB more of the same line
    input.end(`"}\n${tick(2)}\n`);
    const { out } = await done;
    expect(JSON.parse(out)).toMatchObject({ ticks: { total: 3, accepted: 2, rejected: 1 } });
    const endless = new PassThrough();
    const running = replay(['-', '--json', '--format', 'jsonl'], endless);
    for (let i = 0; i < 100; i += 1) endless.write(Buffer.alloc(100_000)); // 10 MB of NUL bytes, as from /dev/zero
    endless.end();
    expect(JSON.parse((await running).out)).toMatchObject({ ticks: { total: 1, accepted: 0, rejected: 1 } });
    const header = new PassThrough();
    header.end(`ts,market,price,${'c'.repeat(70_000)}\n1716037200000,m,2\n`);
    const refused = await replay(['-', '--format', 'csv'], header);
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toMatch(/the CSV header must name the columns ts, market, price .* missing ts, market, price in ""line over 65536 bytes""$/);
  });

  it('is refused plainly when the caller has no standard input to give', async () => {
    const { code, err } = await replay(['-']);
    expect(code).toBe(2);
    expect(err.trim()).toBe('vix-ttl replay: replay - reads standard input, which this caller does not provide');
  });

  it('streams: ticks are replayed (and counted on the status line) while the input is still open', async () => {
    const input = new PassThrough();
    const statuses: string[] = [];
    const done = replay(['-', '--json'], input, (text) => statuses.push(text));
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${1716037200000 + (from + i) * 1000},m${(from + i) % 7},${(2 + ((from + i) % 5) / 100).toFixed(2)},ucl`).join('\n');
    input.write(`ts,market,price,scope\n${rows(0, 2000)}\n`);
    const deadline = Date.now() + 10_000;
    while (!statuses.some((s) => s.includes('2,000 records')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statuses.some((s) => /^replay standard input: 2,000 records/.test(s))).toBe(true); // half of it read, the input not closed
    input.end(`${rows(2000, 2000)}\n`);
    const { code, out } = await done;
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ticks: { total: 4000, accepted: 4000 } });
    expect(statuses.at(-1)).toBe(''); // the status line is cleared at the end
  });

  it('a real process reads a pipe: cat ticks | vix-ttl replay - --json, and with stderr a pipe writes nothing to it', async () => {
    const child = spawn(process.execPath, [VIX_TTL_BIN, 'replay', '-', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createReadStream('examples/volatile-evening.csv').pipe(child.stdin);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    child.stderr.on('data', (chunk) => (err += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(err).toBe(''); // stderr is a pipe: no progress
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ file: '-', format: 'csv', ticks: { accepted: expect.any(Number) } });
  }, 30_000);
});

describe('vix-ttl replay shows progress on stderr only when stderr is a terminal (a pipe: see above)', () => {
  it.skipIf(!hasCommand('script'))('under a real pseudo-terminal (script): a progress line with the share of the file, erased at the end; stdout stays clean', async () => {
    const out = join(dir, 'replay.json');
    const command = `${process.execPath} ${VIX_TTL_BIN} replay examples/volatile-evening.csv --json > ${out}`;
    const { stdout: terminal } = await run('script', ['-qec', command, '/dev/null'], { env: { ...process.env, TERM: 'dumb' } });
    const erase = '\r\u001b[2K'; // carriage return, erase the line
    expect(terminal).toMatch(new RegExp(`${escape(erase)}replay examples/volatile-evening\\.csv: [\\d,]+ records · \\d+% of \\d+ KiB`));
    expect(terminal.endsWith(erase)).toBe(true); // cleared last
    const json = readFileSync(out, 'utf8');
    expect(json).not.toContain('\x1b');
    expect(JSON.parse(json)).toMatchObject({ file: 'examples/volatile-evening.csv', format: 'csv' });
  }, 60_000);
});
