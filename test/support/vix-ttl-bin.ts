import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { processRuns, processStartTime } from './process-start.js';

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

/**
 * Vitest global setup (called with the project, which it does not need): {@link buildDistIfStale}
 * of this repository, then this run is registered as a user of dist/ until its teardown, so
 * that no other run replaces dist/ under the processes this one starts.
 */
export default async function setup(): Promise<() => void> {
  const release = await lockBuild(ROOT);
  try {
    if (!distIsFresh(ROOT)) await rebuild(ROOT);
    return useDist(ROOT);
  } finally {
    release();
  }
}

/**
 * Rebuilds dist/ when it is not the build of src/ as it is now
 * (`npm ci` built it; an edit of src/ did not). Runs that overlap (two terminals, a
 * run and an editor's test runner) build one at a time, and a build never replaces
 * the dist/ another run uses (see {@link useDist}): it waits until that run ends, then
 * the new build, made beside dist/, is swapped in. Throws when the run this process
 * belongs to uses dist/ itself (a source edited during the run).
 */
export async function buildDistIfStale(root: string): Promise<void> {
  if (distIsFresh(root)) return;
  const release = await lockBuild(root);
  try {
    if (!distIsFresh(root)) await rebuild(root);
  } finally {
    release();
  }
}

/** Builds dist/ anew (under the build's turn): never under this run's own processes, and only once no other run uses it. */
async function rebuild(root: string): Promise<void> {
  if (distUsers(root).some(ofThisRun)) {
    throw new Error(`src/ changed while this test run uses ${join(root, 'dist')}/ (its processes load it): replacing it now would mix two builds under them; run the tests again`);
  }
  await noOtherDistUsers(root);
  await buildDist(root);
}

/**
 * Registers the run of this process as a user of root's dist/ (the processes it starts
 * load it): until the returned function is called or this process ends, no build replaces
 * it. A process loading modules from a dist/ that is swapped under it links half of one
 * build to half of the other ("does not provide an export named …"). The registration
 * holds the process's start time besides its pid (`startTime`, read from /proc by default):
 * once the run is gone, an unrelated process given the same pid is not taken for it.
 */
export function useDist(root: string, pid = process.pid, startTime = processStartTime(pid)): () => void {
  const dir = distUsersDir(root);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(pid));
  const count = (registered.get(file) ?? 0) + 1; // both projects of `npm test` register the same process
  registered.set(file, count);
  if (count === 1) writeFileSync(file, startTime ?? '');
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const left = registered.get(file)! - 1;
    registered.set(file, left);
    if (left > 0) return;
    rmSync(file, { force: true });
    try {
      rmdirSync(dir); // the last user: a scratch project's registrations leave no directory behind
    } catch {
      // another run is registered
    }
  };
}

const registered = new Map<string, number>();

/** Where the runs using root's dist/ are registered, a file per process id (keyed by root: a scratch project may link this repository's node_modules). */
function distUsersDir(root: string): string {
  return join(root, 'node_modules', '.cache', `vix-ttl-dist-users-${rootKey(root)}`);
}

function rootKey(root: string): string {
  return createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12);
}

/**
 * The live processes registered as users of root's dist/; a registration left by a process
 * that died is removed, and so is one whose pid now belongs to a process that started at
 * another time (the run died, the kernel gave its pid to another process).
 */
function distUsers(root: string): number[] {
  let names: string[];
  try {
    names = readdirSync(distUsersDir(root));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && processRuns(pid, registeredStart(join(distUsersDir(root), name)))) return [pid];
    rmSync(join(distUsersDir(root), name), { force: true });
    return [];
  });
}

/** The start time a registration holds, or undefined (none known: not Linux, or a registration written before start times were). */
function registeredStart(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is the run this process belongs to: this process (a worker thread's too), or the parent of a forked test worker. */
function ofThisRun(pid: number): boolean {
  return pid === process.pid || pid === process.ppid;
}

/** Waits until no other run uses root's dist/ (a run takes a few minutes at most). */
async function noOtherDistUsers(root: string): Promise<void> {
  const deadline = Date.now() + 900_000;
  for (;;) {
    const others = distUsers(root).filter((pid) => !ofThisRun(pid));
    if (others.length === 0) return;
    if (Date.now() > deadline) throw new Error(`dist/ is used by the test runs of processes ${others.join(', ')} for 15 minutes; remove ${distUsersDir(root)} if none runs`);
    await new Promise((resolve) => setTimeout(resolve, 200));
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
 * replaces meanwhile: e.g. `npm pack`, which must read one build whole. Inside a test run
 * (registered by the global setup) dist/ is the run's own and no other run replaces it;
 * a source edited since is refused (see {@link buildDistIfStale}). Outside one, it holds
 * the build's turn.
 */
export async function withFreshDist<T>(root: string, use: () => Promise<T>): Promise<T> {
  if (distUsers(root).some(ofThisRun)) {
    if (!distIsFresh(root)) await rebuild(root); // refused: this run's processes load dist/
    return use();
  }
  const release = await lockBuild(root);
  let unuse: (() => void) | null = null;
  try {
    if (!distIsFresh(root)) await rebuild(root);
    unuse = useDist(root);
  } finally {
    release();
  }
  try {
    return await use();
  } finally {
    unuse();
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
  const lock = join(root, 'node_modules', '.cache', `vix-ttl-dist-${rootKey(root)}.lock`);
  mkdirSync(join(lock, '..'), { recursive: true });
  const deadline = Date.now() + 1_200_000; // a build may wait for another run to end (15 min at most)
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim());
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!holderAlive(lock)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`dist/ is being built by process ${readFileSync(join(lock, 'pid'), 'utf8').split(' ')[0]} for 20 minutes; remove ${lock} if no build runs`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether the build's turn is held by a live process: by its pid and start time, as for the registrations of {@link useDist}. */
function holderAlive(lock: string): boolean {
  let holder: string[] = [];
  try {
    holder = readFileSync(join(lock, 'pid'), 'utf8').trim().split(' ');
  } catch {
    // not written yet (below)
  }
  const pid = Number(holder[0]);
  if (!(Number.isInteger(pid) && pid > 0)) {
    // Just made, its pid not written yet (or being written): alive unless it stays so for a second.
    try {
      return Date.now() - statSync(lock).mtimeMs < 1000;
    } catch {
      return false;
    }
  }
  return processRuns(pid, holder[1] || undefined);
}
