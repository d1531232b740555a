import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeDated, writeStaleProject } from '../support/mini-project.js';
import { processStartTime } from '../support/process-start.js';
import { scratchDir } from '../support/scratch-dir.js';
import { buildDistIfStale, buildScriptTscArguments, distIsFresh, useDist, withFreshDist } from '../support/vix-ttl-bin.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

// A repository in miniature: src/ and dist/ of two modules and the build's settings, each file dated by hand (seconds).
let root: string;

function file(path: string, at: number): void {
  writeDated(root, path, at);
}

beforeEach(() => {
  root = mkdtempSync(join(scratchDir(), 'vix-ttl-bin-'));
  for (const path of ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'src/index.ts', 'src/core/errors.ts']) file(path, 1_000);
  for (const path of ['dist/index.js', 'dist/core/errors.js']) file(path, 2_000);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('distIsFresh: the suite runs the built binary only when dist/ is the build of src/ as it is now', () => {
  it('a build newer than every source and setting is fresh; a source edited after it is not', () => {
    expect(distIsFresh(root)).toBe(true);
    file('src/core/errors.ts', 3_000);
    expect(distIsFresh(root)).toBe(false);
  });

  it('a source deleted or renamed leaves stale JavaScript in dist/: not fresh', () => {
    rmSync(join(root, 'src/core/errors.ts'));
    expect(distIsFresh(root)).toBe(false);
    file('src/core/failures.ts', 1_000);
    expect(distIsFresh(root)).toBe(false);
  });

  it('a change of tsconfig.json, tsconfig.build.json or package.json (the build’s settings) is not fresh', () => {
    for (const setting of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) {
      file(setting, 3_000);
      expect(distIsFresh(root), setting).toBe(false);
      file(setting, 1_000);
    }
  });

  it('a source edited while tsc was writing (after one output, before its own) is not fresh', () => {
    file('dist/core/errors.js', 2_000);
    file('src/index.ts', 2_500);
    file('dist/index.js', 2_600);
    expect(distIsFresh(root)).toBe(false);
  });

  it('a stray file in dist/ (no source of its name, or not something tsc writes) is not fresh; the maps and declarations of a source are', () => {
    for (const module of ['dist/index', 'dist/core/errors']) for (const kind of ['.js.map', '.d.ts', '.d.ts.map']) file(`${module}${kind}`, 2_000);
    expect(distIsFresh(root)).toBe(true);
    for (const stray of ['dist/moved-away/old-module.d.ts', 'dist/core/errors.js.orig', 'dist/notes.txt']) {
      file(stray, 2_000);
      expect(distIsFresh(root), stray).toBe(false);
      rmSync(join(root, stray));
    }
    expect(distIsFresh(root)).toBe(true);
  });

  it('a module without the declaration or map every other module has (an interrupted build, a file deleted) is not fresh, nor a declaration older than its source', () => {
    const outputs = ['dist/index.js.map', 'dist/index.d.ts', 'dist/index.d.ts.map', 'dist/core/errors.js.map', 'dist/core/errors.d.ts', 'dist/core/errors.d.ts.map'];
    for (const path of outputs) file(path, 2_000);
    expect(distIsFresh(root)).toBe(true);
    for (const missing of outputs) {
      rmSync(join(root, missing));
      expect(distIsFresh(root), missing).toBe(false);
      file(missing, 2_000);
    }
    // The JavaScript rewritten after an edit, the declaration left from before it (the suite reads the public types from dist/*.d.ts).
    file('src/core/errors.ts', 2_500);
    file('dist/core/errors.js', 3_000);
    file('dist/core/errors.js.map', 3_000);
    file('dist/index.js', 3_000);
    file('dist/index.js.map', 3_000);
    expect(distIsFresh(root)).toBe(false);
  });

  it('no dist/ at all is not fresh', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    expect(distIsFresh(root)).toBe(false);
  });
});

describe('buildScriptTscArguments: the suite builds with the tsc arguments of package.json\'s build script', () => {
  it('reads them from this repository\'s script', () => {
    const script = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
    expect(script).toBe(`node scripts/clean-dist.js && tsc ${buildScriptTscArguments(REPO).join(' ')}`);
  });

  it('a script of another shape (no clean step, another compiler, shell syntax) is refused, naming scripts.build', () => {
    for (const build of ['tsc -p tsconfig.build.json', 'node scripts/clean-dist.js && tsup', 'node scripts/clean-dist.js && tsc -p x.json && cp a b', 'node scripts/clean-dist.js && tsc $(cat args)', undefined]) {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts: { build } }));
      expect(() => buildScriptTscArguments(root), String(build)).toThrow(/scripts\.build/);
    }
  });
});

describe('buildDistIfStale: a rebuild never leaves dist/ empty or half-written under another run', () => {
  it('two runs rebuilding at once while a third keeps loading dist/index.js: every read finds the whole module, and dist/ ends fresh', async () => {
    // A large index.ts, so a reader can catch it half-written; dist/ the build before the edit of errors.ts (written by hand: one real tsc is enough), now stale.
    writeStaleProject(root, { index: `import { code } from './core/errors.js';\nexport const answer = code + "${'x'.repeat(200_000)}";\n// end\n`, sourceMap: true });
    expect(distIsFresh(root)).toBe(false);

    let reads = 0;
    const broken: string[] = [];
    let building = true;
    const reader = (async () => {
      while (building) {
        const path = join(root, 'dist', 'index.js');
        if (!existsSync(path)) broken.push('dist/index.js missing');
        else if (!readFileSync(path, 'utf8').includes('// end')) broken.push('dist/index.js half-written');
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all([buildDistIfStale(root), buildDistIfStale(root)]);
    building = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(broken).toEqual([]);
    expect(distIsFresh(root)).toBe(true);
    expect(readFileSync(join(root, 'dist', 'core', 'errors.js'), 'utf8')).toContain('"F"');
    expect(readFileSync(join(root, 'dist', 'index.js.map'), 'utf8')).toContain('"../src/index.ts"');
  }, 120_000); // a real tsc build (about 1 s at rest), the other run waiting for it: generous, the time is not the subject
});

describe('a rebuild never replaces the dist/ a test run uses: its processes would link half of one build to half of the other', () => {
  /** The scratch project of two modules, its dist/ the build before an edit of errors.ts (written by hand), now stale. */
  function staleProject(): void {
    writeStaleProject(root, { index: "export { code } from './core/errors.js';\n" });
    expect(distIsFresh(root)).toBe(false);
  }

  it('another run using dist/ (a live process, registered as its global setup does): the rebuild waits for it to end, then swaps the new build in', async () => {
    staleProject();
    const otherRun = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const ended = new Promise((resolve) => otherRun.once('exit', resolve));
    const unuse = useDist(root, otherRun.pid!);
    try {
      const build = buildDistIfStale(root).then(() => 'built');
      // Without the wait, a real tsc of two modules replaced dist/ in about a second.
      expect(await Promise.race([build, new Promise((resolve) => setTimeout(() => resolve('waiting'), 5_000))])).toBe('waiting');
      expect(readFileSync(join(root, 'dist', 'core', 'errors.js'), 'utf8')).toContain('"E"');
      otherRun.kill('SIGKILL');
      await ended;
      expect(await build).toBe('built');
      expect(readFileSync(join(root, 'dist', 'core', 'errors.js'), 'utf8')).toContain('"F"');
      expect(distIsFresh(root)).toBe(true);
    } finally {
      otherRun.kill('SIGKILL');
      unuse(); // its registration lives in this repository's node_modules (linked)
    }
  }, 120_000); // a real tsc build after the other run ends: generous, the time is not the subject

  it('a run that died, its pid since given to an unrelated live process (same pid, another start time): the rebuild does not wait for it', async () => {
    staleProject();
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const start = processStartTime(unrelated.pid!);
    expect(start).toMatch(/^\d+$/);
    // The registration the dead run left: the pid that is now the unrelated process's, the start time of the run.
    const unuse = useDist(root, unrelated.pid!, String(Number(start) - 1));
    try {
      // Taken for the run, it made the rebuild wait 15 minutes; a real tsc of two modules takes about a second.
      const build = buildDistIfStale(root).then(() => 'built');
      expect(await Promise.race([build, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 60_000))])).toBe('built');
      expect(readFileSync(join(root, 'dist', 'core', 'errors.js'), 'utf8')).toContain('"F"');
      expect(unrelated.exitCode).toBeNull(); // it was alive all along
    } finally {
      unrelated.kill('SIGKILL');
      unuse();
    }
  }, 120_000); // a real tsc build: generous, the time is not the subject

  it('the build\'s turn held by a build that died, its pid since given to an unrelated live process: taken over, not waited for', async () => {
    staleProject();
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const start = processStartTime(unrelated.pid!);
    const lock = join(root, 'node_modules', '.cache', `vix-ttl-dist-${createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12)}.lock`);
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'pid'), `${unrelated.pid} ${Number(start) - 1}`);
    try {
      const build = buildDistIfStale(root).then(() => 'built');
      expect(await Promise.race([build, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 60_000))])).toBe('built');
      expect(existsSync(lock)).toBe(false);
      expect(unrelated.exitCode).toBeNull();
    } finally {
      unrelated.kill('SIGKILL');
      rmSync(lock, { recursive: true, force: true });
    }
  }, 120_000);

  it('this run using dist/ (a source edited during the run): a rebuild, or npm pack over it, is refused naming the reason, and dist/ is left as it is', async () => {
    staleProject();
    const unuse = useDist(root);
    try {
      await expect(buildDistIfStale(root)).rejects.toThrow(/src\/ changed while this test run uses .*dist\/.*run the tests again/);
      await expect(withFreshDist(root, async () => 'packed')).rejects.toThrow(/src\/ changed while this test run uses/);
      expect(readFileSync(join(root, 'dist', 'core', 'errors.js'), 'utf8')).toContain('"E"');
    } finally {
      unuse();
    }
  });
});
