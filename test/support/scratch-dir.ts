import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * A directory for scratch files: memory (/dev/shm) where there is one, else the
 * system's temporary directory. On this kind of VM disk, creating a file or a link
 * costs most of a millisecond of system time, and a test run makes thousands (a copy
 * of the repository, a build, links to everything in /usr/bin).
 */
export function scratchDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}
