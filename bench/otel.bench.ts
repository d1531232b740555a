// npm run bench (or npx tsx bench/otel.bench.ts) — what OpenTelemetry tracing costs on the hot paths,
// against today's code without it, in alternating rounds of one run:
// - VixCircuitBreaker.getTtl answered from the sync window (no round trip: no span);
// - AdaptiveCache.getOrLoad hits: on an in-process copy (l1, Redis + bus on a real redis-server),
//   and through a memory store (one async store read per call: a vix_ttl.cache.get span each, with an SDK);
// - getTtl that reaches the clock on every call (syncIntervalMs 0): two spans per call, with an SDK.
// Designs: "before" is the tree before tracing existed (git archive of OTEL_BENCH_BASELINE, default the
// parent of the commit that added src/otel/index.ts); "before, again" a second copy of it (an A/A test: the
// run's noise floor); "off" today's code, not instrumented; "no SDK" instrumented, no tracer provider
// registered; "SDK, off" the real SDK registered (BasicTracerProvider, spans handed to an exporter that drops
// them, the AsyncLocalStorage context manager) but vix-ttl not instrumented; "SDK" instrumented under it.
// Rates are per second of this process's CPU time (the machine is shared); cost = before's rate ÷ the
// design's, per round; min/median/max over the rounds.
// → bench/results/otel.json
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as current from '../src/index.js';
import { instrumentOpenTelemetry } from '../src/otel/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';

type Lib = typeof current;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 200);

/** The tree before tracing: `src/` of the baseline commit in a scratch directory whose node_modules is this tree's. */
function baselineTree(): { rev: string; dir: string } {
  const added = execFileSync('git', ['log', '--format=%H', '-1', '--diff-filter=A', '--', 'src/otel/index.ts'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const rev = process.env.OTEL_BENCH_BASELINE ?? `${added}^`;
  const resolved = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'vix-ttl-otel-baseline-'));
  execFileSync('sh', ['-c', `git archive ${resolved} src | tar -x -C ${dir}`], { cwd: ROOT });
  writeFileSync(join(dir, 'package.json'), '{"type":"module","version":"0.0.0-baseline"}\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { rev: resolved, dir };
}

/** An exporter that drops what it is given: the SDK's own cost, not an exporter's. */
const dropping: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropping)] });
const contextManager = new AsyncLocalStorageContextManager();

type Mode = 'before' | 'before, again' | 'off' | 'no SDK' | 'SDK, off' | 'SDK';
/**
 * `before, again` is a second copy of the same tree: its cost vs `before` is the noise floor of the run (an
 * A/A test). `SDK, off` has the SDK registered but vix-ttl not instrumented: what the application's context
 * manager costs by itself, so `SDK` ÷ `SDK, off` is vix-ttl's share.
 */
const MODES: Mode[] = ['before', 'before, again', 'off', 'no SDK', 'SDK, off', 'SDK'];

/**
 * Operations per second of this process's CPU time (user + system, `process.cpuUsage()`), `op` run back to
 * back until it has had RUN_MS of CPU (or ten times that of wall time): on a machine shared with other
 * work, CPU time per operation holds where wall time does not.
 */
async function loop(op: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 2000; i += 1) await op();
  let ops = 0;
  const cpuAtStart = process.cpuUsage();
  const wallDeadline = performance.now() + RUN_MS * 10;
  let cpuMs = 0;
  while (cpuMs < RUN_MS && performance.now() < wallDeadline) {
    for (let i = 0; i < 1024; i += 1) await op();
    ops += 1024;
    const used = process.cpuUsage(cpuAtStart);
    cpuMs = (used.user + used.system) / 1000;
  }
  return (ops / cpuMs) * 1000;
}

/** Runs `round` with the SDK registered (and the context manager an application registers with it) or not. */
async function withSdk<T>(on: boolean, work: () => Promise<T>): Promise<T> {
  if (!on) return work();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
  // Live as in an application with an SDK, where some span is always being made active (an HTTP
  // instrumentation's, or the span processor's own suppressed export context): from the first
  // context.with on, AsyncLocalStorage follows every promise, traced or not.
  context.with(context.active(), () => undefined);
  try {
    return await work();
  } finally {
    trace.disable();
    context.disable();
  }
}

interface Scenario {
  name: string;
  /** Builds the design's operation and a cleanup. */
  build(lib: Lib, instrument: boolean): Promise<{ op: () => Promise<unknown> | unknown; close: () => Promise<void> }>;
}

const MATCH = { league: 'Ligue 1' };

/** OTEL_BENCH_ONLY=text runs the scenarios whose name holds it. */
function scenarios(redis: RedisServer): Scenario[] {
  return allScenarios(redis).filter((s) => s.name.includes(process.env.OTEL_BENCH_ONLY ?? ''));
}

function allScenarios(redis: RedisServer): Scenario[] {
  return [
    {
      name: 'getTtl from the sync window',
      async build(lib, instrument) {
        const breaker = new lib.VixCircuitBreaker({ clock: new lib.MemoryPanicClock(), syncIntervalMs: 60_000 });
        const tracing = instrument ? instrumentOpenTelemetry({ breaker: breaker as current.VixCircuitBreaker }) : null;
        const input = { baseTtl: 60, vixStatus: 'panic', match: MATCH, scope: 'epl' } as const;
        await breaker.getTtl(input);
        return { op: () => breaker.getTtl(input), close: async () => (tracing?.dispose(), breaker.close()) };
      },
    },
    {
      name: 'getOrLoad hit, in-process copy (l1)',
      async build(lib, instrument) {
        const breaker = new lib.VixCircuitBreaker({ clock: new lib.MemoryPanicClock(), syncIntervalMs: 60_000 });
        const cache = new lib.AdaptiveCache({ breaker, store: new lib.RedisCacheStore(redis.client()), namespace: `bench:otel:${Math.random().toString(36).slice(2)}:`, l1: { max: 1000 }, timeoutMs: 1000 });
        if (!(await cache.ready())) throw new Error('the bus did not come up');
        const tracing = instrument ? instrumentOpenTelemetry({ breaker: breaker as current.VixCircuitBreaker, cache: cache as current.AdaptiveCache }) : null;
        const input = { baseTtl: 3600, vixStatus: 'calm', match: MATCH } as const;
        await cache.getOrLoad('odds:psg-om', async () => ({ home: 1.85 }), input);
        const miss = () => Promise.reject(new Error('hits only'));
        return { op: () => cache.getOrLoad('odds:psg-om', miss, input), close: async () => (tracing?.dispose(), await cache.close(), await breaker.close()) };
      },
    },
    {
      name: 'getOrLoad hit, memory store',
      async build(lib, instrument) {
        const breaker = new lib.VixCircuitBreaker({ clock: new lib.MemoryPanicClock(), syncIntervalMs: 60_000 });
        const cache = new lib.AdaptiveCache({ breaker, store: new lib.MemoryCacheStore() });
        const tracing = instrument ? instrumentOpenTelemetry({ breaker: breaker as current.VixCircuitBreaker, cache: cache as current.AdaptiveCache }) : null;
        const input = { baseTtl: 3600, vixStatus: 'calm', match: MATCH } as const;
        await cache.getOrLoad('odds:psg-om', async () => ({ home: 1.85 }), input);
        const miss = () => Promise.reject(new Error('hits only'));
        return { op: () => cache.getOrLoad('odds:psg-om', miss, input), close: async () => (tracing?.dispose(), breaker.close()) };
      },
    },
    {
      name: 'getTtl reaching the clock every call',
      async build(lib, instrument) {
        const breaker = new lib.VixCircuitBreaker({ clock: new lib.MemoryPanicClock(), syncIntervalMs: 0 });
        const tracing = instrument ? instrumentOpenTelemetry({ breaker: breaker as current.VixCircuitBreaker }) : null;
        const input = { baseTtl: 60, vixStatus: 'panic', match: MATCH, scope: 'epl' } as const;
        return { op: () => breaker.getTtl(input), close: async () => (tracing?.dispose(), breaker.close()) };
      },
    },
  ];
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)! };
};

const tree = baselineTree();
const again = baselineTree();
const redis = await RedisServer.start();
try {
  const before = (await import(pathToFileURL(join(tree.dir, 'src', 'index.ts')).href)) as Lib;
  const beforeAgain = (await import(pathToFileURL(join(again.dir, 'src', 'index.ts')).href)) as Lib;
  const load: number[] = [loadavg()[0]!];
  const samples: Array<{ scenario: string; mode: Mode; round: number; opsPerSecond: number }> = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const scenario of scenarios(redis)) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const opsPerSecond = await withSdk(mode === 'SDK' || mode === 'SDK, off', async () => {
          const lib = mode === 'before' ? before : mode === 'before, again' ? beforeAgain : current;
          const built = await scenario.build(lib, mode === 'no SDK' || mode === 'SDK');
          try {
            return await loop(built.op);
          } finally {
            await built.close();
          }
        });
        samples.push({ scenario: scenario.name, mode, round, opsPerSecond });
      }
    }
    load.push(loadavg()[0]!);
  }
  const names = scenarios(redis).map((s) => s.name);
  const rows = names.flatMap((scenario) =>
    MODES.map((mode) => {
      const pick = (m: Mode, round: number) => samples.find((s) => s.scenario === scenario && s.mode === m && s.round === round)!.opsPerSecond;
      const opsPerSecond = stats(samples.filter((s) => s.scenario === scenario && s.mode === mode).map((s) => s.opsPerSecond));
      const costVsBefore = stats(Array.from({ length: ROUNDS }, (_, round) => pick('before', round) / pick(mode, round)));
      return { scenario, mode, opsPerSecond, costVsBefore };
    }),
  );
  const fmt = (s: { min: number; median: number; max: number }) => `${s.median.toFixed(3)}× (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
  console.log(`\nOpenTelemetry on the hot paths: ${ROUNDS} alternating rounds of ${RUN_MS} ms per design; before = ${tree.rev}; Node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}.`);
  console.log('ops per CPU second of this process; cost = before ÷ design in the same round: median (min–max).\n');
  printTable(
    ['path', 'design', 'ops/CPU-s median', 'cost vs before'],
    rows.map((r) => [r.scenario, r.mode, Math.round(r.opsPerSecond.median).toLocaleString('en-US'), fmt(r.costVsBefore)]),
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/otel.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, baseline: tree.rev, rounds: ROUNDS, runMs: RUN_MS, rows, samples }, null, 2)}\n`,
  );
} finally {
  await redis.stop();
  rmSync(tree.dir, { recursive: true, force: true });
  rmSync(again.dir, { recursive: true, force: true });
}
