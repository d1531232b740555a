// POST /v1/ttl of the real service (createServer on the memory clock: validation, headers,
// breaker, metrics, scope tracking) against a bare Fastify route that returns the same JSON,
// and POST /v1/ttl/batch against single requests, in one run. Each server runs in its own
// process (bench/http-target.ts) so that its CPU time is read around each run
// (process.cpuUsage, user + system) apart from autocannon's, which runs here. The targets
// alternate within each of ROUNDS rounds (same connections, same duration), so load from
// other processes on a shared machine hits every target alike; the ratios are taken within
// a round and reported as min / median / max over the rounds, with the load average.
// Run: npx tsx bench/http.bench.ts → bench/results/http.json
//   BENCH_HTTP_SECONDS (3) per run, BENCH_HTTP_ROUNDS (7), BENCH_HTTP_RESULT (http): the results file's name,
//   BENCH_HTTP_BEFORE=<commit>: also POST /v1/ttl of the service at that commit (its src/, extracted with
//   git archive under bench/.before-<commit>/ and removed after), in the same rounds: before/after under one load.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { printTable } from './print-table.js';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 7);
const BEFORE = process.env.BENCH_HTTP_BEFORE;
const RESULT = process.env.BENCH_HTTP_RESULT ?? 'http';
const CONNECTIONS = 32;
const BATCH_SIZES = [100, 1000];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' }, scope: 'epl' };
const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' };

/** A server process of the bench. */
interface Target {
  url: string;
  /** The process's CPU time so far, µs (user + system). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

function startTarget(args: string[]): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/http-target.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench target ${args[0]} exited (${code}) before listening`)));
    child.once('message', (message) => {
      const { url } = message as { url: string };
      resolve({
        url,
        cpuMicros: () =>
          new Promise((answer) => {
            child.once('message', (m) => {
              const { cpu } = m as { cpu: NodeJS.CpuUsage };
              answer(cpu.user + cpu.system);
            });
            child.send('cpu');
          }),
        stop: async () => {
          child.send('stop');
          await exited;
        },
      });
    });
  });
}

interface Run {
  requestsPerSecond: number;
  /** Decisions per second: requests × decisions per request. */
  decisionsPerSecond: number;
  /** Server CPU per request, µs. */
  cpuPerRequestUs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

interface Case {
  name: string;
  target: Target;
  path: string;
  body: string;
  decisionsPerRequest: number;
}

async function hammer(c: Case, seconds: number): Promise<Run> {
  const before = await c.target.cpuMicros();
  const result = await autocannon({ url: `${c.target.url}${c.path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: c.body, connections: CONNECTIONS, pipelining: 1, duration: seconds });
  const cpu = (await c.target.cpuMicros()) - before;
  const total = result.requests.total;
  const requestsPerSecond = total / result.duration;
  return {
    requestsPerSecond,
    decisionsPerSecond: requestsPerSecond * c.decisionsPerRequest,
    cpuPerRequestUs: total > 0 ? cpu / total : Number.NaN,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, json: await response.json() };
}

const stats = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
};
const round2 = (n: number) => Math.round(n * 100) / 100;
const round1 = (n: number) => Math.round(n * 10) / 10;
const range = (s: { min: number; median: number; max: number }, digits: (n: number) => number = round2) => `${digits(s.median)} (${digits(s.min)}–${digits(s.max)})`;

/** Another commit's src/, inside the repository so that its imports resolve to this node_modules. */
function extractSource(commit: string): string {
  const dir = `${ROOT}bench/.before-${commit.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', commit, 'src'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return dir;
}

const service = await startTarget(['service']);
const cases: Case[] = [];
const targets: Target[] = [service];
const beforeDir = BEFORE === undefined ? null : extractSource(BEFORE);
try {
  // The decision the service answers for PANIC: the bare route returns it as is.
  const first = await post(`${service.url}/v1/ttl`, JSON.stringify(PANIC));
  if (first.status !== 200) throw new Error(`POST /v1/ttl answered ${first.status}`);
  const bare = await startTarget(['bare', JSON.stringify(first.json)]);
  targets.push(bare);
  cases.push(
    { name: 'bare Fastify route, same JSON (baseline)', target: bare, path: '/v1/ttl', body: JSON.stringify(PANIC), decisionsPerRequest: 1 },
    { name: 'POST /v1/ttl, calm body', target: service, path: '/v1/ttl', body: JSON.stringify(CALM), decisionsPerRequest: 1 },
    { name: 'POST /v1/ttl, panic body', target: service, path: '/v1/ttl', body: JSON.stringify(PANIC), decisionsPerRequest: 1 },
  );
  if (beforeDir !== null) {
    const before = await startTarget(['service', `${beforeDir}/src`]);
    targets.push(before);
    cases.push({ name: `POST /v1/ttl, panic body, at ${BEFORE}`, target: before, path: '/v1/ttl', body: JSON.stringify(PANIC), decisionsPerRequest: 1 });
  }
  for (const size of BATCH_SIZES) {
    const body = JSON.stringify({ items: Array.from({ length: size }, () => PANIC) });
    const probe = await post(`${service.url}/v1/ttl/batch`, body);
    if (probe.status === 404) {
      console.log(`POST /v1/ttl/batch: 404 (no batch route in this build), skipped`);
      break;
    }
    const items = (probe.json as { items?: unknown[] }).items;
    if (probe.status !== 200 || items?.length !== size) throw new Error(`POST /v1/ttl/batch of ${size} answered ${probe.status}`);
    cases.push({ name: `POST /v1/ttl/batch, ${size} panic items`, target: service, path: '/v1/ttl/batch', body, decisionsPerRequest: size });
  }

  for (const c of cases) await hammer(c, 1); // warm-up: JIT, sockets
  const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]));
  const load: number[] = [loadavg()[0]!];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const c of cases) runs.get(c.name)!.push(await hammer(c, SECONDS));
    load.push(loadavg()[0]!);
    const bareRun = runs.get(cases[0]!.name)![round]!;
    const panicRun = runs.get(cases[2]!.name)![round]!;
    console.log(`round ${round + 1}/${ROUNDS}: bare ${Math.round(bareRun.requestsPerSecond)} req/s, panic ${Math.round(panicRun.requestsPerSecond)} req/s (${round2(panicRun.requestsPerSecond / bareRun.requestsPerSecond)}×), load ${round2(loadavg()[0]!)}`);
  }

  const bareRuns = runs.get(cases[0]!.name)!;
  const singleRuns = runs.get(cases[2]!.name)!;
  const rows = cases.map((c) => {
    const r = runs.get(c.name)!;
    return {
      target: c.name,
      decisionsPerRequest: c.decisionsPerRequest,
      requestsPerSecond: stats(r.map((x) => x.requestsPerSecond)),
      decisionsPerSecond: stats(r.map((x) => x.decisionsPerSecond)),
      cpuPerRequestUs: stats(r.map((x) => x.cpuPerRequestUs)),
      cpuPerDecisionUs: stats(r.map((x) => x.cpuPerRequestUs / c.decisionsPerRequest)),
      p50Ms: stats(r.map((x) => x.p50Ms)).median,
      p99Ms: stats(r.map((x) => x.p99Ms)).median,
      errors: r.reduce((sum, x) => sum + x.errors, 0),
      non2xx: r.reduce((sum, x) => sum + x.non2xx, 0),
      // Within each round: this target's requests/s over the bare route's, and its decisions/s over single panic requests'.
      ratioToBare: stats(r.map((x, i) => x.requestsPerSecond / bareRuns[i]!.requestsPerSecond)),
      gainOverSingle: stats(r.map((x, i) => x.decisionsPerSecond / singleRuns[i]!.decisionsPerSecond)),
    };
  });
  const loadStats = stats(load);

  console.log(
    `\nHTTP: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s, each server in its own process, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${round2(loadStats.min)}–${round2(loadStats.max)}`,
  );
  console.log('median (min–max) over the rounds; ratios and gains within each round; CPU: the server process, user + system\n');
  printTable(
    ['target', 'req/s', 'decisions/s', 'vs bare (req/s)', 'CPU µs/req', 'CPU µs/decision', 'vs single (decisions/s)', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
    rows.map((r) => [
      r.target,
      range(r.requestsPerSecond, Math.round),
      Math.round(r.decisionsPerSecond.median),
      `${range(r.ratioToBare)}×`,
      range(r.cpuPerRequestUs, round1),
      round2(r.cpuPerDecisionUs.median),
      r.decisionsPerRequest > 1 ? `${range(r.gainOverSingle, round1)}×` : '',
      r.p50Ms,
      r.p99Ms,
      r.errors,
      r.non2xx,
    ]),
  );

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`./results/${RESULT}.json`, import.meta.url),
    `${JSON.stringify(
      {
        bench: 'http',
        date: new Date().toISOString(),
        node: process.version,
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadavg: { min: round2(loadStats.min), median: round2(loadStats.median), max: round2(loadStats.max) },
        connections: CONNECTIONS,
        seconds: SECONDS,
        rounds: ROUNDS,
        before: BEFORE ?? null,
        rows,
        runs: Object.fromEntries(runs),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const target of targets) await target.stop();
  if (beforeDir !== null) rmSync(beforeDir, { recursive: true, force: true });
}
