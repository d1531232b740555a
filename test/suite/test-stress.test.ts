import { describe, expect, it } from 'vitest';
import { failuresIn, runPassed } from '../../scripts/test-stress.js';

describe('npm run test:stress judges each run by its closing line and its exit code', () => {
  it.each([
    [0, '616 passed, 0 failed', true],
    [0, '600 passed, 0 failed, 8 skipped', true],
    [1, '597 passed, 0 failed, 8 skipped', false], // the lie the reporter no longer tells: the exit code wins
    [0, '597 passed, 1 failed, 8 skipped', false],
    [1, '612 passed, 4 failed', false],
    [0, '0 passed, 0 failed', false], // a run that ran nothing did not pass
    [0, null, false],
    [null, '616 passed, 0 failed', false], // killed by a signal
  ] as const)('exit %s with %j: passed = %s', (code, summary, passed) => {
    expect(runPassed({ code, summary })).toBe(passed);
  });

  it('names the failures of a run: failed tests and what failed outside a test body, each once, colours removed', () => {
    const output = [
      '\x1b[41m\x1b[1m FAIL \x1b[22m\x1b[49m test/a.test.ts > suite > a test',
      ' FAIL  test/a.test.ts > suite > a test',
      'Failed outside a test body:',
      '  ✗ test/b.test.ts > setup: expected \'miss\' to be \'hit\'',
      '',
      '1 passed, 2 failed',
    ].join('\n');
    expect(failuresIn(output)).toEqual(['test/a.test.ts > suite > a test', "test/b.test.ts > setup: expected 'miss' to be 'hit'"]);
  });
});
