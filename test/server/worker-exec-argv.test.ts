import { describe, expect, it } from 'vitest';
import { WORKER_HEAP_GROWING_PERCENT, workerExecArgv } from '../../src/server/process/worker-exec-argv.js';

describe('workerExecArgv: the flags a cluster worker starts with', () => {
  it('the primary\'s own flags, in order, then the heap growing factor', () => {
    expect(workerExecArgv(['--import', 'tsx', '--enable-source-maps'])).toEqual(['--import', 'tsx', '--enable-source-maps', `--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`]);
    expect(workerExecArgv([])).toEqual([`--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`]);
  });

  it.each([['--heap-growing-percent=50'], ['--heap_growing_percent=50'], ['--heap-growing-percent']])('an operator\'s own %s wins: nothing is added', (flag) => {
    expect(workerExecArgv(['--max-old-space-size=512', flag])).toEqual(['--max-old-space-size=512', flag]);
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
