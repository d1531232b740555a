import { accessSync, constants, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * Free space /dev/shm must have to be used: a packed-package test alone holds a copy of
 * the repository, a build, a tarball and unpacked copies (test/package's two files side by
 * side: 37 MB at peak). A container's /dev/shm is often 64 MB (Docker's default), and
 * Chromium (the browser tests, which run at the same time in `npm test`) keeps its
 * shared memory there: filling it would fail tests with ENOSPC or crash the browser
 * where the system's temporary directory has room.
 */
export const SCRATCH_MIN_FREE_BYTES = 1024 * 1024 * 1024;

/**
 * A directory for scratch files: memory (/dev/shm) where there is one with room, else
 * the system's temporary directory. On this kind of VM disk, creating a file or a link
 * costs most of a millisecond of system time, and a test run makes thousands (a copy
 * of the repository, a build, links to everything in /usr/bin).
 */
export function scratchDir(memory = '/dev/shm', minFreeBytes = SCRATCH_MIN_FREE_BYTES): string {
  try {
    accessSync(memory, constants.W_OK);
    const { bavail, bsize } = statfsSync(memory);
    return bavail * bsize >= minFreeBytes ? memory : tmpdir();
  } catch {
    return tmpdir();
  }
}
