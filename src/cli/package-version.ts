import { readFileSync } from 'node:fs';

/**
 * The version of the installed package, from its package.json (two folders up,
 * from src/cli/ as from dist/cli/), for `vix-ttl --version`; `unknown` when it cannot be read.
 */
export const PACKAGE_VERSION: string = (() => {
  try {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
