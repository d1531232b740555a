import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { useServeOnRedis } from '../support/use-serve-on-redis.js';
import { eventually, httpRequest } from './http-helpers.js';

const PAUSE_MS = 15_000;
const CONNECTIONS = 32;
const MAX_IN_FLIGHT = 64;
/** A queued panic older than this is a read when it runs (the clock's abandonAfterMs: max(1 s, 20 × the 50 ms timeout)). */
const STALE_AFTER_MS = 1_000;
/**
 * The serve process's old-space heap budget, MB. Commands or state kept per request
 * (thousands of requests a second here) would exhaust it and crash the process; a
 * bounded service stays well inside it. Peak heap and RSS before a major GC say
 * little, so the budget is the bound.
 */
const HEAP_BUDGET_MB = 96;

/** Resident set size of a process in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) / 1024 : Number.NaN;
}

function gauge(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

interface Sample {
  atMs: number;
  inFlight: number;
  heapUsedMb: number;
  rssMb: number;
}

describe('nothing queues behind a hung Redis: a real serve process, a new panic scope on every request, redis-server SIGSTOPped for 15 s', () => {
  const served = useServeOnRedis({ env: { LOG_LEVEL: 'warn', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_BUDGET_MB}` } });

  it(`at most ${MAX_IN_FLIGHT} commands in flight, decisions fail safe (store_busy) at once, memory flat, and nothing is written after SIGCONT`, async () => {
    const admin = served.server.client();
    const pid = served.service.child.pid!;
    // Warm up: the script is loaded and the clock knows Redis's time.
    for (let i = 0; i < 20; i += 1) {
      const warm = await fetch(`${served.base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: `warm-${i}` }) });
      expect(warm.status).toBe(200);
    }
    const keysBefore = await admin.dbsize();
    const callsBefore = await commandCalls(admin);

    served.server.pause();
    await served.server.stopped();
    const pausedAt = Date.now();
    let sent = 0;
    let stop = false;
    const reasons: Record<string, number> = {};
    const statuses: Record<number, number> = {};
    const loop = async (lane: number) => {
      while (!stop) {
        const scope = `flood-${lane}-${(sent += 1)}`;
        const response = await fetch(`${served.base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope }) });
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        const decision = (await response.json()) as { failSafe?: boolean; reason?: string };
        const key = decision.failSafe ? (decision.reason ?? 'unknown') : 'not_fail_safe';
        reasons[key] = (reasons[key] ?? 0) + 1;
      }
    };
    const samples: Sample[] = [];
    const sampler = (async () => {
      while (!stop) {
        const text = await (await fetch(`${served.base}/metrics`)).text();
        samples.push({ atMs: Date.now() - pausedAt, inFlight: gauge(text, 'vix_ttl_store_in_flight'), heapUsedMb: gauge(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, rssMb: rssMb(pid) });
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const loops = Array.from({ length: CONNECTIONS }, (_, lane) => loop(lane));
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    stop = true;
    await Promise.all([...loops, sampler]);
    const requests = Object.values(statuses).reduce((a, b) => a + b, 0);

    // A probe sent in the last second before SIGCONT is not stale (abandonAfterMs, 1 s): its panic was
    // seen less than a second ago and may be written, by design. The subject is what queued during
    // the pause, so Redis resumes once every queued command is past that age, whatever the scheduler did.
    await new Promise((r) => setTimeout(r, 3 * STALE_AFTER_MS));
    served.server.resume();
    await eventually(async () => gauge(await (await fetch(`${served.base}/metrics`)).text(), 'vix_ttl_store_in_flight') === 0, 10_000, 'the commands in flight answered');
    const delta = diffCalls(callsBefore, await commandCalls(admin));
    const scripts = (delta.evalsha ?? 0) + (delta.eval ?? 0);
    const keysAfter = await admin.dbsize();
    const floodKeys = (await admin.keys('brain:panic_start_ts:flood-*')).length;

    const first = samples[0]!;
    const peakRss = Math.max(...samples.map((s) => s.rssMb));
    const peakHeap = Math.max(...samples.map((s) => s.heapUsedMb));
    const peakInFlight = Math.max(...samples.map((s) => s.inFlight));
    console.log(
      JSON.stringify({
        requests,
        requestsPerSecond: Math.round(requests / (PAUSE_MS / 1000)),
        reasons,
        peakInFlight,
        scriptsReceivedAfterSigcont: scripts,
        keysBefore,
        keysAfter,
        floodKeys,
        rssMb: { first: Math.round(first.rssMb), peak: Math.round(peakRss), last: Math.round(samples.at(-1)!.rssMb) },
        heapUsedMb: { first: Math.round(first.heapUsedMb), peak: Math.round(peakHeap), last: Math.round(samples.at(-1)!.heapUsedMb) },
        samples: samples.map((s) => `${(s.atMs / 1000).toFixed(1)}s in-flight ${s.inFlight} heap ${s.heapUsedMb.toFixed(0)} MB rss ${s.rssMb.toFixed(0)} MB`),
      }),
    );

    expect(statuses).toEqual({ 200: requests });
    // Enough requests to have met the bound many times over (the bound, not the machine's speed, is the subject).
    expect(requests).toBeGreaterThan(5 * MAX_IN_FLIGHT);
    expect(reasons.not_fail_safe ?? 0).toBe(0);
    expect(reasons.store_busy).toBeGreaterThan(requests * 0.9);
    // Samples across the pause (one a second at rest; a starved machine answers fewer scrapes under the flood).
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples.at(-1)!.atMs).toBeGreaterThan(PAUSE_MS / 2);
    for (const sample of samples) expect(sample.inFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // What queued is what Redis runs after SIGCONT: at most the bound, whatever the number of requests.
    expect(scripts).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // Panics observed 15 s ago are read, not started: no key was written after SIGCONT.
    expect(floodKeys).toBe(0);
    expect(keysAfter).toBe(keysBefore);
    // Memory stays bounded: the process served every request inside its heap budget and is still up.
    expect(served.service.child.exitCode).toBeNull();
    expect(peakHeap).toBeLessThan(HEAP_BUDGET_MB);
    expect((await httpRequest(`${served.base}/healthz`)).status).toBe(200);
  }, 90_000);
});
