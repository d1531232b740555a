import { readFileSync } from 'node:fs';

/**
 * The version of the installed vix-ttl package (its `package.json`, two levels above
 * this module from `src/core/` and `dist/core/` alike), or `unknown` when it cannot
 * be read. Read once, for the `vix_ttl_info` metric and the OpenAPI document's `info.version`.
 */
export const PACKAGE_VERSION: string = ((): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
