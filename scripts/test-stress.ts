// Runs the whole test suite N times while busy processes load the CPU, and says how
// many runs passed: a test that depends on the scheduler fails here first.
//
//   npm run test:stress                       # 5 runs, 2 busy processes
//   npm run test:stress -- --runs 3 --busy 4  # more or fewer of either
//   npm run test:stress -- --runs 10 -- test/server   # extra arguments after -- go to vitest
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const LOGS = join(ROOT, 'test-artifacts', 'stress');
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

/** What one run of the suite gave. */
export interface RunResult {
  code: number | null;
  /** The reporter's closing line, or null when the run printed none. */
  summary: string | null;
  /** Names of failed tests, hooks and files, as Vitest's output lists them. */
  failures: string[];
  seconds: number;
  log: string;
}

/** A run passed when it exited 0 and its closing line says `N passed, 0 failed` with N > 0. */
export function runPassed(result: Pick<RunResult, 'code' | 'summary'>): boolean {
  const match = result.summary === null ? null : SUMMARY.exec(result.summary);
  return result.code === 0 && match !== null && Number(match[2]) === 0 && Number(match[1]) > 0;
}

/** The failures a Vitest output names (`FAIL  file > test`, and the reporter's `✗ …` lines), each once. */
export function failuresIn(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const names = [...plain.matchAll(/^\s*FAIL\s+(.+)$/gm), ...plain.matchAll(/^\s+✗ (.+)$/gm)].map((m) => m[1]!.trim());
  return [...new Set(names)];
}

/** One `vitest run` of the whole suite (or of `args`), its output kept in `logFile`. */
function runSuite(args: string[], logFile: string): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITEST, 'run', ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.once('close', (code) => {
      writeFileSync(logFile, output);
      const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
      const summary = lines.at(-1) ?? null;
      resolve({ code, summary: summary !== null && SUMMARY.test(summary) ? summary : null, failures: failuresIn(output), seconds: (performance.now() - started) / 1000, log: logFile });
    });
  });
}

/**
 * A process that keeps one core busy until it is killed, or until its parent is gone
 * (it checks between slices of work) or 4 hours have passed: a stress run that is
 * itself killed leaves no spinning process behind on a shared machine.
 */
const BUSY = `const parent = Number(process.argv[1]); const until = Date.now() + 4 * 3600e3;
for (;;) { for (let i = 0; i < 1e7; i += 1) Math.sqrt(i); if (process.ppid !== parent || Date.now() > until) process.exit(0); }`;
function busyProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', BUSY, String(process.pid)], { stdio: 'ignore' });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, busy: { type: 'string', default: '2' } },
    allowPositionals: true,
  });
  const runs = Number(values.runs);
  const busy = Number(values.busy);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new RangeError(`--runs must be a whole number from 1 to 100, got ${values.runs}`);
  if (!Number.isInteger(busy) || busy < 0 || busy > 64) throw new RangeError(`--busy must be a whole number from 0 to 64, got ${values.busy}`);
  mkdirSync(LOGS, { recursive: true });

  const load = Array.from({ length: busy }, busyProcess);
  const stopLoad = () => {
    for (const child of load) child.kill('SIGKILL');
  };
  process.once('exit', stopLoad);
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));

  console.log(`test:stress: ${runs} run(s) of the suite${positionals.length ? ` (${positionals.join(' ')})` : ''} while ${busy} busy process(es) load the CPU; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  let passed = 0;
  for (let i = 1; i <= runs; i += 1) {
    const result = await runSuite(positionals, join(LOGS, `run-${i}.log`));
    const ok = runPassed(result);
    if (ok) passed += 1;
    console.log(`run ${i}/${runs}: ${ok ? 'passed' : 'FAILED'} — ${result.summary ?? `no closing line, exit code ${result.code}`} in ${result.seconds.toFixed(1)} s (exit ${result.code}, load ${loadavg()[0]!.toFixed(2)}, log ${result.log})`);
    for (const failure of result.failures) console.log(`  ✗ ${failure}`);
  }
  stopLoad();
  console.log(`${passed}/${runs} runs passed`);
  return passed === runs ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`test:stress: ${(error as Error).message}`);
      process.exit(2);
    },
  );
}
