// Invalidation latency across processes: from the call in one process (delete, invalidateTags,
// or a price move reported to the MarketChangePublisher) to the moment two other real
// processes, each with an AdaptiveCache `l1` on the same redis-server, have dropped their copy.
// Clock: process.hrtime (CLOCK_MONOTONIC, shared by the processes of one host).
// Run: npx tsx bench/cache-bus.bench.ts → bench/results/cache-bus.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { AdaptiveCache, MarketChangePublisher, RedisCacheStore, RedisPanicClock, VixCircuitBreaker } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { startWorkers, stopWorkers, type Worker } from '../test/support/spawn-workers.js';
import { printTable } from './print-table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WORKERS = 2;
// CLOCK_MONOTONIC: one clock for every process of the host.
const now = () => Number(process.hrtime.bigint()) / 1e6;

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, min: sorted[0]!, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

const server = await RedisServer.start();
let workers: Worker[] = [];
try {
  workers = await startWorkers('l1-worker.ts', WORKERS, [server.url, '100']);
  const redis = server.client();
  const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis, { timeoutMs: 2000 }), timeoutMs: 2000 });
  const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis), timeoutMs: 2000, l1: { max: 100 } });
  if (!(await cache.ready())) throw new Error('bus down');
  const publisher = new MarketChangePublisher(server.client()); // defaults: 100 ms window, 20 messages/s

  const kinds: Array<[string, { source: string; keys: boolean }, (i: number) => Promise<unknown>]> = [
    ['delete(key)', { source: 'bus', keys: true }, (i) => cache.delete(`k${i}`)],
    ['invalidateTags([tag])', { source: 'bus', keys: false }, (i) => cache.invalidateTags([`match:m${i}`])],
    ['market change (publisher, 100 ms window)', { source: 'market', keys: false }, async (i) => publisher.changed(`m${i}:1x2`)],
  ];
  const load = [loadavg()[0]!];
  const latencies = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [kind, expect, invalidate] of kinds) {
      // A price change comes at any moment of the publisher's window, not in step with it.
      if (expect.source === 'market') await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
      for (const w of workers) w.send({ cmd: 'arm', expect });
      await Promise.all(workers.map((w) => w.next()));
      const sentAt = now();
      await invalidate(round);
      const received = await Promise.all(workers.map((w) => w.next()));
      for (const r of received) latencies.get(kind)!.push((r.receivedMono as number) - sentAt);
      // A market change ends with a message on the bus (the store side done): let it pass before the next round arms.
      if (expect.source === 'market') await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  load.push(loadavg()[0]!);
  const rows = kinds.map(([kind]) => ({ kind, ...percentiles(latencies.get(kind)!) }));
  console.log(`\nInvalidation latency across processes (${WORKERS} receiving processes, ${ROUNDS} rounds each), ms; Node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}:\n`);
  printTable(['invalidation', 'n', 'min', 'p50', 'p99', 'max'], rows.map((r) => [r.kind, r.n, r.min.toFixed(2), r.p50.toFixed(2), r.p99.toFixed(2), r.max.toFixed(2)]));
  console.log('\nFrom the call in one process to the copy dropped in another (the delete/invalidation in Redis comes first, then the PUBLISH). A market change waits for the publisher\'s window (≤ 100 ms) first.');
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/cache-bus.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, rounds: ROUNDS, workers: WORKERS, rows }, null, 2)}\n`);
  await publisher.close();
  await cache.close();
  await breaker.close();
} finally {
  stopWorkers(workers);
  await server.stop();
}
