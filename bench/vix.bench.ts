// npx tsx bench/vix.bench.ts — VIX engine ingest throughput, in process, one core.
// 1.2 M pre-generated ticks over 200 markets in 20 scopes (with a few shocks, so
// statuses change), fed to a fresh engine per round; the median of the rounds is kept.
// The baseline is a loop that only reads each tick's fields: the floor of any ingest.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { simulateTicks, VixEngine, type SimulatedScope, type Tick } from '../src/index.js';
import { printTable } from './print-table.js';

const GOAL_PER_SECOND = 200_000;
const ROUNDS = 5;
const SCOPES = 20;
const MARKETS_PER_SCOPE = 10;
const DURATION_MS = 6_000_000; // 100 min at ~1 tick/s per market → ~1.2 M ticks

function generate(): Tick[] {
  const scopes: SimulatedScope[] = Array.from({ length: SCOPES }, (_, i) => ({ scope: `match-${i}`, markets: MARKETS_PER_SCOPE, meanGapMs: 1000 }));
  const events = Array.from({ length: 5 }, (_, i) => ({ scope: `match-${i * 4}`, atMs: (20 + i * 15) * 60_000, durationMs: 4 * 60_000, volatility: 10 }));
  return [...simulateTicks({ seed: 1, startMs: Date.UTC(2024, 4, 18, 18), durationMs: DURATION_MS, scopes, events })].map((r) => r.tick as unknown as Tick);
}

interface Row {
  name: string;
  ticksPerSecond: number;
  transitions: number;
}

/** Runs `pass` on fresh state ROUNDS times (after one warm-up) and keeps the median rate. */
function measure(name: string, ticks: readonly unknown[], pass: () => number): Row {
  pass();
  const rates: number[] = [];
  let transitions = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    transitions = pass();
    rates.push(ticks.length / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { name, ticksPerSecond: rates[Math.floor(ROUNDS / 2)]!, transitions };
}

const generatedAt = performance.now();
const ticks = generate();
const isoTicks = ticks.map((t) => ({ ...t, ts: new Date(t.ts as number).toISOString() }));
const junkStart = Date.UTC(2024, 4, 18, 18);
const fullTable = Array.from({ length: 10_000 }, (_, i) => ({ market: `fill-${i}`, price: 2, ts: junkStart, scope: `fill-${i}` }));
const junkTicks = Array.from({ length: 300_000 }, (_, i) => ({ market: `junk-${i % 1000}`, price: 2 + (i % 7) / 100, ts: junkStart + 1 + i, scope: `junk-${i}` }));
console.log(`${ticks.length.toLocaleString('en-US')} ticks over ${SCOPES * MARKETS_PER_SCOPE} markets in ${SCOPES} scopes, generated in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s\n`);

let sink = 0;
const rows: Row[] = [
  measure('baseline: read each tick’s fields, no engine', ticks, () => {
    for (const tick of ticks) sink += (tick.market as string).length + tick.price + (tick.ts as number) + (tick.scope ? 1 : 0);
    return 0;
  }),
  measure('VixEngine.ingest, no hooks', ticks, () => {
    const engine = new VixEngine();
    for (const tick of ticks) engine.ingest(tick);
    return engine.stats().transitions;
  }),
  measure('VixEngine.ingest, onIndex + onTransition hooks', ticks, () => {
    let calls = 0;
    const engine = new VixEngine({ hooks: { onIndex: () => void (calls += 1), onTransition: () => void (calls += 1) } });
    for (const tick of ticks) engine.ingest(tick);
    sink += calls;
    return engine.stats().transitions;
  }),
  measure('VixEngine.ingestBatch, batches of 1,000', ticks, () => {
    const engine = new VixEngine();
    for (let i = 0; i < ticks.length; i += 1000) engine.ingestBatch(ticks.slice(i, i + 1000));
    return engine.stats().transitions;
  }),
  measure('VixEngine.ingest, ISO-8601 string times', isoTicks, () => {
    const engine = new VixEngine();
    for (const tick of isoTicks) engine.ingest(tick);
    return engine.stats().transitions;
  }),
  // Junk: every tick a new scope, into a table already full (10,000 scopes): each tick evicts one.
  measure('VixEngine.ingest, every tick a new scope into a full table (eviction)', junkTicks, () => {
    const engine = new VixEngine();
    for (const tick of fullTable) engine.ingest(tick);
    for (const tick of junkTicks) engine.ingest(tick);
    if (engine.stats().evictedScopes !== junkTicks.length) throw new Error('every junk tick should have evicted a scope');
    return engine.stats().transitions;
  }),
];

const baseline = rows[0]!.ticksPerSecond;
console.log(`Ticks ingested per second, in process, one core (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${ROUNDS} rounds; goal ≥ ${GOAL_PER_SECOND.toLocaleString('en-US')}/s:\n`);
printTable(
  ['variant', 'ticks/s', 'vs goal', 'vs baseline', 'ns/tick', 'transitions'],
  rows.map((r) => [
    r.name,
    Math.round(r.ticksPerSecond).toLocaleString('en-US'),
    `${(r.ticksPerSecond / GOAL_PER_SECOND).toFixed(1)}×`,
    `${(r.ticksPerSecond / baseline).toFixed(3)}×`,
    (1e9 / r.ticksPerSecond).toFixed(0),
    r.transitions,
  ]),
);
if (sink === Number.MIN_VALUE) console.log(sink); // keeps the baseline loop from being optimised away
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/vix.json', import.meta.url),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? null,
      ticks: ticks.length,
      markets: SCOPES * MARKETS_PER_SCOPE,
      scopes: SCOPES,
      rounds: ROUNDS,
      goalTicksPerSecond: GOAL_PER_SECOND,
      results: rows.map((r) => ({ ...r, ratioVsGoal: r.ticksPerSecond / GOAL_PER_SECOND, ratioVsBaseline: r.ticksPerSecond / baseline })),
    },
    null,
    2,
  )}\n`,
);
