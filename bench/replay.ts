// npm run bench:replay — a synthetic 4-hour panic replayed on a simulated clock.
//
// R requests/s (in turn for each importance, over K hot keys each) go through five caching
// strategies; every backend call and the age of every value served are recorded.
// Each strategy runs in its own process (two at a time) as a discrete-event
// simulation: time jumps from one request or backend answer to the next, so the
// 4 h 20 min timeline takes seconds of real time. vix-ttl and the hand-written
// baselines take the simulated clock as an injected `now`; BentoCache and
// cache-manager read time from Date.now / performance.now, which their process
// replaces with the simulated clock (their timers are never awaited on a hit or
// miss path, so nothing else needs faking). Results: bench/results/replay.json + .md.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import {
  AdaptiveCache,
  DEFAULT_TIERS,
  IMPORTANCES,
  MemoryCacheStore,
  MemoryPanicClock,
  VixCircuitBreaker,
  type GetTtlInput,
  type Importance,
} from '../src/index.js';
import { printTable } from './print-table.js';

const STRATEGIES = {
  'vix-ttl': 'vix-ttl AdaptiveCache (read-time TTL, coalesced loads)',
  'fixed-60s': 'fixed 60 s TTL cache (get/set, no coalescing)',
  'ttl0-no-coalescing': 'the seed: get/set with the decision’s TTL at write (TTL 0: not cached), no coalescing',
  bentocache: 'BentoCache getOrSet, ttl = decision at write (0 → 1 ms)',
  'cache-manager': 'cache-manager wrap (keyv memory), ttl = decision at write (0 → 1 ms)',
} as const;
type Strategy = keyof typeof STRATEGIES;

interface Params {
  rate: number;
  keys: number;
  latencyMs: number;
  calmMin: number;
  panicMin: number;
  baseTtl: number;
  seed: number;
}

type Phase = 'calm' | 'tier1' | 'tier2' | 'tier3' | 'tier4';
const PHASES: Phase[] = ['calm', 'tier1', 'tier2', 'tier3', 'tier4'];

interface ImportanceResult {
  requests: number;
  backendCalls: number;
  callsByPhase: Record<Phase, number>;
  secondsByPhase: Record<Phase, number>;
  peakCallsPerSecond: number;
  oldestServedMsByPhase: Record<Phase, number>;
  /** Requests served a value older than the TTL the policy allowed when they arrived. */
  servedOlderThanTtl: number;
}

interface StrategyResult {
  strategy: Strategy;
  realSeconds: number;
  simulatedSeconds: number;
  byImportance: Record<Importance, ImportanceResult>;
}

const T0 = Date.UTC(2026, 5, 14, 19, 50, 0);

// ————————————————————————————— the simulated world —————————————————————————————

/** The simulated clock and the backend's pending answers (constant latency, so a FIFO). */
class World {
  now = T0;
  readonly #answers: Array<{ due: number; resolve: () => void }> = [];
  constructor(readonly params: Params) {}

  get panicStart(): number {
    return T0 + this.params.calmMin * 60_000;
  }

  get panicEnd(): number {
    return this.panicStart + this.params.panicMin * 60_000;
  }

  get end(): number {
    return this.panicEnd + this.params.calmMin * 60_000;
  }

  statusAt(time: number): 'calm' | 'panic' {
    return time >= this.panicStart && time < this.panicEnd ? 'panic' : 'calm';
  }

  /** The phase a request of `importance` falls in, from the seed's tier table. */
  phaseAt(time: number, importance: Importance): Phase {
    if (this.statusAt(time) === 'calm') return 'calm';
    const minutes = (time - this.panicStart) / 60_000;
    const [t1, t2, t3] = DEFAULT_TIERS[importance].thresholdsMin;
    return minutes < t1 ? 'tier1' : minutes < t2 ? 'tier2' : minutes < t3 ? 'tier3' : 'tier4';
  }

  /** The TTL (ms) the seed's policy allows at `time` for `importance`. */
  ttlMsAt(time: number, importance: Importance): number {
    const phase = this.phaseAt(time, importance);
    const ttl = phase === 'calm' ? this.params.baseTtl : Math.min(DEFAULT_TIERS[importance].ttlSeconds[PHASES.indexOf(phase) - 1]!, this.params.baseTtl);
    return ttl * 1000;
  }

  /** The backend answers after `latencyMs` of simulated time with a value stamped when it answered. */
  answerLater(): Promise<number> {
    const due = this.now + this.params.latencyMs;
    return new Promise((resolve) => this.#answers.push({ due, resolve: () => resolve(due) }));
  }

  nextAnswerDue(): number | null {
    return this.#answers[0]?.due ?? null;
  }

  answerNext(): void {
    const answer = this.#answers.shift()!;
    this.now = answer.due;
    answer.resolve();
  }
}

interface Value {
  key: string;
  producedAt: number;
}

type Serve = (key: string, importance: Importance, load: () => Promise<Value>) => Promise<Value>;

/** The breaker every decision-driven strategy asks, on the simulated clock, as a user would. */
function simulatedBreaker(world: World): VixCircuitBreaker {
  const now = () => world.now;
  return new VixCircuitBreaker({ clock: new MemoryPanicClock({ now }), syncIntervalMs: 100, now });
}

function input(world: World, importance: Importance): GetTtlInput {
  return { baseTtl: world.params.baseTtl, vixStatus: world.statusAt(world.now), match: { importance } };
}

/** Replaces the clocks third-party libraries read with the simulated one (in their own process only). */
function fakeGlobalClocks(world: World): void {
  Date.now = () => world.now;
  Object.defineProperty(performance, 'now', { value: () => world.now - T0, configurable: true, writable: true });
}

async function serverFor(strategy: Strategy, world: World): Promise<Serve> {
  switch (strategy) {
    case 'vix-ttl': {
      const now = () => world.now;
      const cache = new AdaptiveCache({ breaker: simulatedBreaker(world), store: new MemoryCacheStore({ now, max: 100_000 }) });
      return (key, importance, load) => cache.getOrLoad(key, load, input(world, importance));
    }
    case 'fixed-60s': {
      const entries = new Map<string, Value>();
      return async (key, _importance, load) => {
        const entry = entries.get(key);
        if (entry && world.now - entry.producedAt < 60_000) return entry;
        const value = await load();
        entries.set(key, value);
        return value;
      };
    }
    case 'ttl0-no-coalescing': {
      const breaker = simulatedBreaker(world);
      const entries = new Map<string, { value: Value; expiresAt: number }>();
      return async (key, importance, load) => {
        const decision = await breaker.getTtl(input(world, importance));
        const entry = entries.get(key);
        if (entry && world.now < entry.expiresAt) return entry.value;
        const value = await load();
        if (decision.ttl > 0) entries.set(key, { value, expiresAt: world.now + decision.ttl * 1000 });
        return value;
      };
    }
    case 'bentocache': {
      fakeGlobalClocks(world);
      const breaker = simulatedBreaker(world);
      const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 100_000 })) } });
      return async (key, importance, load) => {
        const decision = await breaker.getTtl(input(world, importance));
        return bento.getOrSet({ key, factory: load, ttl: decision.ttl > 0 ? decision.ttl * 1000 : 1 });
      };
    }
    case 'cache-manager': {
      fakeGlobalClocks(world);
      const breaker = simulatedBreaker(world);
      const cache = createCache({ stores: [new Keyv()] });
      return async (key, importance, load) => {
        const decision = await breaker.getTtl(input(world, importance));
        return cache.wrap(key, load, decision.ttl > 0 ? decision.ttl * 1000 : 1);
      };
    }
  }
}

/** A small deterministic PRNG (mulberry32), so every strategy sees the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyPhases(): Record<Phase, number> {
  return { calm: 0, tier1: 0, tier2: 0, tier3: 0, tier4: 0 };
}

/**
 * Lets every chain a request or an answer started run to its next wait on the
 * simulated backend. Node drains the whole microtask queue before it runs a
 * nextTick queued now, so awaiting one is enough for promise-only code (the hit
 * and miss paths of every strategy here), at a tenth of the cost of setImmediate.
 * VIX_TTL_REPLAY_FLUSH=immediate switches to setImmediate, to check that the
 * results do not depend on it.
 */
const flush =
  process.env.VIX_TTL_REPLAY_FLUSH === 'immediate'
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : () => new Promise<void>((resolve) => process.nextTick(resolve));

/** Real elapsed seconds, immune to the faked performance.now. */
function realSecondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

async function simulate(strategy: Strategy, params: Params): Promise<StrategyResult> {
  const world = new World(params);
  const serve = await serverFor(strategy, world);
  const random = prng(params.seed);
  const seconds = Math.round((world.end - T0) / 1000);
  const results = Object.fromEntries(
    IMPORTANCES.map((i) => [i, { requests: 0, backendCalls: 0, callsByPhase: emptyPhases(), secondsByPhase: emptyPhases(), peakCallsPerSecond: 0, oldestServedMsByPhase: emptyPhases(), servedOlderThanTtl: 0 }]),
  ) as Record<Importance, ImportanceResult>;
  const callsPerSecond = Object.fromEntries(IMPORTANCES.map((i) => [i, new Uint32Array(seconds + 1)])) as Record<Importance, Uint32Array>;
  for (const importance of IMPORTANCES) {
    for (let s = 0; s < seconds; s += 1) results[importance].secondsByPhase[world.phaseAt(T0 + s * 1000, importance)] += 1;
  }

  const started = process.hrtime.bigint();
  const advanceTo = async (at: number): Promise<void> => {
    for (let due = world.nextAnswerDue(); due !== null && due <= at; due = world.nextAnswerDue()) {
      world.answerNext();
      await flush();
    }
    world.now = at;
  };
  const request = (importance: Importance, key: string, result: ImportanceResult | null): void => {
    const at = world.now;
    const phase = world.phaseAt(at, importance);
    const allowedMs = world.ttlMsAt(at, importance);
    if (result) result.requests += 1;
    const load = async (): Promise<Value> => {
      if (result) {
        result.backendCalls += 1;
        result.callsByPhase[world.phaseAt(world.now, importance)] += 1;
        callsPerSecond[importance][Math.floor((world.now - T0) / 1000)]! += 1;
      }
      return { key, producedAt: await world.answerLater() };
    };
    void serve(key, importance, load).then((value) => {
      if (value.key !== key) throw new Error(`${strategy} served ${value.key} for ${key}`);
      if (!result) return;
      const age = world.now - value.producedAt;
      if (age > result.oldestServedMsByPhase[phase]) result.oldestServedMsByPhase[phase] = age;
      if (age > allowedMs) result.servedOlderThanTtl += 1;
    });
  };

  // Warm-up, not recorded: during the base TTL before the replay every key is
  // requested once, evenly spread, so that when the panic starts the entries'
  // ages are spread over [0, base TTL) as in a cache that has been running for a
  // while — not all written in the same second and expiring together.
  const warmUpMs = params.baseTtl * 1000;
  const warmKeys = params.keys * IMPORTANCES.length;
  world.now = T0 - warmUpMs;
  for (let j = 0; j < warmKeys; j += 1) {
    await advanceTo(T0 - warmUpMs + ((j + 0.5) * warmUpMs) / warmKeys);
    request(IMPORTANCES[j % IMPORTANCES.length]!, `${IMPORTANCES[j % IMPORTANCES.length]}:${Math.floor(j / IMPORTANCES.length)}`, null);
    await flush();
  }

  const stepMs = 1000 / params.rate;
  const total = Math.floor((world.end - T0) / stepMs);
  for (let i = 0; i < total; i += 1) {
    await advanceTo(T0 + i * stepMs);
    const importance = IMPORTANCES[i % IMPORTANCES.length]!;
    request(importance, `${importance}:${Math.floor(random() * params.keys)}`, results[importance]);
    await flush();
  }
  while (world.nextAnswerDue() !== null) {
    world.answerNext();
    await flush();
  }
  for (const importance of IMPORTANCES) results[importance].peakCallsPerSecond = Math.max(...callsPerSecond[importance]);
  return { strategy, realSeconds: realSecondsSince(started), simulatedSeconds: (world.end - T0) / 1000, byImportance: results };
}

// ————————————————————————————— the runner —————————————————————————————

function runChild(strategy: Strategy, params: Params): Promise<StrategyResult> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--strategy', strategy, '--params', JSON.stringify(params)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let result: StrategyResult | null = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) result = JSON.parse(line) as StrategyResult;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`${strategy} exited with ${code}`))));
  });
}

async function runAll(params: Params): Promise<StrategyResult[]> {
  const queue = Object.keys(STRATEGIES) as Strategy[];
  const done = new Map<Strategy, StrategyResult>();
  const parallel = Math.max(1, Math.min(2, availableParallelism()));
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const result = await runChild(next, params);
        process.stderr.write(`  ${next}: ${result.simulatedSeconds / 60} simulated min in ${result.realSeconds.toFixed(1)} s\n`);
        done.set(next, result);
      }
    }),
  );
  return (Object.keys(STRATEGIES) as Strategy[]).map((s) => done.get(s)!);
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function overTtl(s: { servedOlderThanTtl: number; requests: number }): string {
  return `${s.servedOlderThanTtl.toLocaleString('en-US')} (${((100 * s.servedOlderThanTtl) / s.requests).toFixed(2)} %)`;
}

function summarize(result: StrategyResult, importances: readonly Importance[]) {
  const parts = importances.map((i) => result.byImportance[i]);
  const sum = (f: (r: ImportanceResult) => number) => parts.reduce((a, r) => a + f(r), 0);
  const max = (f: (r: ImportanceResult) => number) => Math.max(...parts.map(f));
  const panicPhases: Phase[] = ['tier1', 'tier2', 'tier3', 'tier4'];
  const tier1Seconds = Math.max(...parts.map((r) => r.secondsByPhase.tier1));
  return {
    callsPerSecondAvg: sum((r) => r.backendCalls) / result.simulatedSeconds,
    // Over several importances, tier 1 lasts differently: each importance's own tier 1.
    callsPerSecondTier1: importances.length === 1 ? sum((r) => r.callsByPhase.tier1) / tier1Seconds : sum((r) => r.callsByPhase.tier1 / r.secondsByPhase.tier1),
    callsPerSecondPeak: importances.length === 1 ? parts[0]!.peakCallsPerSecond : null,
    oldestTier1Ms: max((r) => r.oldestServedMsByPhase.tier1),
    oldestPanicMs: max((r) => Math.max(...panicPhases.map((p) => r.oldestServedMsByPhase[p]))),
    oldestOverallMs: max((r) => Math.max(...PHASES.map((p) => r.oldestServedMsByPhase[p]))),
    servedOlderThanTtl: sum((r) => r.servedOlderThanTtl),
    requests: sum((r) => r.requests),
  };
}

function report(params: Params, results: StrategyResult[], realSeconds: number): void {
  const headers = ['strategy', 'importance', 'calls/s avg', 'calls/s tier 1', 'calls/s peak', 'oldest served tier 1', 'oldest served panic', 'oldest served overall', 'served older than the TTL allowed'];
  const rows: Array<Array<string | number | null>> = [];
  const json = results.map((result) => {
    const perImportance = Object.fromEntries(IMPORTANCES.map((i) => [i, summarize(result, [i])]));
    for (const importance of IMPORTANCES) {
      const s = perImportance[importance]!;
      rows.push([result.strategy, importance, s.callsPerSecondAvg.toFixed(1), s.callsPerSecondTier1.toFixed(1), s.callsPerSecondPeak, seconds(s.oldestTier1Ms), seconds(s.oldestPanicMs), seconds(s.oldestOverallMs), overTtl(s)]);
    }
    const all = summarize(result, IMPORTANCES);
    rows.push([result.strategy, 'all', all.callsPerSecondAvg.toFixed(1), all.callsPerSecondTier1.toFixed(1), '', seconds(all.oldestTier1Ms), seconds(all.oldestPanicMs), seconds(all.oldestOverallMs), overTtl(all)]);
    return { strategy: result.strategy, description: STRATEGIES[result.strategy], realSeconds: result.realSeconds, all, perImportance, raw: result.byImportance };
  });
  const simulatedMin = params.calmMin * 2 + params.panicMin;
  const compression = `All strategies ran on a simulated clock (discrete events: each request and backend answer advances it), each in its own process: ${simulatedMin} simulated minutes per strategy, about ${Math.round((simulatedMin * 60) / Math.max(...results.map((r) => r.realSeconds)))}× faster than real time. vix-ttl and the baselines take the clock as an injected now; BentoCache and cache-manager read it through Date.now / performance.now, replaced in their process. Third-party caches use their memory stores (L1 memory driver, keyv Map), not Redis: Redis expiry runs on wall-clock time and cannot follow a simulated clock.`;
  const scenario = `Scenario: calm ${params.calmMin} min, panic ${params.panicMin} min, calm ${params.calmMin} min; ${params.rate} requests/s in all, in turn for each importance (${(params.rate / 3).toFixed(1)} req/s each), each over ${params.keys} hot keys; backend latency ${params.latencyMs} ms; base TTL ${params.baseTtl} s; the seed's tier table.`;
  const note = 'calls/s tier 1 is the backend rate during each importance’s own tier 1 (60, 30, 15 min); the "all" rows add the three. Oldest served = the largest age (now − when the backend produced it) of a value returned to a caller; "served older than the TTL allowed" counts requests given a value older than the policy’s TTL at their arrival (any age > 0 in tier 1).';
  console.log(`\n${scenario}\n`);
  printTable(headers, rows);
  console.log(`\n${note}\n${compression}\nReplay took ${realSeconds.toFixed(0)} s of real time.`);

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/replay.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, params, timeCompression: compression, strategies: json }, null, 2)}\n`);
  const md = [
    '# Replay: a synthetic 4-hour panic',
    '',
    `Generated by \`npm run bench:replay\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}).`,
    '',
    scenario,
    '',
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => (c === null ? '' : String(c))).join(' | ')} |`),
    '',
    note,
    '',
    compression,
    '',
    ...Object.entries(STRATEGIES).map(([k, v]) => `- \`${k}\`: ${v}`),
    '',
  ].join('\n');
  writeFileSync(new URL('./results/replay.md', import.meta.url), md);
}

const { values } = parseArgs({
  options: {
    strategy: { type: 'string' },
    params: { type: 'string' },
    rate: { type: 'string', default: '200' },
    keys: { type: 'string', default: '20' },
    'latency-ms': { type: 'string', default: '100' },
    'calm-min': { type: 'string', default: '10' },
    'panic-min': { type: 'string', default: '240' },
  },
  strict: true,
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

if (values.strategy) {
  if (!(values.strategy in STRATEGIES)) throw new Error(`unknown strategy ${values.strategy}`);
  const result = await simulate(values.strategy as Strategy, JSON.parse(values.params!) as Params);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const params: Params = {
    rate: positive('rate', values.rate),
    keys: Math.round(positive('keys', values.keys)),
    latencyMs: positive('latency-ms', values['latency-ms']),
    calmMin: positive('calm-min', values['calm-min']),
    panicMin: positive('panic-min', values['panic-min']),
    baseTtl: 60,
    seed: 42,
  };
  const started = performance.now();
  process.stderr.write(`Replaying ${params.calmMin * 2 + params.panicMin} simulated minutes for ${Object.keys(STRATEGIES).length} strategies…\n`);
  const results = await runAll(params);
  report(params, results, (performance.now() - started) / 1000);
}
