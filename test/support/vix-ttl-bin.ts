import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The command as a user runs it: `node bin/vix-ttl.js`, over dist/. Tests that need a
 * real process run this, not the sources through tsx: it is what is installed, and it
 * starts in half the CPU. The suite's global setup (`buildDistIfStale`) makes dist/
 * match src/ first.
 */
export const VIX_TTL_BIN = join(ROOT, 'bin', 'vix-ttl.js');

/** Vitest global setup: runs `npm run build` when a file of src/ is newer than its build (`npm ci` built it; an edit of src/ did not). */
export default async function buildDistIfStale(): Promise<void> {
  if (distIsFresh()) return;
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT });
}

/** Whether every TypeScript file under src/ has its JavaScript under dist/ compiled at or after its last change. */
export function distIsFresh(): boolean {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
  return sources(join(ROOT, 'src')).every((source) => {
    try {
      return statSync(join(ROOT, 'dist', source.slice(join(ROOT, 'src').length + 1).replace(/\.ts$/, '.js'))).mtimeMs >= statSync(source).mtimeMs;
    } catch {
      return false;
    }
  });
}
