import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A program some tests run besides Node, and how to get it on Debian. */
export interface Tool {
  command: ToolName;
  why: string;
  install: string;
}

/** The programs tests may need. */
export type ToolName = 'redis-server' | 'redis-cli' | 'chromium' | 'promtool';

/** Every program the suite may need, why, and the Debian package that brings it. */
export const TOOLS: readonly Tool[] = [
  { command: 'redis-server', why: 'tests run against a real Redis', install: 'apt-get install redis-server' },
  { command: 'redis-cli', why: 'the Redis Cluster test creates its cluster with it', install: 'apt-get install redis-tools' },
  { command: 'chromium', why: 'the dashboard is tested in a real headless Chromium', install: 'apt-get install chromium' },
  { command: 'promtool', why: 'metrics and alert rules are checked by promtool', install: 'apt-get install prometheus' },
];

const NAMES = TOOLS.map((tool) => tool.command).join('|');
/** A child-process call (spawn, execFile, …) whose program is one of the tools' names as a string literal. */
const RUNS_TOOL = new RegExp(String.raw`\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync|run)\(\s*['"\`](${NAMES})['"\`]`, 'g');
/** Packages that drive a tool. */
const PACKAGE_TOOLS: Record<string, ToolName[]> = { 'playwright-core': ['chromium'] };
const IMPORT = /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * The tools a test file needs, read from its code: a module needs a tool when it
 * runs that program by name (a child-process call), imports a package that drives it
 * (playwright-core → chromium), or imports, directly or not, a local module that
 * does. Only modules under `test/` are followed: the product itself runs no tool.
 */
export function toolsNeededBy(file: string, root: string, seen = new Map<string, Set<ToolName>>()): Set<ToolName> {
  const path = resolve(root, file);
  const known = seen.get(path);
  if (known) return known;
  const needs = new Set<ToolName>();
  seen.set(path, needs);
  const source = readFileSync(path, 'utf8');
  for (const match of source.matchAll(RUNS_TOOL)) needs.add(match[1] as ToolName);
  for (const specifier of importsOf(source)) {
    for (const tool of PACKAGE_TOOLS[specifier] ?? []) needs.add(tool);
    const target = testModule(specifier, path, root);
    if (target !== null) for (const tool of toolsNeededBy(target, root, seen)) needs.add(tool);
  }
  return needs;
}

/** The module specifiers a source file imports (static, re-exports and `import()` of a literal). */
export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1] ?? match[2]!);
}

/** The test-side `.ts` file a relative specifier in `from` names, or null (a package, or a module outside `test/`). */
export function testModule(specifier: string, from: string, root: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = localModule(resolve(dirname(from), specifier));
  return target !== null && target.startsWith(resolve(root, 'test')) ? target : null;
}

/** Whether a command is on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Every test file under `test/` (`*.test.ts`), each with the tools it needs (empty for a pure test). */
export function testFileNeeds(root: string): Map<string, ToolName[]> {
  const seen = new Map<string, Set<ToolName>>();
  const files = testFiles(join(root, 'test')).map((file) => relative(root, file));
  return new Map(files.sort().map((file) => [file, [...toolsNeededBy(file, root, seen)].sort()]));
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** `./x.js` as written in an import → the `.ts` file on disk, or null. */
function localModule(path: string): string | null {
  for (const candidate of [path.replace(/\.js$/, '.ts'), path, `${path}.ts`, join(path, 'index.ts')]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return null;
}
