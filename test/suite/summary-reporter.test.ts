import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** Runs one fixture of test/fixtures/reporter with the project's reporter, as `npm test` would. */
function runFixture(name: string, config = 'vitest.config.ts'): Promise<{ code: number | null; lastLine: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--config', `test/fixtures/reporter/${config}`, `${name}.fixture.ts`],
      { cwd: ROOT, env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const lines = stdout.split('\n').filter((line) => line.trim() !== '');
        resolve({ code, lastLine: lines.at(-1) ?? '', stdout });
      },
    );
  });
}

/** Each fixture runs once per file, however many tests read its output. */
const runs = new Map<string, ReturnType<typeof runFixture>>();
function fixtureRun(name: string): ReturnType<typeof runFixture> {
  let run = runs.get(name);
  if (run === undefined) runs.set(name, (run = runFixture(name)));
  return run;
}

describe('the closing "N passed, N failed" line agrees with the exit code, whatever fails', () => {
  it.concurrent.each([
    ['passes', '2 passed, 0 failed, 1 skipped', 0],
    ['fails-in-test', '1 passed, 1 failed', 1],
    ['fails-in-before-all', '1 passed, 1 failed, 2 skipped', 1],
    ['fails-in-file-before-all', '0 passed, 1 failed, 1 skipped', 1],
    ['fails-in-after-all', '2 passed, 1 failed', 1],
    ['fails-in-nested-each', '1 passed, 2 failed', 1],
    ['fails-at-import', '0 passed, 1 failed', 1],
    ['fails-at-collection', '0 passed, 1 failed', 1],
    ['unhandled-rejection', '1 passed, 1 failed', 1],
  ] as const)('%s: the last line is "%s" and the exit code %i', async (name, line, code) => {
    const run = await fixtureRun(name);
    expect(run.lastLine, run.stdout).toBe(line);
    expect(run.code, run.stdout).toBe(code);
  });

  it.concurrent('a run that stops before its tests (a failing global setup) ends with "0 passed, 1 failed" and exit code 1', async () => {
    const run = await runFixture('passes', 'vitest.failing-setup.config.ts');
    expect(run.lastLine, run.stdout).toBe('0 passed, 1 failed');
    expect(run.code, run.stdout).toBe(1);
  });

  it.concurrent('a failure outside a test body is named above the line', async () => {
    const run = await fixtureRun('fails-in-before-all');
    expect(run.stdout).toMatch(/Failed outside a test body:\n\s+✗ test\/fixtures\/reporter\/fails-in-before-all\.fixture\.ts > a suite whose setup fails: expected 'miss' to be 'hit'/);
  });
});
