// npm run bench:replay — synthetic panics replayed on a simulated clock, in three scenarios:
//
// - hot-keys: the 4-hour panic. R requests/s (in turn for each importance, over K hot keys
//   each) through every strategy, vix-ttl with and without refresh ahead: backend calls, the
//   age of every value served, and the requests that waited for the backend (user-visible misses).
// - market-ticks: the same requests, plus a stream of price changes per market (each hot key is
//   a market): how many values were served older than their market's last price change, for
//   vix-ttl with change-aware invalidation (the tick → bus → invalidateTags path, delayed by the
//   publisher's window) and without, BentoCache and cache-manager.
// - slow-backend: a panic across 2,000 markets in front of a backend of fixed capacity
//   (15 loads at once × 300 ms = 50 loads/s; more queue up): loads offered per second, how long
//   users wait, the oldest value served, for vix-ttl with maxConcurrentLoads, without, the seed's
//   design, BentoCache and cache-manager.
//
// Each (scenario, strategy) runs in its own process (two at a time) as a discrete-event
// simulation: time jumps from one request, backend answer or price change to the next.
// vix-ttl and the hand-written baselines take the simulated clock as an injected `now`;
// BentoCache and cache-manager read time from Date.now / performance.now, which their process
// replaces with the simulated clock. Every scenario counts the values served older than allowed
// (the TTL at arrival; the overload bound for a value flagged stale). Results:
// bench/results/replay.json + .md.
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
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
  OverloadedError,
  VixCircuitBreaker,
  type AdaptiveCacheOptions,
  type GetTtlInput,
  type Importance,
} from '../src/index.js';
import { printTable } from './print-table.js';

const STRATEGIES = {
  'vix-ttl': 'vix-ttl AdaptiveCache (read-time TTL, coalesced loads)',
  'vix-ttl-refresh': 'vix-ttl with refreshAhead: 0.8',
  'vix-ttl-refresh-0.5': 'vix-ttl with refreshAhead: 0.5',
  'vix-ttl-changes': 'vix-ttl with change-aware invalidation (market:<id> tags, invalidated a publisher window after each price change)',
  'vix-ttl-protected': 'vix-ttl with maxConcurrentLoads: 15 (overload: stale ≤ 5 s, else refused at once)',
  'fixed-60s': 'fixed 60 s TTL cache (get/set, no coalescing)',
  'ttl0-no-coalescing': 'the seed: get/set with the decision’s TTL at write (TTL 0: not cached), no coalescing',
  bentocache: 'BentoCache getOrSet, ttl = decision at write (0 → 1 ms)',
  'cache-manager': 'cache-manager wrap (keyv memory), ttl = decision at write (0 → 1 ms)',
} as const;
type Strategy = keyof typeof STRATEGIES;

interface Scenario {
  title: string;
  strategies: Strategy[];
  rate: number;
  keys: number;
  latencyMs: number;
  calmMin: number;
  panicMin: number;
  /** Backend loads at once; more wait in a queue. Infinity: no limit. */
  capacity: number;
  /** Mean seconds between two price changes of one market; 0: no ticks. */
  changeEverySec: number;
}

const SCENARIOS: Record<string, Scenario> = {
  'hot-keys': {
    title: 'A 4-hour panic over hot keys: backend load, ages, user-visible misses with and without refresh ahead',
    strategies: ['vix-ttl', 'vix-ttl-refresh', 'vix-ttl-refresh-0.5', 'fixed-60s', 'ttl0-no-coalescing', 'bentocache', 'cache-manager'],
    rate: 200, keys: 20, latencyMs: 100, calmMin: 10, panicMin: 240, capacity: Number.POSITIVE_INFINITY, changeEverySec: 0,
  },
  'market-ticks': {
    title: 'The 4-hour panic with a tick stream per market: values served older than their market’s last price change',
    strategies: ['vix-ttl', 'vix-ttl-changes', 'bentocache', 'cache-manager'],
    rate: 200, keys: 20, latencyMs: 100, calmMin: 10, panicMin: 240, capacity: Number.POSITIVE_INFINITY, changeEverySec: 10,
  },
  'slow-backend': {
    title: 'A 1-hour panic across 2,000 markets in front of a backend of 50 loads/s (15 at once × 300 ms)',
    strategies: ['vix-ttl-protected', 'vix-ttl', 'ttl0-no-coalescing', 'bentocache', 'cache-manager'],
    rate: 100, keys: 667, latencyMs: 300, calmMin: 10, panicMin: 60, capacity: 15, changeEverySec: 0,
  },
};

interface Params extends Scenario {
  scenario: string;
  baseTtl: number;
  seed: number;
  /** Delay from a price change to the caches' invalidation: the publisher's window (uniform in 0–100 ms) plus 1 ms of delivery. */
  busWindowMs: number;
}

type Phase = 'calm' | 'tier1' | 'tier2' | 'tier3' | 'tier4';
const PHASES: Phase[] = ['calm', 'tier1', 'tier2', 'tier3', 'tier4'];
/** Backend protection's bound on a stale value (overload.staleMs), ms. */
const STALE_BOUND_MS = 5000;

interface ImportanceResult {
  requests: number;
  backendCalls: number;
  callsByPhase: Record<Phase, number>;
  secondsByPhase: Record<Phase, number>;
  peakCallsPerSecond: number;
  oldestServedMsByPhase: Record<Phase, number>;
  /** Requests served a value older than allowed: the policy's TTL at arrival, or the overload bound for a value flagged stale. */
  servedOlderThanAllowed: number;
  /** Requests that waited for the backend (their answer came later than they arrived), by phase. */
  waitedByPhase: Record<Phase, number>;
  /** Longest a request waited, ms, by phase. */
  longestWaitMsByPhase: Record<Phase, number>;
  /** Requests served a value whose backend read began before the market's last price change (before the request). */
  servedBeforeLastChange: number;
  /** Requests refused (OverloadedError). */
  refused: number;
  /** Values served flagged stale. */
  servedStale: number;
}

interface StrategyResult {
  scenario: string;
  strategy: Strategy;
  realSeconds: number;
  simulatedSeconds: number;
  byImportance: Record<Importance, ImportanceResult>;
  /** Backend loads started per second (all importances), peak over the panic. */
  peakLoadsPerSecond: number;
  /** Longest a load waited in the backend's queue, ms. */
  longestQueueMs: number;
  /** Most loads at the backend at once (served or queued). */
  maxInFlight: number;
  /** Backend loads started per second, averaged over the panic (all importances). */
  panicLoadsPerSecond: number;
}

const T0 = Date.UTC(2026, 5, 14, 19, 50, 0);

// ————————————————————————————— the simulated world —————————————————————————————

/** The simulated clock and the backend: fixed latency, `capacity` loads at once, first come first served. */
class World {
  now = T0;
  longestQueueMs = 0;
  /** Loads at the backend now (served or queued), and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  readonly #answers: Array<{ due: number; resolve: () => void }> = [];
  /** When each of the backend's `capacity` slots frees (finite capacity only), earliest first. */
  readonly #slots: number[] = [];
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

  /** The backend answers after its latency (plus any wait for a free slot), with a value stamped when it answered. */
  answerLater(): Promise<number> {
    let start = this.now;
    if (Number.isFinite(this.params.capacity)) {
      if (this.#slots.length < this.params.capacity) this.#slots.push(this.now);
      this.#slots.sort((a, b) => a - b);
      start = Math.max(this.now, this.#slots[0]!);
      this.#slots[0] = start + this.params.latencyMs;
      this.longestQueueMs = Math.max(this.longestQueueMs, start - this.now);
    }
    const due = start + this.params.latencyMs;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) => this.#answers.push({ due, resolve: () => resolve(due) }));
  }

  nextAnswerDue(): number | null {
    return this.#answers[0]?.due ?? null;
  }

  answerNext(): void {
    const answer = this.#answers.shift()!;
    this.inFlight -= 1;
    this.now = answer.due;
    answer.resolve();
  }
}

interface Value {
  key: string;
  /** When the backend answered. */
  producedAt: number;
  /** When the backend read began: the data is as of then. */
  asOf: number;
}

interface Served {
  value: Value;
  stale: boolean;
}

interface Server {
  serve(key: string, importance: Importance, load: () => Promise<Value>): Promise<Served>;
  /** A price change of `key`'s market reached the caches (change-aware strategies only). */
  invalidate?(key: string): Promise<unknown>;
}

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

function vixTtl(world: World, options: Partial<AdaptiveCacheOptions>): Server {
  const now = () => world.now;
  // hard: a bound in real time, which a simulated queue of hours would cross without any real wait.
  const cache = new AdaptiveCache({ breaker: simulatedBreaker(world), store: new MemoryCacheStore({ now, max: 100_000 }), loadTimeout: { hard: 600_000 }, ...options });
  return {
    serve: async (key, importance, load) => {
      const result = await cache.getOrLoadWithMeta(key, load, { ...input(world, importance), tags: [`market:${key}`] });
      return { value: result.value, stale: result.stale };
    },
    invalidate: (key) => cache.invalidateTags([`market:${key}`]),
  };
}

function fresh(value: Value): Served {
  return { value, stale: false };
}

async function serverFor(strategy: Strategy, world: World): Promise<Server> {
  switch (strategy) {
    case 'vix-ttl':
      return { serve: vixTtl(world, {}).serve };
    case 'vix-ttl-refresh':
      return { serve: vixTtl(world, { refreshAhead: 0.8 }).serve };
    case 'vix-ttl-refresh-0.5':
      return { serve: vixTtl(world, { refreshAhead: 0.5 }).serve };
    case 'vix-ttl-changes':
      return vixTtl(world, {});
    case 'vix-ttl-protected':
      return { serve: vixTtl(world, { maxConcurrentLoads: 15, overload: { staleMs: STALE_BOUND_MS, waitMs: 0 } }).serve };
    case 'fixed-60s': {
      const entries = new Map<string, Value>();
      return {
        serve: async (key, _importance, load) => {
          const entry = entries.get(key);
          if (entry && world.now - entry.producedAt < 60_000) return fresh(entry);
          const value = await load();
          entries.set(key, value);
          return fresh(value);
        },
      };
    }
    case 'ttl0-no-coalescing': {
      const breaker = simulatedBreaker(world);
      const entries = new Map<string, { value: Value; expiresAt: number }>();
      return {
        serve: async (key, importance, load) => {
          const decision = await breaker.getTtl(input(world, importance));
          const entry = entries.get(key);
          if (entry && world.now < entry.expiresAt) return fresh(entry.value);
          const value = await load();
          if (decision.ttl > 0) entries.set(key, { value, expiresAt: world.now + decision.ttl * 1000 });
          return fresh(value);
        },
      };
    }
    case 'bentocache': {
      fakeGlobalClocks(world);
      const breaker = simulatedBreaker(world);
      const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 100_000 })) } });
      return {
        serve: async (key, importance, load) => {
          const decision = await breaker.getTtl(input(world, importance));
          return fresh(await bento.getOrSet({ key, factory: load, ttl: decision.ttl > 0 ? decision.ttl * 1000 : 1 }));
        },
      };
    }
    case 'cache-manager': {
      fakeGlobalClocks(world);
      const breaker = simulatedBreaker(world);
      const cache = createCache({ stores: [new Keyv()] });
      return {
        serve: async (key, importance, load) => {
          const decision = await breaker.getTtl(input(world, importance));
          return fresh(await cache.wrap(key, load, decision.ttl > 0 ? decision.ttl * 1000 : 1));
        },
      };
    }
  }
}

/** A small deterministic PRNG (mulberry32), so every strategy sees the same requests and ticks. */
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

/** Price changes of every market over the replay (exponential gaps), earliest first. */
function priceChanges(world: World, keys: string[], random: () => number): Array<{ at: number; key: string; deliveredAt: number }> {
  const { changeEverySec, busWindowMs } = world.params;
  if (changeEverySec <= 0) return [];
  const changes: Array<{ at: number; key: string; deliveredAt: number }> = [];
  for (const key of keys) {
    for (let at = T0 - Math.log(1 - random()) * changeEverySec * 1000; at < world.end; at -= Math.log(1 - random()) * changeEverySec * 1000) {
      changes.push({ at, key, deliveredAt: at + random() * busWindowMs + 1 });
    }
  }
  return changes.sort((a, b) => a.at - b.at);
}

async function simulate(strategy: Strategy, params: Params): Promise<StrategyResult> {
  const world = new World(params);
  const server = await serverFor(strategy, world);
  const random = prng(params.seed);
  const seconds = Math.round((world.end - T0) / 1000);
  const results = Object.fromEntries(
    IMPORTANCES.map((i) => [
      i,
      {
        requests: 0,
        backendCalls: 0,
        callsByPhase: emptyPhases(),
        secondsByPhase: emptyPhases(),
        peakCallsPerSecond: 0,
        oldestServedMsByPhase: emptyPhases(),
        servedOlderThanAllowed: 0,
        waitedByPhase: emptyPhases(),
        longestWaitMsByPhase: emptyPhases(),
        servedBeforeLastChange: 0,
        refused: 0,
        servedStale: 0,
      },
    ]),
  ) as Record<Importance, ImportanceResult>;
  const callsPerSecond = Object.fromEntries(IMPORTANCES.map((i) => [i, new Uint32Array(seconds + 1)])) as Record<Importance, Uint32Array>;
  for (const importance of IMPORTANCES) {
    for (let s = 0; s < seconds; s += 1) results[importance].secondsByPhase[world.phaseAt(T0 + s * 1000, importance)] += 1;
  }
  const keys = IMPORTANCES.flatMap((importance) => Array.from({ length: params.keys }, (_, k) => `${importance}:${k}`));
  const changes = priceChanges(world, keys, prng(params.seed + 1));
  const deliveries = server.invalidate ? [...changes].sort((a, b) => a.deliveredAt - b.deliveredAt) : [];
  const lastChange = new Map<string, number>();
  let nextChange = 0;
  let nextDelivery = 0;

  const started = process.hrtime.bigint();
  const advanceTo = async (at: number): Promise<void> => {
    for (;;) {
      const answerDue = world.nextAnswerDue() ?? Number.POSITIVE_INFINITY;
      const changeAt = changes[nextChange]?.at ?? Number.POSITIVE_INFINITY;
      const deliveryAt = deliveries[nextDelivery]?.deliveredAt ?? Number.POSITIVE_INFINITY;
      const first = Math.min(answerDue, changeAt, deliveryAt);
      if (first > at) break;
      if (first === changeAt) {
        const change = changes[nextChange++]!;
        world.now = Math.max(world.now, change.at);
        lastChange.set(change.key, change.at);
      } else if (first === deliveryAt) {
        const delivery = deliveries[nextDelivery++]!;
        world.now = Math.max(world.now, delivery.deliveredAt);
        void server.invalidate!(delivery.key);
      } else {
        world.answerNext();
      }
      await flush();
    }
    world.now = at;
  };
  const request = (importance: Importance, key: string, result: ImportanceResult | null): void => {
    const at = world.now;
    const phase = world.phaseAt(at, importance);
    const allowedMs = world.ttlMsAt(at, importance);
    const changedAt = lastChange.get(key) ?? Number.NEGATIVE_INFINITY;
    if (result) result.requests += 1;
    const load = async (): Promise<Value> => {
      const asOf = world.now;
      if (result) {
        result.backendCalls += 1;
        result.callsByPhase[world.phaseAt(world.now, importance)] += 1;
        callsPerSecond[importance][Math.floor((world.now - T0) / 1000)]! += 1;
      }
      return { key, asOf, producedAt: await world.answerLater() };
    };
    server.serve(key, importance, load).then(
      ({ value, stale }) => {
        if (value.key !== key) throw new Error(`${strategy} served ${value.key} for ${key}`);
        if (!result) return;
        const age = world.now - value.producedAt;
        const waited = world.now - at;
        if (age > result.oldestServedMsByPhase[phase]) result.oldestServedMsByPhase[phase] = age;
        if (age > (stale ? Math.max(allowedMs, STALE_BOUND_MS) : allowedMs)) result.servedOlderThanAllowed += 1;
        if (stale) result.servedStale += 1;
        if (waited > 0) result.waitedByPhase[phase] += 1;
        if (waited > result.longestWaitMsByPhase[phase]) result.longestWaitMsByPhase[phase] = waited;
        if (value.asOf < changedAt) result.servedBeforeLastChange += 1;
      },
      (error: unknown) => {
        if (!(error instanceof OverloadedError)) throw error;
        if (result) result.refused += 1;
      },
    );
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
  const panicSeconds = [Math.floor((world.panicStart - T0) / 1000), Math.floor((world.panicEnd - T0) / 1000)];
  let peakLoadsPerSecond = 0;
  let panicLoads = 0;
  for (let s = panicSeconds[0]!; s < panicSeconds[1]!; s += 1) {
    const loads = IMPORTANCES.reduce((sum, i) => sum + callsPerSecond[i][s]!, 0);
    panicLoads += loads;
    peakLoadsPerSecond = Math.max(peakLoadsPerSecond, loads);
  }
  return {
    scenario: params.scenario,
    strategy,
    realSeconds: realSecondsSince(started),
    simulatedSeconds: (world.end - T0) / 1000,
    byImportance: results,
    peakLoadsPerSecond,
    longestQueueMs: world.longestQueueMs,
    maxInFlight: world.maxInFlight,
    panicLoadsPerSecond: panicLoads / (panicSeconds[1]! - panicSeconds[0]!),
  };
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
    child.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`${params.scenario}/${strategy} exited with ${code}`))));
  });
}

async function runAll(jobs: Array<{ strategy: Strategy; params: Params }>): Promise<StrategyResult[]> {
  const queue = [...jobs];
  const done: StrategyResult[] = [];
  const parallel = Math.max(1, Math.min(2, availableParallelism()));
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const result = await runChild(next.strategy, next.params);
        process.stderr.write(`  ${next.params.scenario}/${next.strategy}: ${result.simulatedSeconds / 60} simulated min in ${result.realSeconds.toFixed(1)} s\n`);
        done.push(result);
      }
    }),
  );
  return jobs.map((job) => done.find((r) => r.scenario === job.params.scenario && r.strategy === job.strategy)!);
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function share(count: number, requests: number): string {
  return `${count.toLocaleString('en-US')} (${((100 * count) / requests).toFixed(2)} %)`;
}

function summarize(result: StrategyResult, importances: readonly Importance[], params: Params) {
  const parts = importances.map((i) => result.byImportance[i]);
  const sum = (f: (r: ImportanceResult) => number) => parts.reduce((a, r) => a + f(r), 0);
  const max = (f: (r: ImportanceResult) => number) => Math.max(...parts.map(f));
  const panicPhases: Phase[] = ['tier1', 'tier2', 'tier3', 'tier4'];
  const tier1Seconds = Math.max(...parts.map((r) => r.secondsByPhase.tier1));
  const keys = params.keys * importances.length;
  return {
    requests: sum((r) => r.requests),
    callsPerSecondAvg: sum((r) => r.backendCalls) / result.simulatedSeconds,
    // Over several importances, tier 1 lasts differently: each importance's own tier 1.
    callsPerSecondTier1: importances.length === 1 ? sum((r) => r.callsByPhase.tier1) / tier1Seconds : sum((r) => r.callsByPhase.tier1 / Math.max(1, r.secondsByPhase.tier1)),
    oldestTier1Ms: max((r) => r.oldestServedMsByPhase.tier1),
    oldestPanicMs: max((r) => Math.max(...panicPhases.map((p) => r.oldestServedMsByPhase[p]))),
    oldestOverallMs: max((r) => Math.max(...PHASES.map((p) => r.oldestServedMsByPhase[p]))),
    servedOlderThanAllowed: sum((r) => r.servedOlderThanAllowed),
    /** Requests that waited for the backend in tiers 2–4, per hot key. */
    missesPerKeyTiers2to4: sum((r) => r.waitedByPhase.tier2 + r.waitedByPhase.tier3 + r.waitedByPhase.tier4) / keys,
    missesPerKeyByTier: Object.fromEntries((['tier2', 'tier3', 'tier4'] as const).map((p) => [p, sum((r) => r.waitedByPhase[p]) / keys])),
    longestWaitPanicMs: max((r) => Math.max(...panicPhases.map((p) => r.longestWaitMsByPhase[p]))),
    servedBeforeLastChange: sum((r) => r.servedBeforeLastChange),
    refused: sum((r) => r.refused),
    servedStale: sum((r) => r.servedStale),
  };
}

interface Table {
  scenario: string;
  headers: string[];
  rows: Array<Array<string | number | null>>;
}

function tableFor(scenario: string, params: Params, results: StrategyResult[]): Table {
  const all = results.map((r) => ({ r, s: summarize(r, IMPORTANCES, params) }));
  switch (scenario) {
    case 'hot-keys':
      return {
        scenario,
        headers: ['strategy', 'backend calls/s avg', 'calls/s tier 1', 'user-visible misses per hot key, tiers 2 / 3 / 4', 'tiers 2–4 total', 'oldest served tier 1', 'oldest served panic', 'served older than allowed'],
        rows: all.map(({ r, s }) => [
          r.strategy,
          s.callsPerSecondAvg.toFixed(1),
          s.callsPerSecondTier1.toFixed(1),
          `${s.missesPerKeyByTier.tier2!.toFixed(1)} / ${s.missesPerKeyByTier.tier3!.toFixed(1)} / ${s.missesPerKeyByTier.tier4!.toFixed(1)}`,
          s.missesPerKeyTiers2to4.toFixed(1),
          seconds(s.oldestTier1Ms),
          seconds(s.oldestPanicMs),
          share(s.servedOlderThanAllowed, s.requests),
        ]),
      };
    case 'market-ticks':
      return {
        scenario,
        headers: ['strategy', 'backend calls/s avg', 'served older than their market’s last price change', 'oldest served panic', 'served older than allowed'],
        rows: all.map(({ r, s }) => [r.strategy, s.callsPerSecondAvg.toFixed(1), share(s.servedBeforeLastChange, s.requests), seconds(s.oldestPanicMs), share(s.servedOlderThanAllowed, s.requests)]),
      };
    default:
      return {
        scenario,
        headers: ['strategy', 'loads/s offered, panic avg', 'most loads at the backend at once (capacity 15)', 'loads started in one second, peak', 'longest wait in the backend queue', 'longest user wait (panic)', 'oldest served (panic)', 'served stale (≤ 5 s)', 'refused (VIX_TTL_OVERLOADED)', 'served older than allowed'],
        rows: all.map(({ r, s }) => [
          r.strategy,
          r.panicLoadsPerSecond.toFixed(1),
          r.maxInFlight,
          r.peakLoadsPerSecond,
          seconds(r.longestQueueMs),
          seconds(s.longestWaitPanicMs),
          seconds(s.oldestPanicMs),
          share(s.servedStale, s.requests),
          share(s.refused, s.requests),
          share(s.servedOlderThanAllowed, s.requests),
        ]),
      };
  }
}

function scenarioText(params: Params): string {
  const ticks = params.changeEverySec > 0 ? ` Each hot key is a market whose price changes at random (exponential gaps, mean ${params.changeEverySec} s); the change-aware strategy invalidates \`market:<id>\` ${params.busWindowMs} ms (at most) + 1 ms after each change: the publisher's window.` : '';
  const backend = Number.isFinite(params.capacity) ? `backend: ${params.capacity} loads at once × ${params.latencyMs} ms = ${Math.round((params.capacity * 1000) / params.latencyMs)} loads/s, more wait in a queue` : `backend latency ${params.latencyMs} ms`;
  return `Calm ${params.calmMin} min, panic ${params.panicMin} min, calm ${params.calmMin} min; ${params.rate} requests/s in all, in turn for each importance, each over ${params.keys} keys (${params.keys * 3} in all); ${backend}; base TTL ${params.baseTtl} s; the seed's tier table.${ticks}`;
}

function report(jobs: Array<{ strategy: Strategy; params: Params }>, results: StrategyResult[], realSeconds: number, load: number[]): void {
  const scenarios = [...new Set(jobs.map((j) => j.params.scenario))];
  const tables = scenarios.map((scenario) => {
    const params = jobs.find((j) => j.params.scenario === scenario)!.params;
    const table = tableFor(scenario, params, results.filter((r) => r.scenario === scenario));
    console.log(`\n## ${scenario}: ${params.title}\n\n${scenarioText(params)}\n`);
    printTable(table.headers, table.rows);
    return { ...table, params };
  });
  const notes = [
    'User-visible miss: a request that waited for the backend (its answer came later than it arrived). Served older than allowed: a value older than the policy’s TTL when the request arrived (any age in tier 1), or, for a value flagged stale by backend protection, older than its 5 s bound. Served older than the last price change: the backend read behind the value began before the market’s last change that preceded the request.',
    'Slow backend: a backend of 15 loads at once × 300 ms serves 50 loads/s on average, and can start up to 60 within one calendar second (4 waves of 15); “most loads at once” is the bound that matters. vix-ttl-protected runs with overload.waitMs 0 here (a request past the bound is served a stale entry ≤ 5 s old or refused at once): its wait is a real-time timer, which a simulated clock cannot drive.',
    'Every strategy ran on a simulated clock (discrete events), each in its own process. vix-ttl and the baselines take the clock as an injected now; BentoCache and cache-manager read it through Date.now / performance.now, replaced in their process. Caches use memory stores (BentoCache’s L1 memory driver, a keyv Map, vix-ttl’s MemoryCacheStore): Redis expiry runs on wall-clock time and cannot follow a simulated clock.',
  ];
  console.log(`\n${notes.join('\n')}\nReplay took ${realSeconds.toFixed(0)} s of real time; Node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}.`);

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const json = results.map((result) => {
    const params = jobs.find((j) => j.params.scenario === result.scenario)!.params;
    return { scenario: result.scenario, strategy: result.strategy, description: STRATEGIES[result.strategy], realSeconds: result.realSeconds, peakLoadsPerSecond: result.peakLoadsPerSecond, panicLoadsPerSecond: result.panicLoadsPerSecond, maxInFlight: result.maxInFlight, longestQueueMs: result.longestQueueMs, all: summarize(result, IMPORTANCES, params), perImportance: Object.fromEntries(IMPORTANCES.map((i) => [i, summarize(result, [i], params)])), raw: result.byImportance };
  });
  writeFileSync(new URL('./results/replay.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, scenarios: tables.map((t) => t.params), strategies: json }, null, 2)}\n`);
  const md = [
    '# Replay: synthetic panics on a simulated clock',
    '',
    `Generated by \`npm run bench:replay\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}).`,
    '',
    ...tables.flatMap((t) => [`## ${t.scenario}: ${t.params.title}`, '', scenarioText(t.params), '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map((c) => (c === null ? '' : String(c))).join(' | ')} |`), '']),
    ...notes.flatMap((n) => [n, '']),
    ...Object.entries(STRATEGIES).map(([k, v]) => `- \`${k}\`: ${v}`),
    '',
  ].join('\n');
  writeFileSync(new URL('./results/replay.md', import.meta.url), md);
}

const { values } = parseArgs({
  options: {
    strategy: { type: 'string' },
    params: { type: 'string' },
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    'panic-min': { type: 'string' },
  },
  strict: true,
});

if (values.strategy) {
  if (!(values.strategy in STRATEGIES)) throw new Error(`unknown strategy ${values.strategy}`);
  const result = await simulate(values.strategy as Strategy, JSON.parse(values.params!) as Params);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const names = values.scenarios.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(name in SCENARIOS)) {
      console.error(`--scenarios: unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(', ')}`);
      process.exit(2);
    }
  }
  const panicMin = values['panic-min'] === undefined ? undefined : Number(values['panic-min']);
  if (panicMin !== undefined && !(panicMin > 0)) {
    console.error(`--panic-min must be a positive number, got ${JSON.stringify(values['panic-min'])}`);
    process.exit(2);
  }
  const jobs = names.flatMap((scenario) => {
    const base = SCENARIOS[scenario]!;
    const params: Params = { ...base, ...(panicMin ? { panicMin } : {}), scenario, baseTtl: 60, seed: 42, busWindowMs: 100 };
    return base.strategies.map((strategy) => ({ strategy, params }));
  });
  const load = [loadavg()[0]!];
  const started = performance.now();
  process.stderr.write(`Replaying ${jobs.length} (scenario, strategy) pairs…\n`);
  const results = await runAll(jobs);
  load.push(loadavg()[0]!);
  report(jobs, results, (performance.now() - started) / 1000, load);
}
