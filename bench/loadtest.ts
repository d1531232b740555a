// npm run loadtest — `serve --workers 2 --redis` under autocannon for 30 s while a
// panic crosses a tier boundary mid-run; how many decisions disagreed across
// workers at the same instant?
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';
import { startServe } from './serve-under-test.js';

const DURATION_S = Number(process.env.LOADTEST_SECONDS ?? 30);
const CONNECTIONS = 50;
const SAME_INSTANT_MS = 1;
const SYNC_INTERVAL_MS = 100; // the service's breaker default
const BOUNDARY_MIN = 30; // medium stakes: tier 1 → tier 2
const BODY = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });

interface Sample {
  at: number;
  pid: number;
  tier: number;
}

const redisServer = await RedisServer.start();
const redis = redisServer.client();
const service = await startServe(redisServer.url, 2);
try {
  // Preset the start so that the tier boundary falls in the middle of the run.
  const [seconds, micros] = await redis.time();
  const redisNowMs = Number(seconds) * 1000 + Number(micros) / 1000;
  const warmupMs = 2000;
  const boundaryAtRedisMs = redisNowMs + warmupMs + (DURATION_S * 1000) / 2;
  const startSeconds = (boundaryAtRedisMs - BOUNDARY_MIN * 60_000) / 1000;
  await redis.set('brain:panic_start_ts', startSeconds.toFixed(6), 'EX', 86_400);
  const offsetMs = redisNowMs - Date.now();
  const boundaryAtLocalMs = boundaryAtRedisMs - offsetMs;
  await new Promise((r) => setTimeout(r, warmupMs));

  const samples: Sample[] = [];
  const result = await autocannon({
    url: service.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        path: '/v1/ttl',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        onResponse: (status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined) => {
          const tier = /"tier":(\d)/.exec(body);
          const pid = Number(headers?.['x-vix-ttl-worker']);
          if (status === 200 && tier) samples.push({ at: Date.now(), pid, tier: Number(tier[1]) });
        },
      },
    ],
  });

  samples.sort((a, b) => a.at - b.at);
  const pids = [...new Set(samples.map((s) => s.pid))];
  let disagreements = 0;
  let outsideWindow = 0;
  let worstDistanceMs = 0;
  let j = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const s = samples[i]!;
    while (samples[j]!.at < s.at - SAME_INSTANT_MS) j += 1;
    for (let k = j; k < samples.length && samples[k]!.at <= s.at + SAME_INSTANT_MS; k += 1) {
      const other = samples[k]!;
      if (other.pid === s.pid || other.tier === s.tier || k < i) continue;
      disagreements += 1;
      const distance = Math.abs(s.at - boundaryAtLocalMs);
      worstDistanceMs = Math.max(worstDistanceMs, distance);
      if (distance > SYNC_INTERVAL_MS) outsideWindow += 1;
    }
  }
  const switchAt = pids.map((pid) => {
    const first = samples.find((s) => s.pid === pid && s.tier === 2);
    return { pid, firstTier2Ms: first ? Math.round(first.at - boundaryAtLocalMs) : null, responses: samples.filter((s) => s.pid === pid).length };
  });

  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    durationS: DURATION_S,
    connections: CONNECTIONS,
    workers: 2,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    samples: samples.length,
    tiersSeen: [...new Set(samples.map((s) => s.tier))].sort(),
    workersAnswering: pids.length,
    disagreementsSameInstant: disagreements,
    disagreementsOutsideSyncWindow: outsideWindow,
    worstDisagreementDistanceFromBoundaryMs: worstDistanceMs,
    perWorker: switchAt,
    sameInstantMs: SAME_INSTANT_MS,
    syncIntervalMs: SYNC_INTERVAL_MS,
  };
  console.log(`\nserve --workers 2 --redis, ${CONNECTIONS} connections, ${DURATION_S} s, medium-stakes panic crossing tier 1 → 2 at mid-run:\n`);
  printTable(
    ['requests/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'tiers seen', 'disagreements (±1 ms)', 'outside ±100 ms of boundary'],
    [[Math.round(summary.requestsPerSecond), summary.latencyMs.p50, summary.latencyMs.p99, summary.errors + summary.timeouts, summary.non2xx, summary.tiersSeen.join('→'), disagreements, outsideWindow]],
  );
  console.log('');
  printTable(
    ['worker pid', 'responses', 'first tier-2 answer vs boundary (ms)'],
    switchAt.map((w) => [w.pid, w.responses, w.firstTier2Ms]),
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/loadtest.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await service.stop();
  await redisServer.stop();
}
