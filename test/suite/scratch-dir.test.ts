import { existsSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SCRATCH_MIN_FREE_BYTES, scratchDir } from '../support/scratch-dir.js';

describe('scratchDir: memory for scratch files only where there is room', () => {
  it('a /dev/shm with less free space than asked (a 64 MB container) is not used: the system temporary directory is', () => {
    if (!existsSync('/dev/shm')) return expect(scratchDir()).toBe(tmpdir());
    const { bavail, bsize } = statfsSync('/dev/shm');
    expect(scratchDir('/dev/shm', bavail * bsize + 1)).toBe(tmpdir());
    expect(scratchDir('/dev/shm', 1)).toBe('/dev/shm');
    expect(scratchDir()).toBe(bavail * bsize >= SCRATCH_MIN_FREE_BYTES ? '/dev/shm' : tmpdir());
  });

  it('no /dev/shm (macOS, some containers): the system temporary directory', () => {
    expect(scratchDir('/dev/shm-not-here')).toBe(tmpdir());
  });
});
