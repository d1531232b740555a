import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchDir } from './scratch-dir.js';

const run = promisify(execFile);
/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What a copy of the repository leaves out: installed, built or produced by runs, and git's own. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'coverage', 'test-artifacts']);

/** The package as `npm pack` makes it from the current sources. */
export interface PackedPackage {
  /** A scratch directory holding everything below; `remove()` deletes it. */
  dir: string;
  /** The `.tgz` file. */
  tarball: string;
  /** The tarball unpacked: the directory a consumer's `node_modules/vix-ttl` holds. */
  packageDir: string;
  /** Paths of the packed files, relative to the package root, sorted. */
  files: string[];
  /** The packed package.json. */
  manifest: { name: string; version: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; [key: string]: unknown };
  remove(): void;
}

/**
 * Builds and packs the package from the current sources without touching the
 * repository's own dist/: the repository is copied (without node_modules, dist, .git)
 * into a scratch directory whose node_modules links the repository's, `npm run build`
 * runs there (the real build script, cleaning included), then `npm pack`, and the
 * tarball is unpacked. `beforeBuild` may change the copy first (e.g. leave a stale file
 * in dist/ to prove the build removes it).
 */
export async function packPackage(options: { beforeBuild?: (stage: string) => void } = {}): Promise<PackedPackage> {
  const dir = mkdtempSync(join(scratchDir(), 'vix-ttl-pack-')); // a copy of the repository, a build and two unpacked copies: thousands of files
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const stage = join(dir, 'stage');
    cpSync(ROOT, stage, { recursive: true, filter: (source) => !NOT_COPIED.has(basename(source)) || source === ROOT.replace(/\/$/, '') });
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    options.beforeBuild?.(stage);
    await run('npm', ['run', 'build', '--silent'], { cwd: stage });
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = join(dir, packed!.filename);
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    await run('tar', ['-xzf', tarball, '-C', unpacked]);
    const packageDir = join(unpacked, 'package');
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackedPackage['manifest'];
    return { dir, tarball, packageDir, files: packed!.files.map((f) => f.path).sort(), manifest, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * A consumer project next to a packed package, as `npm i vix-ttl <ioredis>` would lay it
 * out, without the network: node_modules/vix-ttl is a copy of the unpacked package; its
 * dependencies, `ioredis` (the given package of this repository's node_modules, e.g. the
 * alias `ioredis6`) and `@types/node` are links into the repository's node_modules.
 * Returns the project's directory.
 */
export function consumerProject(packed: PackedPackage, name: string, ioredis: string, packageJson: Record<string, unknown> = { type: 'module', private: true }): string {
  const project = join(packed.dir, name);
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@types'), { recursive: true });
  cpSync(packed.packageDir, join(modules, 'vix-ttl'), { recursive: true });
  for (const dependency of Object.keys(packed.manifest.dependencies ?? {})) {
    if (dependency.includes('/')) mkdirSync(join(modules, dependency.split('/')[0]!), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dependency), join(modules, dependency), 'dir');
  }
  symlinkSync(join(ROOT, 'node_modules', ioredis), join(modules, 'ioredis'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'), 'dir');
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  return project;
}

