// npm run bench — does the Redis load grow with the number of active scopes? Decisions/s and Redis
// round trips/s at 1, 100, 1,000 and 10,000 scopes (every scope in panic, syncIntervalMs 100), in the
// library (32 callers, each yielding to the event loop every 64 decisions as socket-driven callers
// do) and through the service (`serve --redis` from the built package, autocannon POST /v1/ttl with
// the scopes spread over N), on a real redis-server. The scope counts alternate
// over ROUNDS rounds (order reversed every other round); each figure is min / median / max.
// Round trips: Redis scripts per second from `INFO commandstats` (EVALSHA + EVAL), Redis commands per
// second (every command, those run inside scripts included), and batches per second (network round
// trips: one observeMany call, whose scripts are sent together) counted by a forwarding clock.
// Then the worst case: every scope changes state at once.
// Run: npx tsx bench/scope-scaling.bench.ts → bench/results/scope-scaling.json
// (BENCH_SCOPES_SECONDS per run, default 3; BENCH_SCOPES_ROUNDS, default 5; BENCH_SCOPES_PART library|service)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import {
  RedisPanicClock,
  VixCircuitBreaker,
  type ObservationKind,
  type ObservationRequest,
  type ObservationResult,
  type PanicClock,
  type PanicInspection,
  type PanicObservation,
  type StartPanicOptions,
} from '../src/index.js';
import { commandCalls, diffCalls } from '../test/support/commandstats.js';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';
import { startServe } from './serve-under-test.js';

const SCOPES = [1, 100, 1000, 10_000];
/** Library variants: each scope count, and 10,000 scopes in one script per round (maxKeysPerScript 10,000: Redis held ~7 ms a round). */
interface Variant {
  label: string;
  scopes: number;
  maxKeysPerScript?: number;
}
const LIBRARY: Variant[] = [...SCOPES.map((n) => ({ label: n.toLocaleString('en-US'), scopes: n })), { label: '10,000, maxKeysPerScript 10,000', scopes: 10_000, maxKeysPerScript: 10_000 }];
const SERVICE: Variant[] = SCOPES.map((n) => ({ label: n.toLocaleString('en-US'), scopes: n }));
const SECONDS = Number(process.env.BENCH_SCOPES_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_SCOPES_ROUNDS ?? 5);
/** `library`, `service` or both (default). */
const PART = process.env.BENCH_SCOPES_PART ?? 'all';
const CALLERS = 32;
const YIELD_EVERY = 64;
const CONNECTIONS = 32;
const SYNC_INTERVAL_MS = 100;
/** The breaker's default scopeIdleMs: a scope not asked for this long leaves the sync loop. */
const SCOPE_IDLE_MS = 10_000;
/** Seconds of load before each service run: at ~15 k requests/s, every one of 10,000 scopes is asked at least once. */
const SERVICE_WARMUP_S = 3;
const MATCH = { league: 'Ligue 1' };
const PREFIX = 'brain:panic_start_ts';

/** A PanicClock that forwards to a RedisPanicClock and counts its calls: one observeMany is one network round trip. */
class CountingClock implements PanicClock {
  readonly kind = 'redis';
  batches = 0;
  singles = 0;
  readonly #clock: RedisPanicClock;
  constructor(clock: RedisPanicClock) {
    this.#clock = clock;
  }
  get deadManSwitchSeconds(): number {
    return this.#clock.deadManSwitchSeconds;
  }
  get onLateObservation() {
    return this.#clock.onLateObservation;
  }
  observe(scope: string | undefined, kind: ObservationKind): Promise<PanicObservation> {
    this.singles += 1;
    return this.#clock.observe(scope, kind);
  }
  observeMany(requests: readonly ObservationRequest[]): Promise<ObservationResult[]> {
    this.batches += 1;
    return this.#clock.observeMany(requests);
  }
  inspect(scope?: string): Promise<PanicInspection> {
    return this.#clock.inspect(scope);
  }
  startPanic(scope?: string, options?: StartPanicOptions): Promise<PanicObservation> {
    return this.#clock.startPanic(scope, options);
  }
  reset(scope?: string): Promise<boolean> {
    return this.#clock.reset(scope);
  }
  ping(): Promise<void> {
    return this.#clock.ping();
  }
  close(): Promise<void> {
    return this.#clock.close();
  }
}

interface Sample {
  decisionsPerSecond: number;
  scriptsPerSecond: number;
  commandsPerSecond: number;
  /** Network round trips per second: batches (library), or null where they cannot be counted (the service). */
  batchesPerSecond: number | null;
  failSafe: number;
  p99Ms: number | null;
}

interface Stats {
  min: number;
  median: number;
  max: number;
}

const scopeNames = (n: number) => Array.from({ length: n }, (_, i) => `m-${i}`);

/** Every scope in panic, started an hour ago: the steady state of a busy Saturday. */
async function presetPanics(redis: Redis, n: number): Promise<void> {
  await redis.flushall();
  const [seconds] = await redis.time();
  const start = (Number(seconds) - 3600).toFixed(6);
  for (let i = 0; i < n; i += 1000) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(n, i + 1000); j += 1) pipeline.set(`${PREFIX}:m-${j}`, start, 'EX', 86_400);
    await pipeline.exec();
  }
}

function scriptsOf(delta: Record<string, number>): number {
  return (delta.evalsha ?? 0) + (delta.eval ?? 0);
}

function commandsOf(delta: Record<string, number>): number {
  const { info: _info, ...rest } = delta;
  return Object.values(rest).reduce((a, b) => a + b, 0);
}

async function libraryRun(server: RedisServer, admin: Redis, variant: Variant): Promise<Sample> {
  const n = variant.scopes;
  await presetPanics(admin, n);
  const client = server.client();
  const clock = new CountingClock(new RedisPanicClock(client, { timeoutMs: 1000, maxKeysPerScript: variant.maxKeysPerScript }));
  const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: SYNC_INTERVAL_MS, timeoutMs: 1000, maxPanicScopes: 20_000 });
  const scopes = scopeNames(n);
  let next = 0;
  let failSafe = 0;
  // Each caller yields to the event loop every YIELD_EVERY decisions, as callers woken by sockets do: a
  // loop of decisions that never yields would also keep the clock's answers from being read.
  const drive = async (deadline: number, count: boolean) => {
    let decisions = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < deadline) {
          for (let i = 0; i < YIELD_EVERY; i += 1) {
            const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: MATCH, scope: scopes[next++ % n] });
            if (count && decision.failSafe) failSafe += 1;
          }
          decisions += YIELD_EVERY;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    return decisions;
  };
  await drive(performance.now() + 1000, false); // warm-up: JIT, every scope seen once
  const before = await commandCalls(admin);
  const batchesBefore = clock.batches + clock.singles;
  const started = performance.now();
  const decisions = await drive(started + SECONDS * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  const delta = diffCalls(before, await commandCalls(admin));
  const batches = clock.batches + clock.singles - batchesBefore;
  await breaker.close();
  client.disconnect();
  return { decisionsPerSecond: decisions / elapsed, scriptsPerSecond: scriptsOf(delta) / elapsed, commandsPerSecond: commandsOf(delta) / elapsed, batchesPerSecond: batches / elapsed, failSafe, p99Ms: null };
}

async function serviceRun(url: string, admin: Redis, variant: Variant): Promise<Sample> {
  const n = variant.scopes;
  await presetPanics(admin, n);
  const bodies = scopeNames(n).map((scope) => JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: MATCH, scope }));
  let next = 0;
  let failSafe = 0;
  const options = (duration: number, count: boolean) => ({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST' as const,
        path: '/v1/ttl',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++ % n]! }),
        onResponse: (_status: number, body: string) => {
          if (count && body.includes('"failSafe":true')) failSafe += 1;
        },
      },
    ],
  });
  await autocannon(options(SERVICE_WARMUP_S, false)); // warm-up: every scope asked at least once, so the run measures the steady state
  const before = await commandCalls(admin);
  const started = performance.now();
  const result = await autocannon(options(SECONDS, true));
  const elapsed = (performance.now() - started) / 1000;
  const delta = diffCalls(before, await commandCalls(admin));
  return { decisionsPerSecond: result.requests.total / elapsed, scriptsPerSecond: scriptsOf(delta) / elapsed, commandsPerSecond: commandsOf(delta) / elapsed, batchesPerSecond: null, failSafe, p99Ms: result.latency.p99 };
}

/**
 * The worst case: N scopes in steady panic, then every one of them turns calm at once (N calm
 * decisions together), then panics again at once. Each wave's round trips and latency.
 */
async function worstCase(server: RedisServer, admin: Redis, n: number) {
  await presetPanics(admin, n);
  const client = server.client();
  const clock = new CountingClock(new RedisPanicClock(client, { timeoutMs: 1000 }));
  const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: SYNC_INTERVAL_MS, timeoutMs: 1000, maxPanicScopes: 20_000 });
  const scopes = scopeNames(n);
  for (const scope of scopes) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: MATCH, scope });
  const waves = [];
  for (const vixStatus of ['calm', 'panic'] as const) {
    const before = await commandCalls(admin);
    const batchesBefore = clock.batches + clock.singles;
    const started = performance.now();
    const latencies = await Promise.all(
      scopes.map(async (scope) => {
        const t0 = performance.now();
        await breaker.getTtl({ baseTtl: 60, vixStatus, match: MATCH, scope });
        return performance.now() - t0;
      }),
    );
    const wallMs = performance.now() - started;
    const delta = diffCalls(before, await commandCalls(admin));
    latencies.sort((a, b) => a - b);
    waves.push({
      change: vixStatus === 'calm' ? 'panic → calm' : 'calm → panic',
      scopes: n,
      batches: clock.batches + clock.singles - batchesBefore,
      scripts: scriptsOf(delta),
      commands: commandsOf(delta),
      wallMs,
      p50Ms: latencies[Math.floor(latencies.length / 2)]!,
      maxMs: latencies.at(-1)!,
    });
  }
  await breaker.close();
  client.disconnect();
  return waves;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const range = (s: Stats) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

function summarize(variants: Variant[], samples: Map<string, Sample[]>) {
  const base = samples.get(variants[0]!.label)!;
  if (base.length === 0) return [];
  return variants.map((variant) => {
    const runs = samples.get(variant.label)!;
    // Ratios per round (the same round's 1-scope run as baseline), then their spread.
    const ratio = runs.map((r, i) => r.decisionsPerSecond / base[i]!.decisionsPerSecond);
    return {
      scopes: variant.label,
      decisionsPerSecond: stats(runs.map((r) => r.decisionsPerSecond)),
      vsOneScope: stats(ratio),
      scriptsPerSecond: stats(runs.map((r) => r.scriptsPerSecond)),
      commandsPerSecond: stats(runs.map((r) => r.commandsPerSecond)),
      batchesPerSecond: runs[0]!.batchesPerSecond === null ? null : stats(runs.map((r) => r.batchesPerSecond!)),
      p99Ms: runs[0]!.p99Ms === null ? null : stats(runs.map((r) => r.p99Ms!)),
      failSafe: runs.reduce((a, r) => a + r.failSafe, 0),
    };
  });
}

function print(title: string, rows: ReturnType<typeof summarize>): void {
  console.log(`\n${title}\n`);
  printTable(
    ['scopes', 'decisions/s', 'vs 1 scope', 'batches/s (round trips)', 'scripts/s', 'Redis commands/s', 'p99 ms', 'fail-safe'],
    rows.map((r) => [
      r.scopes,
      range(r.decisionsPerSecond),
      `${r.vsOneScope.median.toFixed(2)}× (${r.vsOneScope.min.toFixed(2)}–${r.vsOneScope.max.toFixed(2)})`,
      r.batchesPerSecond ? range(r.batchesPerSecond) : '—',
      range(r.scriptsPerSecond),
      range(r.commandsPerSecond),
      r.p99Ms ? range(r.p99Ms) : '—',
      r.failSafe,
    ]),
  );
}

const loadBefore = loadavg();
const server = await RedisServer.start();
const admin = server.client();
const library = new Map<string, Sample[]>(LIBRARY.map((v) => [v.label, []]));
const service = new Map<string, Sample[]>(SERVICE.map((v) => [v.label, []]));
let worst: Awaited<ReturnType<typeof worstCase>> = [];
try {
  for (let round = 0; round < ROUNDS && PART !== 'service'; round += 1) {
    const order = round % 2 === 0 ? LIBRARY : [...LIBRARY].reverse();
    for (const variant of order) library.get(variant.label)!.push(await libraryRun(server, admin, variant));
    console.error(`library round ${round + 1}/${ROUNDS} done (load ${loadavg()[0]!.toFixed(2)})`);
  }
  if (PART !== 'service') worst = await worstCase(server, admin, 10_000);
  const serve = PART === 'library' ? null : await startServe(server.url, 1, ['--max-panic-scopes', '20000']);
  try {
    for (let round = 0; round < ROUNDS && serve !== null; round += 1) {
      const order = round % 2 === 0 ? SERVICE : [...SERVICE].reverse();
      for (const variant of order) {
        // One service for every run: let the last run's scopes leave its sync loop (scopeIdleMs, 10 s) first.
        if (round > 0 || variant !== order[0]) await new Promise((resolve) => setTimeout(resolve, SCOPE_IDLE_MS + 1000));
        service.get(variant.label)!.push(await serviceRun(serve.url, admin, variant));
      }
      console.error(`service round ${round + 1}/${ROUNDS} done (load ${loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    await serve?.stop();
  }
} finally {
  await server.stop();
}
const loadAfter = loadavg();

const libraryRows = summarize(LIBRARY, library);
const serviceRows = summarize(SERVICE, service);
console.log(`\nNode ${process.version}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ${ROUNDS} alternating rounds of ${SECONDS} s; median (min–max)`);
print(`Library: ${CALLERS} callers, getTtl on RedisPanicClock, syncIntervalMs ${SYNC_INTERVAL_MS}, every scope in panic`, libraryRows);
print(`Service: serve --redis (one process, built package), autocannon ${CONNECTIONS} connections, POST /v1/ttl over N scopes, every scope in panic`, serviceRows);
console.log('\nWorst case, library, 10,000 scopes in panic: all turn calm at once, then all panic again at once\n');
printTable(
  ['change', 'scopes', 'batches', 'scripts', 'Redis commands', 'wall ms', 'p50 ms', 'max ms'],
  worst.map((w) => [w.change, w.scopes.toLocaleString('en-US'), w.batches, w.scripts, w.commands.toLocaleString('en-US'), fmt(w.wallMs), fmt(w.p50Ms), fmt(w.maxMs)]),
);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/scope-scaling.json', import.meta.url),
  `${JSON.stringify({ bench: 'scope-scaling', date: new Date().toISOString(), node: process.version, loadavgBefore: loadBefore, loadavgAfter: loadAfter, rounds: ROUNDS, seconds: SECONDS, syncIntervalMs: SYNC_INTERVAL_MS, callers: CALLERS, connections: CONNECTIONS, library: libraryRows, service: serviceRows, worstCase: worst }, null, 2)}\n`,
);
