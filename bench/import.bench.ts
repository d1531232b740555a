// npx tsx bench/import.bench.ts [--root DIR] [--rounds N] [--out FILE] — what loading vix-ttl costs.
//
// Import time: each sample is a fresh Node process that imports one module and reports the
// time of that `await import()` alone (Node's own start is the same for every target and
// left out). The baseline is the breaker module imported by path (dist/breaker/vix-circuit-
// breaker.js: the breaker with everything it needs and nothing else); the targets are the
// `vix-ttl` entry and `vix-ttl/server`, by their package names. Rounds alternate the
// targets (the order rotates each round), so load on a shared machine hits all alike.
// Bundle size: esbuild bundles (node, ESM, unminified and minified) of the breaker module
// alone, of `{ VixCircuitBreaker }` imported from 'vix-ttl' (what tree-shaking keeps), of
// the whole library and of the whole service.
// --root measures another build of the package (e.g. an older commit, built into DIR/dist);
// --label names it in the output (default: its path).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { printTable } from './print-table.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const REPO = resolve(import.meta.dirname, '..');
const ROOT = resolve(flag('--root') ?? REPO);
const ROUNDS = Number(flag('--rounds') ?? 15);
const OUT = resolve(flag('--out') ?? join(REPO, 'bench/results/import.json'));
const LABEL = flag('--label') ?? (relative(REPO, ROOT) || 'this checkout');
const BREAKER = join(ROOT, 'dist/breaker/vix-circuit-breaker.js');

if (ROOT === REPO && !distIsFresh()) {
  console.log('dist/ is older than src/: npm run build');
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

interface Target {
  name: string;
  /** What `import()` is given, from a module inside the package (a self-reference for package names). */
  specifier: string;
}
const TARGETS: Target[] = [
  { name: 'breaker module alone (baseline)', specifier: pathToFileURL(BREAKER).href },
  { name: "import 'vix-ttl'", specifier: 'vix-ttl' },
  { name: "import 'vix-ttl/server'", specifier: 'vix-ttl/server' },
];

/** Milliseconds one fresh process spends in `await import(specifier)`, or null when it cannot import it. */
function importMs(specifier: string): number | null {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout) : null;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
};

const loadBefore = loadavg()[0]!;
const samples = new Map<string, number[]>(TARGETS.map((t) => [t.name, []]));
const missing = new Set<string>();
for (const target of TARGETS) if (importMs(target.specifier) === null) missing.add(target.name); // warm-up (disk cache), and what this build lacks
for (let round = 0; round < ROUNDS; round += 1) {
  for (let i = 0; i < TARGETS.length; i += 1) {
    const target = TARGETS[(round + i) % TARGETS.length]!;
    if (missing.has(target.name)) continue;
    const ms = importMs(target.specifier);
    if (ms !== null) samples.get(target.name)!.push(ms);
  }
}
const load = (loadBefore + loadavg()[0]!) / 2;

const baseline = stats(samples.get(TARGETS[0]!.name)!);
const importRows = TARGETS.map((t) => {
  if (missing.has(t.name)) return { target: t.name, ms: null, vsBreaker: null };
  const s = stats(samples.get(t.name)!);
  return { target: t.name, ms: s, vsBreaker: s.median / baseline.median };
});

// — bundle sizes —
const scratch = mkdtempSync(join(tmpdir(), 'vix-ttl-bundle-'));
mkdirSync(join(scratch, 'node_modules'));
symlinkSync(ROOT, join(scratch, 'node_modules', 'vix-ttl'), 'dir'); // a consumer's view: the package by its name, with its package.json
const BUNDLES: Array<{ name: string; contents: string }> = [
  { name: 'breaker module alone', contents: `export { VixCircuitBreaker } from ${JSON.stringify(BREAKER)};` },
  { name: "{ VixCircuitBreaker } from 'vix-ttl'", contents: "export { VixCircuitBreaker } from 'vix-ttl';" },
  { name: "all of 'vix-ttl'", contents: "export * from 'vix-ttl';" },
  { name: "all of 'vix-ttl/server'", contents: "export * from 'vix-ttl/server';" },
];
const SERVER_PACKAGES = /node_modules\/(fastify|@fastify\/[^/]+|prom-client|uplot)\//;
const bundleRows: Array<{ bundle: string; bytes: number | null; minifiedBytes: number | null; modules: number | null; serverPackages: boolean | null }> = [];
for (const b of BUNDLES) {
  try {
    const sized = async (minify: boolean) =>
      build({ stdin: { contents: b.contents, resolveDir: scratch, loader: 'js' }, bundle: true, minify, metafile: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    const plain = await sized(false);
    const min = await sized(true);
    const inputs = Object.keys(plain.metafile.inputs);
    const kept = Object.values(plain.metafile.outputs)[0]!.inputs; // the modules with code in the bundle (tree-shaking dropped the rest)
    const modules = Object.values(kept).filter((input) => input.bytesInOutput > 0).length;
    bundleRows.push({ bundle: b.name, bytes: plain.outputFiles[0]!.contents.length, minifiedBytes: min.outputFiles[0]!.contents.length, modules, serverPackages: inputs.some((i) => SERVER_PACKAGES.test(i)) });
  } catch {
    bundleRows.push({ bundle: b.name, bytes: null, minifiedBytes: null, modules: null, serverPackages: null });
  }
}
rmSync(scratch, { recursive: true, force: true });

const ms = (n: number) => n.toFixed(1);
const kb = (n: number | null) => (n === null ? 'n/a' : `${(n / 1024).toFixed(0)} KiB`);
console.log(`\nImport time, ms of \`await import()\` in a fresh process; ${ROUNDS} alternating rounds; Node ${process.version}; load average ${load.toFixed(2)}; ${LABEL}\n`);
printTable(
  ['target', 'min', 'median', 'max', 'median vs breaker'],
  importRows.map((r) => (r.ms === null ? [r.target, 'n/a', 'n/a', 'n/a', 'n/a'] : [r.target, ms(r.ms.min), ms(r.ms.median), ms(r.ms.max), `${r.vsBreaker!.toFixed(2)}×`])),
);
const main = importRows[1]!;
if (main.vsBreaker !== null) console.log(`\nbudget: import 'vix-ttl' ≤ 1.5× the breaker module alone — ${main.vsBreaker.toFixed(2)}× ${main.vsBreaker <= 1.5 ? 'holds' : 'EXCEEDED'}`);
console.log('\nBundle size (esbuild, platform node, ESM)\n');
printTable(
  ['bundle', 'unminified', 'minified', 'modules kept', 'fastify / prom-client / uplot read'],
  bundleRows.map((r) => [r.bundle, kb(r.bytes), kb(r.minifiedBytes), r.modules ?? 'n/a', r.serverPackages === null ? 'n/a' : r.serverPackages ? 'yes' : 'no']),
);
mkdirSync(join(OUT, '..'), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, rounds: ROUNDS, build: LABEL, importMs: importRows, bundles: bundleRows }, null, 2)}\n`);

/** Whether every TypeScript file under src/ has its JavaScript under dist/ compiled at or after its last change. */
function distIsFresh(): boolean {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
  return sources(join(REPO, 'src')).every((source) => {
    const built = join(REPO, 'dist', relative(join(REPO, 'src'), source).replace(/\.ts$/, '.js'));
    return existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs;
  });
}
