// npm run loadtest:ticks — does a tick flood starve decisions? `serve --redis` (one
// process, then --workers 2), a paced POST /v1/ttl load measured with and without a
// flood of 24 clients posting 10,000-tick batches to POST /v1/ticks, in alternating
// rounds. Prints /v1/ttl p50 and p99 per phase, the p99 ratio (flood / no flood) as
// min/median/max, the service's own event-loop delay, the load average and the Node
// version; saves bench/results/tick-flood.json. The goal: a median ratio within 3×.
// The flood's clients run at nice 10 (see startFlood).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';
import { startServe } from './serve-under-test.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '6' },
    rate: { type: 'string', default: '200' },
    clients: { type: 'string', default: '24' },
    'busy-pause-ms': { type: 'string', default: '0' },
    workers: { type: 'string', default: '1,2' },
    /** More `serve` flags, space-separated (e.g. "--max-tick-batches 1"). */
    'serve-flags': { type: 'string', default: '' },
  },
});
const ROUNDS = Number(values.rounds);
const PHASE_S = Number(values.seconds);
const RATE = Number(values.rate);
const CLIENTS = Number(values.clients);
const BUSY_PAUSE_MS = Number(values['busy-pause-ms']);
const MODES = values.workers.split(',').map(Number);
if (![ROUNDS, PHASE_S, RATE, CLIENTS, ...MODES].every((n) => Number.isInteger(n) && n > 0) || !(Number.isInteger(BUSY_PAUSE_MS) && BUSY_PAUSE_MS >= 0)) {
  console.error('loadtest:ticks: --rounds, --seconds, --rate, --clients and --workers (a list) must be positive integers, --busy-pause-ms an integer ≥ 0');
  process.exit(2);
}
const BODY = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: 'ligue-1' });
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Phase {
  p50: number;
  p99: number;
  max: number;
  requests: number;
  failed: number;
  /** The service's own event-loop delay over the phase (prom-client's, max over processes), ms. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** CPU the service's processes used over the phase, in % of one core: the primary (with workers) and all workers; null off Linux. */
  cpu: { primary: number | null; workers: number } | null;
}

/** CPU seconds a process has used so far (user + system, from /proc), or null where there is no /proc. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return null;
  }
}

/** The service's processes: the primary (null for one process) and the workers. */
interface ServicePids {
  primary: number | null;
  workers: number[];
}

/** Scrapes the service's event-loop delay (prom-client resets it on each scrape), in ms. */
async function loopLag(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const worst = (name: string) => Math.max(0, ...[...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].map((m) => Number(m[1]) * 1000));
  return { p99: round2(worst('nodejs_eventloop_lag_p99_seconds')), max: round2(worst('nodejs_eventloop_lag_max_seconds')) };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A paced /v1/ttl load for `seconds`: LOOPS callers, one request each every
 * LOOPS / RATE s, offset from each other. Latency is measured from the time a request
 * was due (or sent, if earlier), so a caller held up by a slow answer counts the wait
 * (no coordinated omission).
 */
async function ttlLoad(url: string, seconds: number, pids: ServicePids): Promise<Phase> {
  await loopLag(url); // resets it
  const cpuAt = () => ({ at: performance.now(), primary: pids.primary === null ? null : cpuSeconds(pids.primary), workers: pids.workers.map(cpuSeconds) });
  const cpuBefore = cpuAt();
  const LOOPS = 10;
  const agent = new Agent({ keepAlive: true, maxSockets: LOOPS });
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now() + 50;
  const end = start + seconds * 1000;
  const periodMs = (LOOPS / RATE) * 1000;
  const loop = async (index: number) => {
    for (let due = start + (index * periodMs) / LOOPS; due < end; due += periodMs) {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      // From when it was due, or when it went if a timer fired early (a timer may round down).
      const from = Math.min(due, performance.now());
      const status = await new Promise<number>((resolve) => {
        const req = request(`${url}/v1/ttl`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(BODY);
      });
      if (status === 200) latencies.push(performance.now() - from);
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
  agent.destroy();
  const cpuAfter = cpuAt();
  const lag = await loopLag(url);
  const wallS = (cpuAfter.at - cpuBefore.at) / 1000;
  const share = (after: number | null, before: number | null) => (after === null || before === null ? null : round2(((after - before) / wallS) * 100));
  const workerShares = cpuAfter.workers.map((after, i) => share(after, cpuBefore.workers[i]!));
  latencies.sort((a, b) => a - b);
  return {
    p50: round2(percentile(latencies, 0.5)),
    p99: round2(percentile(latencies, 0.99)),
    max: round2(latencies.at(-1) ?? Number.NaN),
    requests: latencies.length,
    failed,
    loopLagP99Ms: lag.p99,
    loopLagMaxMs: lag.max,
    cpu: workerShares.every((x) => x !== null) ? { primary: share(cpuAfter.primary, cpuBefore.primary), workers: round2(workerShares.reduce((a, b) => a! + b!, 0)!) } : null,
  };
}

/**
 * Starts the flood in its own process, at nice 10: in production the flooding clients
 * are other machines, so here they should not take the service's share of the CPU
 * (what they make the service do is what is measured). Resolves once every client has
 * had an answer.
 */
async function startFlood(url: string): Promise<{ stop(): Promise<Record<string, number>> }> {
  const child = spawn('nice', ['-n', '10', process.execPath, '--import', 'tsx', 'bench/tick-flood-clients.ts', url, String(CLIENTS), String(BUSY_PAUSE_MS)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('ready')) resolve();
    });
    child.once('exit', () => reject(new Error(`the flood stopped early: ${out}`)));
  });
  await ready;
  return {
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
      return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    },
  };
}

/** Median CPU of the service's processes per phase (% of one core), quiet and flood, or null off Linux. */
const cpuStats = (rounds: Array<{ quiet: Phase; flood: Phase }>) => {
  if (rounds.some((r) => r.quiet.cpu === null || r.flood.cpu === null)) return null;
  const median = (xs: number[]) => stats(xs).median;
  const of = (phase: 'quiet' | 'flood') => ({ primary: rounds[0]![phase].cpu!.primary === null ? null : median(rounds.map((r) => r[phase].cpu!.primary!)), workers: median(rounds.map((r) => r[phase].cpu!.workers)) });
  return { quiet: of('quiet'), flood: of('flood') };
};

const cpuText = (cpu: Phase['cpu']) => (cpu === null ? 'n/a' : `${cpu.primary ?? '-'}/${cpu.workers}`);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: round2(s[0]!), median: round2(s[Math.floor((s.length - 1) / 2)]!), max: round2(s.at(-1)!) };
};

const loadBefore = loadavg().map(round2);
const redisServer = await RedisServer.start();
const modes: Array<Record<string, unknown>> = [];
try {
  for (const workers of MODES) {
    const service = await startServe(redisServer.url, workers, values['serve-flags'].split(' ').filter(Boolean));
    const pids: ServicePids = { primary: workers > 1 ? service.mainPid : null, workers: service.pids };
    try {
      // Warm-up: the decisions, and one flood (the engine's first sight of its markets and scopes, the JIT).
      await ttlLoad(service.url, 2, pids);
      const warmFlood = await startFlood(service.url);
      await ttlLoad(service.url, 3, pids);
      await warmFlood.stop();
      const rounds: Array<{ round: number; quiet: Phase; flood: Phase; ratio: number; flooded: Record<string, number> }> = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        const runQuiet = () => ttlLoad(service.url, PHASE_S, pids);
        const runFlood = async () => {
          const flood = await startFlood(service.url);
          const phase = await ttlLoad(service.url, PHASE_S, pids);
          return { phase, flooded: await flood.stop() };
        };
        // Alternate which phase goes first, so a drift of the machine's load favours neither.
        let quiet: Phase;
        let flooded: { phase: Phase; flooded: Record<string, number> };
        if (round % 2 === 1) {
          quiet = await runQuiet();
          flooded = await runFlood();
        } else {
          flooded = await runFlood();
          quiet = await runQuiet();
        }
        rounds.push({ round, quiet, flood: flooded.phase, ratio: round2(flooded.phase.p99 / quiet.p99), flooded: flooded.flooded });
        console.log(
          `workers ${workers}, round ${round}: p99 ${quiet.p99} ms quiet, ${flooded.phase.p99} ms under the flood (×${round2(flooded.phase.p99 / quiet.p99)}); ` +
            `service loop lag p99/max ${quiet.loopLagP99Ms}/${quiet.loopLagMaxMs} ms quiet, ${flooded.phase.loopLagP99Ms}/${flooded.phase.loopLagMaxMs} ms flood; ` +
            `service CPU % of a core (primary/workers) ${cpuText(quiet.cpu)} quiet, ${cpuText(flooded.phase.cpu)} flood; flood: ${JSON.stringify(flooded.flooded)}`,
        );
      }
      modes.push({ workers, rounds, p99Ratio: stats(rounds.map((r) => r.ratio)), floodTicksAcceptedPerS: stats(rounds.map((r) => (r.flooded.accepted ?? 0) / PHASE_S)), floodTicksTakenPerS: stats(rounds.map((r) => ((r.flooded.accepted ?? 0) + (r.flooded.rejected ?? 0)) / PHASE_S)), quietP99Ms: stats(rounds.map((r) => r.quiet.p99)), floodP99Ms: stats(rounds.map((r) => r.flood.p99)), serviceCpuPercent: cpuStats(rounds) });
    } finally {
      await service.stop();
    }
  }
} finally {
  await redisServer.stop();
}

const summary = {
  date: new Date().toISOString(),
  serveFlags: values['serve-flags'],
  node: process.version,
  loadavg: { before: loadBefore, after: loadavg().map(round2) },
  ttlRatePerS: RATE,
  phaseSeconds: PHASE_S,
  floodClients: CLIENTS,
  ticksPerBatch: 10_000,
  busyPauseMs: BUSY_PAUSE_MS,
  modes,
};
console.log(`\n/v1/ttl at ${RATE} requests/s, ${PHASE_S} s per phase, ${ROUNDS} alternating rounds; flood: ${CLIENTS} clients × 10,000-tick batches (a client told busy waits ${BUSY_PAUSE_MS > 0 ? `${BUSY_PAUSE_MS} ms` : 'its Retry-After'})\n`);
printTable(
  ['workers', 'p99 quiet ms (min/med/max)', 'p99 flood ms (min/med/max)', 'p99 ratio min', 'median', 'max', 'batches/s taken (median round)', 'ticks/s taken / accepted (median round)', 'service CPU % of a core, quiet → flood (primary/workers, medians)'],
  modes.map((m) => {
    const rounds = m.rounds as Array<{ flooded: Record<string, number> }>;
    const batches = stats(rounds.map((r) => (r.flooded.batches ?? 0) / PHASE_S)).median;
    const q = m.quietP99Ms as ReturnType<typeof stats>;
    const f = m.floodP99Ms as ReturnType<typeof stats>;
    const r = m.p99Ratio as ReturnType<typeof stats>;
    const taken = (m.floodTicksTakenPerS as ReturnType<typeof stats>).median;
    const accepted = (m.floodTicksAcceptedPerS as ReturnType<typeof stats>).median;
    const cpu = m.serviceCpuPercent as ReturnType<typeof cpuStats>;
    const cpuCell = cpu === null ? 'n/a' : `${cpuText(cpu.quiet)} → ${cpuText(cpu.flood)}`;
    return [m.workers as number, `${q.min} / ${q.median} / ${q.max}`, `${f.min} / ${f.median} / ${f.max}`, r.min, r.median, r.max, batches, `${Math.round(taken)} / ${Math.round(accepted)}`, cpuCell];
  }),
);
console.log(`\nload average ${summary.loadavg.before.join(' ')} → ${summary.loadavg.after.join(' ')}, Node ${process.version}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/tick-flood.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
