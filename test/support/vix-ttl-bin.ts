import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

/** What the build reads besides src/: a change to one of them changes dist/ too. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** Vitest global setup (called with the project, which it does not need): {@link buildDistIfStale} of this repository. */
export default async function setup(): Promise<void> {
  await buildDistIfStale(ROOT);
}

/**
 * Rebuilds dist/ when it is not the build of src/ as it is now
 * (`npm ci` built it; an edit of src/ did not). Runs that overlap (two terminals, a
 * run and an editor's test runner) build one at a time, and a build never empties
 * the dist/ another run's processes are loading: it is made beside it and swapped in.
 */
export async function buildDistIfStale(root: string): Promise<void> {
  if (distIsFresh(root)) return;
  const release = await lockBuild(root);
  try {
    if (!distIsFresh(root)) await buildDist(root);
  } finally {
    release();
  }
}

/** What tsc writes for a module `m` of src/: `m.js`, `m.d.ts` and their maps. */
const BUILT_FROM_SOURCE = /\.(?:js|d\.ts)(?:\.map)?$/;

/**
 * Whether dist/ is the build of src/ as it is now: every TypeScript file under src/
 * has its JavaScript and the declaration and maps the other modules have (an interrupted
 * build or a deleted file leaves one short: the suite reads the public types from
 * dist/*.d.ts), every file of dist/ is written from a source (a file deleted or renamed
 * leaves none of its four behind, a stray file is not there), and no source nor build
 * setting (tsconfig, package.json) changed after the oldest file of the build was written.
 */
export function distIsFresh(root = ROOT): boolean {
  const src = join(root, 'src');
  const dist = join(root, 'dist');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)).map((file) => join(entry.name, file)) : [entry.name]));
  try {
    const sources = new Set(files(src).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).map((file) => file.replace(/\.ts$/, '')));
    const built = files(dist);
    if (!built.every((file) => BUILT_FROM_SOURCE.test(file) && sources.has(file.replace(BUILT_FROM_SOURCE, '')))) return false;
    // Every module has every kind of output the build writes (its .js, and the .d.ts and maps when any module has them).
    const kinds = new Set(built.map((file) => BUILT_FROM_SOURCE.exec(file)![0])).add('.js');
    if (built.length !== kinds.size * sources.size) return false;
    const oldestOutput = Math.min(...built.map((file) => statSync(join(dist, file)).mtimeMs));
    const inputs = [...[...sources].map((file) => join(src, `${file}.ts`)), ...BUILD_INPUTS.map((file) => join(root, file)).filter((file) => existsSync(file))];
    return inputs.every((file) => statSync(file).mtimeMs <= oldestOutput);
  } catch {
    return false;
  }
}

/**
 * Runs `use` over a dist/ that is the build of src/ as it is now and that no other run
 * replaces meanwhile (it holds the build's turn): e.g. `npm pack`, which must read one
 * build whole.
 */
export async function withFreshDist<T>(root: string, use: () => Promise<T>): Promise<T> {
  const release = await lockBuild(root);
  try {
    if (!distIsFresh(root)) await buildDist(root);
    return await use();
  } finally {
    release();
  }
}

/**
 * The arguments of tsc in package.json's `build` script, which must read
 * `node scripts/clean-dist.js && tsc <arguments>`: the suite builds with them, so what
 * it runs and packs is what `npm run build` makes. Throws, naming the script, when it
 * has another shape.
 */
export function buildScriptTscArguments(root = ROOT): string[] {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: { build?: unknown } }).scripts?.build;
  const match = typeof script === 'string' ? /^node scripts\/clean-dist\.js && tsc((?: [\w./=-]+)*)$/.exec(script) : null;
  if (match === null) {
    throw new Error(`package.json's scripts.build is ${JSON.stringify(script)}: the suite builds dist/ as "node scripts/clean-dist.js && tsc <arguments>" would (test/support/vix-ttl-bin.ts); make them agree`);
  }
  return match[1]!.split(' ').filter(Boolean);
}

/**
 * `npm run build` without emptying dist/ first (its tsc command, read from package.json,
 * with the clean step replaced): tsc writes a new build beside it (at the
 * same depth, so the source maps' relative paths hold), whose files are dated when the
 * build began (a source edited while tsc ran is newer than its output: the next run
 * builds again), then the new build replaces dist/ by two renames.
 */
async function buildDist(root: string): Promise<void> {
  const next = join(root, `.dist-build-${process.pid}`);
  const old = join(root, `.dist-old-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  // The filesystem's clock runs a few milliseconds behind Date.now(): date the build a little earlier.
  const began = (Date.now() - 50) / 1000;
  try {
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ...buildScriptTscArguments(root), '--outDir', next], { cwd: root });
    const date = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) date(join(dir, entry.name));
        else utimesSync(join(dir, entry.name), began, began);
      }
    };
    date(next);
    if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old);
    renameSync(next, join(root, 'dist'));
  } finally {
    rmSync(next, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}

/** Waits until no other run is building dist/ and takes the turn; returns how to give it back. A lock left by a run that died is taken over. */
async function lockBuild(root: string): Promise<() => void> {
  const lock = join(root, 'node_modules', '.cache', 'vix-ttl-dist.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!holderAlive(lock)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`dist/ is being built by process ${readFileSync(join(lock, 'pid'), 'utf8')} for 5 minutes; remove ${lock} if no build runs`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Just made, its pid not written yet: alive unless it stays so for a second.
    try {
      return Date.now() - statSync(lock).mtimeMs < 1000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
