import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { scenarioText, SCENARIOS } from '../../scripts/generate-ticks.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vix-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/ are made by the seeded generator in scripts/generate-ticks.ts', () => {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(`${scenario.file} is exactly what scenario ${name} with seed ${scenario.seed} writes, and stays under 1 MB`, () => {
      const committed = readFileSync(join('examples', scenario.file), 'utf8');
      expect(scenarioText(name) === committed).toBe(true);
      expect(statSync(join('examples', scenario.file)).size).toBeLessThan(1_000_000);
    });
  }

  it('same seed, same bytes; another seed, another stream', () => {
    expect(scenarioText('goal-shock', 7)).toBe(scenarioText('goal-shock', 7));
    expect(scenarioText('goal-shock', 8)).not.toBe(scenarioText('goal-shock', 7));
  });

  it('the script writes a scenario with a chosen seed to a chosen file', async () => {
    const out = join(dir, 'calm.csv');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/generate-ticks.ts', '--scenario', 'calm-day', '--seed', '5', '--out', out]);
    expect(stdout).toMatch(/^calm-day: \d+ records, \d+ KiB → /);
    expect(readFileSync(out, 'utf8') === scenarioText('calm-day', 5)).toBe(true);
    const bad = await run(process.execPath, ['--import', 'tsx', 'scripts/generate-ticks.ts', '--scenario', 'nope']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^generate-ticks: unknown scenario "nope"/) });
  }, 30_000);
});
