import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';
import { cli } from './run-cli.js';

const run = promisify(execFile);

describe('vix-ttl plan', () => {
  it('prints the tier plans of the three importances', async () => {
    const { code, out } = await cli(['plan']);
    expect(code).toBe(0);
    for (const text of ['high_stakes', 'medium_stakes', 'low_stakes', '0–60 min', '360–∞ min', '45 s']) expect(out).toContain(text);
  });

  it('--json gives the classified plan of one match', async () => {
    const { out } = await cli(['plan', '--league', 'Ligue des Champions', '--base-ttl', '30', '--json']);
    const plan = JSON.parse(out);
    expect(plan.plans).toHaveLength(1);
    expect(plan.plans[0].importance).toBe('high_stakes');
    expect(plan.plans[0].tiers.map((t: { ttl: number }) => t.ttl)).toEqual([0, 5, 30, 30]);
  });
});

describe('vix-ttl decide', () => {
  it('decides like the pure policy', async () => {
    const { code, out } = await cli(['decide', '--base-ttl', '60', '--status', 'panic', '--minutes', '45', '--league', 'Ligue 1', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ttl: 5, tier: 2, mode: 'PANIC_PARTIAL' });
  });

  it('prints a readable table without --json', async () => {
    const { out } = await cli(['decide', '--status', 'calm']);
    expect(out).toMatch(/ttl\s+mode/);
    expect(out).toContain('NORMAL');
  });
});

describe('bad command lines: one line, exit code 2, no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['decide', '--status', 'panic'], /--minutes is required/],
    [['decide', '--status', 'panic', '--minutes', 'abc'], /--minutes must be a number ≥ 0, got "abc"/],
    [['decide', '--status', 'panic', '--minutes=-5'], /--minutes must be a number ≥ 0, got -5$/m],
    [['decide', '--status', 'PANIC', '--minutes', '5'], /--status must be one of calm, elevated, panic/],
    [['decide', '--status', 'calm', '--minutes', '5'], /--minutes only applies/],
    [['decide', '--bogus'], /unknown option '--bogus'/],
    [['plan', '--importance', 'ultra'], /--importance must be one of/],
    [['plan', '--base-ttl'], /--base-ttl/],
    [['plan', 'extra'], /unexpected argument 'extra'/],
    [['status'], /needs a shared clock/],
    [['status', '--redis', 'not a url'], /--redis must be a URL/],
    [['reset', '--redis', 'http://127.0.0.1:1'], /--redis must use redis:\/\//],
    [['reset', '--redis', 'redis://127.0.0.1:1', '--scope', 'bad scope'], /scope must be/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    it(`vix-ttl ${args.join(' ')}`, async () => {
      const { code, err } = await cli(args);
      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    });
  }

  it('an unreachable Redis is exit code 1 with one line', async () => {
    const { code, err } = await cli(['status', '--redis', 'redis://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(err.trim()).toMatch(/^vix-ttl status: cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/);
  });
});

describe('the installed binary', () => {
  it('runs from bin/ through the built dist/ and exits 2 on a bad flag without a stack trace', async () => {
    const ok = await run(process.execPath, [VIX_TTL_BIN, 'decide', '--status', 'panic', '--minutes', '200', '--league', 'UCL', '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ tier: 3, ttl: 30 });
    const bad = await run(process.execPath, [VIX_TTL_BIN, 'decide', '--minutes', 'x']).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000); // the suite's global setup built dist/
});
