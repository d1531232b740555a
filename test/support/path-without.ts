import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { scratchDir } from './scratch-dir.js';

/** A PATH under which some programs cannot be found, and how to remove what it made. */
export interface HiddenPath {
  path: string;
  cleanup(): void;
}

/**
 * A PATH like `path` on which `commands` cannot be found: each directory that holds
 * one of them is replaced by a directory of links to everything else it holds. It is
 * how a machine without redis-server, chromium or promtool is simulated on one that
 * has them.
 */
export function pathWithout(commands: readonly string[], path = process.env.PATH ?? ''): HiddenPath {
  const hidden = new Set(commands);
  const made: string[] = [];
  const shadows = new Map<string, string>(); // real directory → its shadow (/bin and /usr/bin are often one)
  const scratch = scratchDir();
  const dirs = path.split(delimiter).filter(Boolean).map((dir) => {
    if (!existsSync(dir) || !commands.some((command) => existsSync(join(dir, command)))) return dir;
    const real = realpathSync(dir);
    const known = shadows.get(real);
    if (known !== undefined) return known;
    const shadow = mkdtempSync(join(scratch, 'vix-ttl-path-'));
    made.push(shadow);
    shadows.set(real, shadow);
    for (const name of readdirSync(dir)) if (!hidden.has(name)) symlinkSync(join(dir, name), join(shadow, name));
    return shadow;
  });
  return {
    path: dirs.join(delimiter),
    cleanup: () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
  };
}

