// npx tsx bench/shadow.bench.ts [BASELINE_SRC] — what shadow mode costs on the decision hot path:
// VixCircuitBreaker.getTtl answered from the sync cache (a panic in tier 1, one onDecision listener,
// as the service has), live and in shadow mode (which builds the base-TTL answer around the
// decision), and, with BASELINE_SRC, live on another tree's src/ (before shadow mode existed), in
// alternating rounds of one run. Make the baseline with `git archive <rev> src | tar -x -C DIR`, a
// `{"type":"module"}` package.json in DIR and a node_modules link to this tree's; pass DIR/src.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as current from '../src/index.js';

type Lib = typeof current;
const baseDir = process.argv[2];
const baseline = baseDir ? ((await import(pathToFileURL(`${baseDir}/index.ts`).href)) as Lib) : null;
const ROUNDS = 9;
const CALLS = 200_000;

async function round(lib: Lib, shadow: boolean): Promise<number> {
  let n = 0;
  const options = { clock: new lib.MemoryPanicClock(), syncIntervalMs: 60_000, hooks: { onDecision: () => void (n += 1) } };
  const breaker = new lib.VixCircuitBreaker(shadow ? { ...options, shadow } : options);
  const input = { baseTtl: 60, vixStatus: 'panic' as const, match: { league: 'Ligue 1' }, scope: 'x' };
  await breaker.getTtl(input);
  const started = performance.now();
  for (let i = 0; i < CALLS; i += 1) await breaker.getTtl(input);
  const rate = CALLS / ((performance.now() - started) / 1000);
  await breaker.close();
  return rate;
}

const variants: Array<[string, () => Promise<number>]> = [
  ...(baseline ? [['baseline: getTtl, live (before shadow mode)', () => round(baseline, false)] as [string, () => Promise<number>]] : []),
  ['getTtl, live', () => round(current, false)],
  ['getTtl, shadow mode', () => round(current, true)],
];
const runs = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (const [, run] of variants) await run(); // warm-up
for (let i = 0; i < ROUNDS; i += 1) for (const [name, run] of variants) runs.get(name)!.push(await run());

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: Math.round(s[0]!), median: Math.round(s[Math.floor(s.length / 2)]!), max: Math.round(s.at(-1)!) };
};
const reference = variants[0]![0];
/** Per round, this variant's rate over the reference's in the same round: min/median/max of the ratios. */
const ratios = (name: string) => {
  const r = runs.get(name)!.map((x, i) => x / runs.get(reference)![i]!).sort((a, b) => a - b);
  return { min: +r[0]!.toFixed(3), median: +r[Math.floor(r.length / 2)]!.toFixed(3), max: +r.at(-1)!.toFixed(3) };
};
const rows = variants.map(([name]) => ({ name, callsPerSecond: stats(runs.get(name)!), vsReference: ratios(name) }));
const load = loadavg();
console.log(`\nShadow mode on the decision hot path: ${ROUNDS} alternating rounds of ${CALLS} calls; Node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' ')}\n`);
for (const r of rows) console.log(`${r.name}\n  calls/s min/median/max ${r.callsPerSecond.min}/${r.callsPerSecond.median}/${r.callsPerSecond.max}\n  vs ${reference}, per round: min/median/max ${r.vsReference.min}/${r.vsReference.median}/${r.vsReference.max}×`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/shadow.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage: load, rounds: ROUNDS, calls: CALLS, reference, rows }, null, 2)}\n`);
