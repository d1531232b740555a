// npm run soak [-- --minutes 10] — steady load on `serve --workers 2 --redis` while
// redis-server is killed and restarted every minute. Reports heap and RSS over
// time, unhandled rejections and worker crashes (must be 0), and requests that took
// longer than the fail-safe bound or failed (must be 0).
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';
import { rssBytes, startServe } from './serve-under-test.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '400' } } });
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
if (!Number.isFinite(MINUTES) || MINUTES <= 0 || !Number.isFinite(RATE) || RATE <= 0) {
  console.error('soak: --minutes and --rate must be positive numbers');
  process.exit(2);
}
const BOUND_MS = 250; // 5 × the service's 50 ms Redis timeout, the bound the fault tests assert
const SAMPLE_EVERY_MS = 10_000;
const BODIES = [
  { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: 'ligue-1' },
  { baseTtl: 60, vixStatus: 'calm', match: { league: 'Serie A' }, scope: 'serie-a' },
  { baseTtl: 30, vixStatus: 'panic', match: { matchType: 'final' }, scope: 'ucl' },
  { baseTtl: 60 },
].map((b) => JSON.stringify(b));

interface Sample {
  minute: number;
  rssMb: number[];
  heapUsedMb: number | null;
  requests: number;
  failSafe: number;
}

async function heapUsedMb(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)$/m.exec(text);
    return match ? Number(match[1]) / 2 ** 20 : null;
  } catch {
    return null;
  }
}

const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));

const redisServer = await RedisServer.start();
const service = await startServe(redisServer.url, 2);
const samples: Sample[] = [];
let slow = 0;
let failed = 0;
let requests = 0;
let failSafe = 0;
let restarts = 0;
const failSafeAt: number[] = [];
const restartAt: number[] = [];
const startedAt = Date.now();
try {
  // A paced load: each of LOOPS callers sends one request every LOOPS / RATE seconds,
  // offset from the others, so requests arrive evenly (autocannon's rate limit sends
  // each second's requests in one burst, which can miss a short outage entirely).
  const LOOPS = 20;
  const latencies: number[] = [];
  const deadline = startedAt + MINUTES * 60_000;
  const loop = async (index: number): Promise<void> => {
    const periodMs = (LOOPS / RATE) * 1000;
    let next = startedAt + (index * periodMs) / LOOPS;
    for (let i = 0; next < deadline; i += 1, next += periodMs) {
      await sleep(Math.max(0, next - Date.now()));
      const body = BODIES[(index + i) % BODIES.length]!;
      const sent = performance.now();
      try {
        const response = await fetch(`${service.url}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
        const text = await response.text();
        const ms = performance.now() - sent;
        latencies.push(ms);
        requests += 1;
        if (ms > BOUND_MS) slow += 1;
        if (response.status !== 200) failed += 1;
        if (text.includes('"failSafe":true')) {
          failSafe += 1;
          failSafeAt.push(Date.now());
        }
      } catch {
        failed += 1;
      }
    }
  };
  const load = Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));

  const restarter = setInterval(() => {
    restarts += 1;
    restartAt.push(Date.now());
    redisServer.restart().catch((error: Error) => console.error(`soak: redis-server did not restart: ${error.message}`));
  }, 60_000);
  const sampler = setInterval(async () => {
    samples.push({
      minute: (Date.now() - startedAt) / 60_000,
      rssMb: service.pids.map((pid) => Math.round((rssBytes(pid) / 2 ** 20) * 10) / 10),
      heapUsedMb: await heapUsedMb(service.url),
      requests,
      failSafe,
    });
    const last = samples.at(-1)!;
    console.log(`t=${last.minute.toFixed(1)} min  rss=${last.rssMb.join('/')} MB  heap(all workers)=${last.heapUsedMb?.toFixed(1)} MB  requests=${requests}  fail-safe=${failSafe}  slow=${slow}  failed=${failed}`);
  }, SAMPLE_EVERY_MS);
  await load;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  clearInterval(restarter);
  clearInterval(sampler);

  const failSafePerRestart = restartAt.map((at, i) => failSafeAt.filter((t) => t >= at && t < (restartAt[i + 1] ?? Infinity)).length);
  const crashes = service.lines.filter((l) => String(l.msg).startsWith('VIX_TTL_WORKER_CRASHED')).length;
  const serverUnhandled = (service.stderr().match(/Unhandled|unhandledRejection/g) ?? []).length;
  const first = samples[1] ?? samples[0];
  const last = samples.at(-1);
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    minutes: MINUTES,
    targetRate: RATE,
    redisRestarts: restarts,
    requests,
    latencyMs: { p50: percentile(0.5), p99: percentile(0.99), max: Math.round(latencies.at(-1) ?? 0) },
    requestsPastBound: slow,
    boundMs: BOUND_MS,
    failedRequests: failed,
    failSafeDecisions: failSafe,
    failSafePerRestart,
    unhandledRejections: serverUnhandled + unhandled.length,
    workerCrashes: crashes,
    rssMbFirstLast: [first?.rssMb, last?.rssMb],
    heapUsedMbFirstLast: [first?.heapUsedMb, last?.heapUsedMb],
    samples,
  };
  console.log(`\nSoak: ${MINUTES} min at ${RATE} req/s on serve --workers 2, redis-server killed and restarted every minute (${restarts}×):\n`);
  printTable(
    ['requests', 'p99 ms', 'max ms', `past ${BOUND_MS} ms`, 'failed', 'fail-safe decisions', 'unhandled rejections', 'worker crashes', 'RSS MB first → last', 'heap MB first → last'],
    [[summary.requests, summary.latencyMs.p99, summary.latencyMs.max, slow, summary.failedRequests, failSafe, summary.unhandledRejections, crashes, `${first?.rssMb.join('/')} → ${last?.rssMb.join('/')}`, `${first?.heapUsedMb?.toFixed(1)} → ${last?.heapUsedMb?.toFixed(1)}`]],
  );
  console.log(`\nfail-safe decisions after each restart: ${failSafePerRestart.join(', ')}`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/soak.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
  if (summary.unhandledRejections > 0 || crashes > 0 || slow > 0 || summary.failedRequests > 0) process.exitCode = 1;
} finally {
  await service.stop();
  await redisServer.stop();
}
