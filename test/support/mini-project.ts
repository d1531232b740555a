import { mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Writes `text` to `path` under `root` (its folders made) and dates it `at` (Unix
 * seconds, access and modification): a project in miniature whose every file is dated
 * by hand, so a test of the build's freshness never depends on the clock.
 */
export function writeDated(root: string, path: string, at: number, text = ''): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  utimesSync(join(root, path), at, at);
}

/** What differs between the stale projects of {@link writeStaleProject}. */
export interface StaleProjectOptions {
  /** `src/index.ts`, also its build `dist/index.js` (it imports or re-exports `./core/errors.js`). */
  index: string;
  /** Whether `tsconfig.build.json` asks tsc for source maps. */
  sourceMap?: boolean;
}

/**
 * Replaces the project at `root` by one tsc can build for real: two modules
 * (`src/index.ts`, `src/core/errors.ts`, which exports `code = "F"`), its
 * `package.json` build script of the repository's shape, this repository's
 * `node_modules` linked in, and a `dist/` written by hand as the build before an edit
 * of errors.ts (`code = "E"`), so the project is stale. For the tests of a rebuild.
 */
export function writeStaleProject(root: string, options: StaleProjectOptions): void {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const compilerOptions = { module: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], rootDir: 'src', outDir: 'dist', ...(options.sourceMap === true ? { sourceMap: true } : {}) };
  writeDated(root, 'package.json', 1_000, JSON.stringify({ type: 'module', scripts: { build: 'node scripts/clean-dist.js && tsc -p tsconfig.build.json' } }));
  writeDated(root, 'tsconfig.json', 1_000, '{}');
  writeDated(root, 'tsconfig.build.json', 1_000, JSON.stringify({ compilerOptions, include: ['src'] }));
  writeDated(root, 'src/core/errors.ts', 1_000, 'export const code = "F";\n');
  writeDated(root, 'src/index.ts', 1_000, options.index);
  writeDated(root, 'dist/core/errors.js', 1_000, 'export const code = "E";\n');
  writeDated(root, 'dist/index.js', 1_000, options.index);
  utimesSync(join(root, 'src/core/errors.ts'), 2_000, 2_000);
}
