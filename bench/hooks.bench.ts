// npx tsx bench/hooks.bench.ts BASELINE_SRC — what the one event primitive costs on the hot paths:
// VixEngine.ingest with onIndex + onTransition listeners, and VixCircuitBreaker.getTtl with an
// onDecision listener (answers from the sync cache), against another tree's src/ in alternating
// rounds of the same run. Make the baseline with `git archive <rev> src | tar -x -C DIR`, a
// `{"type":"module"}` package.json in DIR and a node_modules link to this tree's; pass DIR/src.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as current from '../src/index.js';

type Lib = typeof current;
const baseDir = process.argv[2];
if (!baseDir) throw new Error('usage: npx tsx bench/hooks.bench.ts BASELINE_SRC (the src/ folder of the tree to compare with)');
const baseline = (await import(pathToFileURL(`${baseDir}/index.ts`).href)) as Lib;
const ROUNDS = 7;

const ticks = [...current.simulateTicks({ seed: 1, startMs: Date.UTC(2024, 4, 18, 18), durationMs: 1_200_000, scopes: Array.from({ length: 10 }, (_, i) => ({ scope: `m-${i}`, markets: 10, meanGapMs: 1000 })), events: [{ scope: 'm-1', atMs: 600_000, durationMs: 240_000, volatility: 10 }] })].map((r) => r.tick);

function engineRound(lib: Lib): number {
  let n = 0;
  const hooks = { onIndex: () => void (n += 1), onTransition: () => void (n += 1) };
  const engine = new lib.VixEngine({ hooks });
  const started = performance.now();
  for (const tick of ticks) engine.ingest(tick);
  return ticks.length / ((performance.now() - started) / 1000);
}

async function breakerRound(lib: Lib): Promise<number> {
  let n = 0;
  const breaker = new lib.VixCircuitBreaker({ clock: new lib.MemoryPanicClock(), syncIntervalMs: 60_000, hooks: { onDecision: () => void (n += 1) } });
  const input = { baseTtl: 60, vixStatus: 'panic' as const, match: { league: 'Ligue 1' }, scope: 'x' };
  await breaker.getTtl(input);
  const calls = 200_000;
  const started = performance.now();
  for (let i = 0; i < calls; i += 1) await breaker.getTtl(input);
  return calls / ((performance.now() - started) / 1000);
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: Math.round(s[0]!), median: Math.round(s[Math.floor(s.length / 2)]!), max: Math.round(s.at(-1)!) };
};
const rows: Array<{ name: string; baseline: ReturnType<typeof stats>; current: ReturnType<typeof stats>; ratio: number }> = [];
for (const [name, round] of [['VixEngine.ingest, onIndex + onTransition listeners (ticks/s)', engineRound], ['VixCircuitBreaker.getTtl from the sync cache, onDecision listener (calls/s)', breakerRound]] as const) {
  const runs = { baseline: [] as number[], current: [] as number[] };
  await round(baseline);
  await round(current);
  for (let i = 0; i < ROUNDS; i += 1) {
    runs.baseline.push(await round(baseline));
    runs.current.push(await round(current));
  }
  const b = stats(runs.baseline);
  const c = stats(runs.current);
  rows.push({ name, baseline: b, current: c, ratio: Math.round((c.median / b.median) * 100) / 100 });
}
const load = loadavg()[0]!;
console.log(`\nHooks on the hot paths: ${ROUNDS} alternating rounds; Node ${process.version}; load average ${load.toFixed(2)}\n`);
for (const r of rows) console.log(`${r.name}\n  baseline min/median/max ${r.baseline.min}/${r.baseline.median}/${r.baseline.max}\n  current  min/median/max ${r.current.min}/${r.current.median}/${r.current.max}\n  current/baseline (medians) ${r.ratio}×`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/hooks.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, rounds: ROUNDS, rows }, null, 2)}\n`);
