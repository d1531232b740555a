import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WORKER_HEAP_GROWING_PERCENT, workerExecArgv } from '../../src/server/process/worker-exec-argv.js';

describe('workerExecArgv: the flags a cluster worker starts with', () => {
  it('the primary\'s own flags, in order, then the heap growing factor', () => {
    expect(workerExecArgv(['--import', 'tsx', '--enable-source-maps'])).toEqual(['--import', 'tsx', '--enable-source-maps', `--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`]);
    expect(workerExecArgv([])).toEqual([`--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`]);
  });

  it.each([['--heap-growing-percent=50'], ['--heap_growing_percent=50'], ['--heap-growing-percent'], ['-heap-growing-percent=50'], ['-heap_growing-percent=50']])('an operator\'s own %s wins: nothing is added', (flag) => {
    expect(workerExecArgv(['--max-old-space-size=512', flag])).toEqual(['--max-old-space-size=512', flag]);
  });

  it('V8 reads the one-dash spelling as the growing factor too (so adding ours after it would override the operator\'s)', () => {
    // An illegal value is V8's proof that it parsed the flag (one it did not know would be a "bad option").
    const run = spawnSync(process.execPath, ['-heap-growing-percent=x', '-e', '0'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('illegal value for flag -heap-growing-percent=x of type int');
  });

  it('a flag that only begins alike is not the operator\'s growing factor', () => {
    expect(workerExecArgv(['--heap-growing-percentage=9'])).toContain(`--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`);
  });

  it('does not change the array it is given', () => {
    const primary = ['--enable-source-maps'];
    workerExecArgv(primary);
    expect(primary).toEqual(['--enable-source-maps']);
  });
});
