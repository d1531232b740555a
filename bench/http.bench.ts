// POST /v1/ttl of the real service (Fastify + zod + helmet + metrics + breaker on the
// memory clock) against a bare Fastify route that returns the same JSON, same run,
// same connections and duration. autocannon runs in a worker thread; the targets
// alternate over ROUNDS rounds and each keeps its best round, so load from other
// processes on a shared machine hits every target alike.
// Run: npx tsx bench/http.bench.ts → bench/results/http.json  (BENCH_HTTP_SECONDS=3 per run by default)
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { MemoryPanicClock } from '../src/index.js';
import { createServer } from '../src/server/http/create-server.js';
import { printTable } from './print-table.js';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const ROUNDS = 3;
const CONNECTIONS = 32;
const PIPELINING = 1;

const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' }, scope: 'epl' };
const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' };

interface Row {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

async function hammer(target: string, url: string, body: object): Promise<Row> {
  const options = { url, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections: CONNECTIONS, pipelining: PIPELINING };
  await autocannon({ ...options, duration: 1, workers: 1 }); // warm-up: JIT, sockets
  const result = await autocannon({ ...options, duration: SECONDS, workers: 1 });
  return { target, requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

const service = await createServer({ clock: new MemoryPanicClock() });
await service.app.listen({ port: 0, host: '127.0.0.1' });
const serviceUrl = `${service.app.listeningOrigin}/v1/ttl`;
// The same decision the service answers for PANIC after its first second: the bare route returns it as is.
const decision = await (await fetch(serviceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PANIC) })).json();

const bare = Fastify();
bare.post('/v1/ttl', async () => decision);
await bare.listen({ port: 0, host: '127.0.0.1' });

const targets: Array<[string, string, object]> = [
  ['bare Fastify route, same JSON (baseline)', `${bare.listeningOrigin}/v1/ttl`, PANIC],
  ['vix-ttl POST /v1/ttl, calm body', serviceUrl, CALM],
  ['vix-ttl POST /v1/ttl, panic body', serviceUrl, PANIC],
];
const best = new Map<string, Row>();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [target, url, body] of targets) {
      const row = await hammer(target, url, body);
      if ((best.get(target)?.requestsPerSecond ?? -1) < row.requestsPerSecond) best.set(target, row);
    }
  }
} finally {
  await bare.close();
  await service.app.close();
}

const rows = targets.map(([target]) => best.get(target)!);
const baseline = rows[0]!.requestsPerSecond;
const ratio = (row: Row) => Math.round((row.requestsPerSecond / baseline) * 100) / 100;
console.log(`\nHTTP: ${CONNECTIONS} connections, best of ${ROUNDS} rounds of ${SECONDS} s, autocannon in a worker thread, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})\n`);
printTable(
  ['target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'errors', 'non-2xx'],
  rows.map((r) => [r.target, Math.round(r.requestsPerSecond), r.p50Ms, r.p99Ms, `${ratio(r)}×`, r.errors, r.non2xx]),
);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/http.json', import.meta.url),
  `${JSON.stringify(
    {
      bench: 'http',
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
      rows: rows.map((r) => ({ ...r, ratioToBare: ratio(r) })),
    },
    null,
    2,
  )}\n`,
);
