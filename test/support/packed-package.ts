import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchDir } from './scratch-dir.js';
import { withFreshDist } from './vix-ttl-bin.js';

const run = promisify(execFile);
/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The package as `npm pack` makes it from the current sources and their build. */
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
 * Packs the package as `npm pack` does from the repository, over a dist/ that is the
 * build of the current sources (`npm ci` made it with `npm run build`, or the suite's
 * global setup rebuilt it with the same tsc arguments; see `withFreshDist`), and unpacks
 * the tarball into a scratch directory. No other run replaces dist/ while npm reads it.
 */
export async function packPackage(): Promise<PackedPackage> {
  const dir = mkdtempSync(join(scratchDir(), 'vix-ttl-pack-')); // the tarball and the unpacked copies: thousands of files
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const { stdout } = await withFreshDist(ROOT, () => run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT }));
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

