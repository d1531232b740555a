// npm run bench — the core's cost: pure decisions, and getTtl on a real Redis
// against the seed's naive design (GET, SET NX, EXPIRE on every call), in one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { Bench } from 'tinybench';
import { AdaptivePanicQuota, RedisPanicClock, VixCircuitBreaker } from '../src/index.js';
import { commandCalls, diffCalls } from '../test/support/commandstats.js';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';

const CONCURRENCIES = [1, 32];
const RUN_MS = 2000;
const KEY = 'brain:panic_start_ts';
const MATCH = { league: 'Ligue 1' };

async function pureDecisions(): Promise<number> {
  const quota = new AdaptivePanicQuota();
  const bench = new Bench({ time: 1000 });
  let minutes = 0;
  bench.add('calculateTtlStrategy', () => {
    minutes = (minutes + 7.3) % 400;
    quota.calculateTtlStrategy(60, minutes, MATCH);
  });
  await bench.run();
  const result = bench.tasks[0]!.result as unknown as { throughput?: { mean: number }; hz?: number };
  return result.throughput?.mean ?? result.hz ?? 0;
}

interface LoopResult {
  name: string;
  concurrency: number;
  decisionsPerSecond: number;
  roundTripsPerDecision: number;
  commandsPerDecision: number;
}

/**
 * Runs `concurrency` callers in a loop for RUN_MS and reads what Redis executed.
 * `clientCommands` are the commands the design sends itself (its round trips); the
 * rest of the commandstats delta ran inside scripts.
 */
async function loop(name: string, concurrency: number, admin: Redis, clientCommands: string[], decide: () => Promise<unknown>): Promise<LoopResult> {
  await admin.del(KEY);
  await decide(); // warm-up: script load, first write
  const before = await commandCalls(admin);
  let decisions = 0;
  const deadline = performance.now() + RUN_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await decide();
        decisions += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const delta = diffCalls(before, await commandCalls(admin));
  delete delta.info;
  const roundTrips = clientCommands.reduce((sum, c) => sum + (delta[c] ?? 0), 0);
  const commands = Object.values(delta).reduce((a, b) => a + b, 0);
  return { name, concurrency, decisionsPerSecond: decisions / seconds, roundTripsPerDecision: roundTrips / decisions, commandsPerDecision: commands / decisions };
}

/** The seed's design: three commands per call, duration on the worker's own clock. */
function naiveSeed(redis: Redis, quota: AdaptivePanicQuota): () => Promise<unknown> {
  return async () => {
    await redis.set(KEY, String(Date.now() / 1000), 'EX', 86_400, 'NX');
    const raw = await redis.get(KEY);
    await redis.expire(KEY, 86_400);
    return quota.calculateTtlStrategy(60, (Date.now() / 1000 - Number(raw)) / 60, MATCH);
  };
}

function perThousand(perDecision: number): string {
  const value = perDecision * 1000;
  return value >= 1 ? value.toFixed(1) : value.toFixed(4);
}

const server = await RedisServer.start();
try {
  const pure = await pureDecisions();
  const admin = server.client();
  const quota = new AdaptivePanicQuota();
  const results: LoopResult[] = [];
  for (const concurrency of CONCURRENCIES) {
    results.push(await loop('seed naive: SET NX + GET + EXPIRE per call (baseline)', concurrency, admin, ['set', 'get', 'expire'], naiveSeed(server.client(), quota)));
    for (const syncIntervalMs of [0, 250]) {
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), syncIntervalMs, timeoutMs: 1000, policy: quota });
      results.push(await loop(`vix-ttl getTtl, syncIntervalMs ${syncIntervalMs}`, concurrency, admin, ['evalsha', 'eval'], () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: MATCH })));
      await breaker.close();
    }
  }
  const baselineOf = (r: LoopResult) => results.find((b) => b.concurrency === r.concurrency)!;
  console.log(`\nPure policy: ${Math.round(pure).toLocaleString('en-US')} decisions/s (calculateTtlStrategy, one core)\n`);
  console.log(`getTtl on a real redis-server (loopback), ${RUN_MS / 1000} s per row; the baseline is the first row of each concurrency:\n`);
  printTable(
    ['callers', 'design', 'decisions/s', 'vs baseline', 'round trips/1k decisions', 'Redis commands/1k decisions'],
    results.map((r) => [
      r.concurrency,
      r.name,
      Math.round(r.decisionsPerSecond).toLocaleString('en-US'),
      `${(r.decisionsPerSecond / baselineOf(r).decisionsPerSecond).toFixed(2)}×`,
      perThousand(r.roundTripsPerDecision),
      perThousand(r.commandsPerDecision),
    ]),
  );
  console.log('\nRedis commands include those a script runs (TIME, GET, EXPIRE inside EVALSHA), as INFO commandstats counts them.');
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/core.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runMs: RUN_MS, pureDecisionsPerSecond: pure, redis: results.map((r) => ({ ...r, ratioVsBaseline: r.decisionsPerSecond / baselineOf(r).decisionsPerSecond })) }, null, 2)}\n`,
  );
} finally {
  await server.stop();
}
