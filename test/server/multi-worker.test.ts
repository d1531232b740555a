import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_HEAP_GROWING_PERCENT } from '../../src/server/process/worker-exec-argv.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest, postJson, type HttpResult } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

const MINUTE = 60_000;
const VIX_SCOPE = 'rma-bay';

function promtool(text: string): string {
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${lint.stdout}${lint.stderr}`.trim() + (lint.status === 0 ? '' : ` (exit ${lint.status})`);
}

/**
 * Splits decisions into the fail-safe ones a 50 ms store timeout may give on a loaded machine (each
 * checked to be exactly the fail-safe answer) and the others, which the test compares.
 */
function splitFailSafe(decisions: Array<Record<string, unknown>>): { agreed: Array<Record<string, unknown>>; failSafe: Array<Record<string, unknown>> } {
  const failSafe = decisions.filter((d) => d.failSafe === true);
  for (const decision of failSafe) {
    expect(decision).toMatchObject({ ttl: 0, tier: 1, mode: 'PANIC_FULL' });
    expect(['store_timeout', 'store_busy']).toContain(decision.reason);
  }
  return { agreed: decisions.filter((d) => d.failSafe !== true), failSafe };
}

/** Sum of every series of a counter in Prometheus text (0 when it has none). */
function sumOf(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('serve --workers 2 --redis: every worker decides alike', () => {
  let redis: RedisServer;
  let service: ServeProcess;
  let port: number;
  let base: string;
  let admin: ReturnType<RedisServer['client']>;
  const pids = new Set<string>();

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = redis.client();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // --vix-warmup-ms 0: the engine warms a scope up on its own time (the wall clock), so the history posted below could not warm it.
    service = serve(['--workers', '2', '--redis', redis.url, '--port', String(port), '--vix-warmup-ms', '0']);
    await service.waitFor('VIX_TTL_CLUSTER_READY', 60_000); // starting two workers on a loaded machine is not the subject: generous
  }, 90_000);

  afterAll(async () => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
  });

  it('a panic start 100 minutes old gives 500 requests over both workers Premier League tier 3, TTL 30; /metrics aggregates the workers and the primary', async () => {
    const [seconds] = await admin.time();
    await admin.set('brain:panic_start_ts', (Number(seconds) - 100 * 60).toFixed(6), 'EX', 86_400);

    const body = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } });
    const answers: Array<{ pid: string; decision: Record<string, unknown> }> = [];
    for (let batch = 0; batch < 50; batch += 1) {
      const responses = await Promise.all(Array.from({ length: 10 }, () => postJson(`${base}/v1/ttl`, body)));
      for (const response of responses) {
        expect(response.status).toBe(200);
        answers.push({ pid: String(response.headers['x-vix-ttl-worker']), decision: response.json() });
      }
    }
    expect(answers).toHaveLength(500);
    for (const { pid } of answers) pids.add(pid);
    expect(pids.size).toBe(2);
    expect(pids.has(String(service.child.pid))).toBe(false);
    // The service's store timeout is 50 ms: on a loaded machine a round trip may outlast it, and that
    // decision is then the documented fail-safe one. Every other decision, on either worker, is the same.
    const { agreed, failSafe } = splitFailSafe(answers.map((a) => a.decision));
    for (const decision of agreed) {
      expect(decision).toMatchObject({ tier: 3, ttl: 30, mode: 'DEGRADED', importance: 'medium_stakes', failSafe: false });
      expect(decision.panicDurationMin).toBeGreaterThanOrEqual(100);
      expect(decision.panicDurationMin).toBeLessThan(102);
    }
    for (const pid of pids) expect(answers.some((a) => a.pid === pid && !a.decision.failSafe), `worker ${pid} decided tier 3 at least once`).toBe(true);

    // A scrape on the shared port sees every worker (the primary aggregates their registries) and the primary's VIX engine.
    const metrics = await httpRequest(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(new RegExp(`^vix_ttl_decisions_total\\{mode="DEGRADED",tier="3",importance="medium_stakes"\\} ${agreed.length}$`, 'm'));
    expect(sumOf(metrics.text, 'vix_ttl_fail_safe_total')).toBe(failSafe.length);
    expect(metrics.text).toMatch(/^vix_ttl_current_tier\{scope="global",importance="medium_stakes"\} 3$/m);
    expect(metrics.text).toMatch(/^vix_ttl_vix_scopes 0$/m);
    expect(metrics.text).toMatch(/^vix_ttl_decision_ttl_seconds_count\{importance="medium_stakes"\} 500$/m);
    // Families both the workers and the primary have are one family, summed: log lines (each worker's
    // VIX_TTL_LISTENING, the primary's VIX_TTL_CLUSTER_STARTING) and the panic-duration histogram.
    expect(metrics.text).toMatch(/^vix_ttl_log_lines_total\{event="VIX_TTL_LISTENING",level="info"\} 2$/m);
    expect(metrics.text).toMatch(/^vix_ttl_log_lines_total\{event="VIX_TTL_CLUSTER_STARTING",level="info"\} 1$/m);
    expect(metrics.text.match(/^# TYPE vix_ttl_panic_episode_duration_seconds histogram$/gm)).toHaveLength(1);
    expect(metrics.text).toMatch(/^vix_ttl_panic_episode_duration_seconds_count 0$/m);
    expect(promtool(metrics.text)).toBe('');
  });

  it('a killed worker is replaced, and the service keeps answering alike', async () => {
    const body = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } });
    const [victim] = [...pids].map(Number);
    const listeningBefore = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length;
    process.kill(victim!, 'SIGKILL');
    const crashed = await service.waitFor('VIX_TTL_WORKER_CRASHED: restarting it');
    expect(crashed).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    await eventually(async () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length > listeningBefore, 20_000, 'a replacement worker');
    const replacement = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').at(-1)!.pid as number;
    expect(replacement).not.toBe(victim);
    const after = await Promise.all(Array.from({ length: 20 }, () => postJson(`${base}/v1/ttl`, body)));
    expect(after.every((r) => r.status === 200)).toBe(true);
    const { agreed } = splitFailSafe(after.map((r) => r.json())); // a fresh worker's first round trip may outlast the 50 ms timeout
    expect(agreed.length).toBeGreaterThan(0);
    for (const decision of agreed) expect(decision).toMatchObject({ tier: 3, ttl: 30 });
    pids.delete(String(victim));
    pids.add(String(replacement));
  });

  it('a worker stopped on its own with exit 0 (SIGTERM to it alone: a clean drain) is replaced too, and both workers answer again', async () => {
    const [victim] = [...pids].map(Number);
    const listeningBefore = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length;
    process.kill(victim!, 'SIGTERM');
    const exited = await service.waitFor('VIX_TTL_WORKER_EXITED: it was not asked to stop; replacing it');
    expect(exited).toMatchObject({ pid: victim, code: 0, signal: null });
    await eventually(async () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length > listeningBefore, 20_000, 'a replacement worker');
    const replacement = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').at(-1)!.pid as number;
    expect(replacement).not.toBe(victim);
    expect(alive(victim!)).toBe(false);
    pids.delete(String(victim));
    pids.add(String(replacement));
    const seen = new Set<string>();
    await eventually(async () => {
      const response = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } }));
      // A fresh worker's first round trip may outlast the 50 ms timeout on a loaded machine: a fail-safe answer, not an agreement.
      const { agreed } = splitFailSafe([response.json()]);
      if (agreed.length === 0) return false;
      expect(agreed[0]).toMatchObject({ tier: 3, ttl: 30 });
      seen.add(String(response.headers['x-vix-ttl-worker']));
      return seen.size === 2;
    }, 10_000, 'both workers answering');
    expect(seen).toEqual(pids);
    expect(service.child.exitCode).toBeNull(); // the primary kept running
  });

  it('one VIX engine, in the primary: a shock batch posted to either worker is published, and both workers read the same panic tier without vixStatus; a calm stretch ends it on both', async () => {
    // A minute and a half of calm and a goal (returns ×10 for a minute) ending two minutes ago, then calm up to
    // now: the service takes no tick older than five minutes nor past now + 60 s. The shock batch travels to
    // the primary in several IPC messages.
    const shockEndMs = Date.now() - 2 * MINUTE;
    const ticks = [
      ...simulateTicks({
        seed: 21,
        startMs: shockEndMs - 2.5 * MINUTE,
        durationMs: 4.5 * MINUTE,
        scopes: [{ scope: VIX_SCOPE, markets: 4, meanGapMs: 1500 }],
        events: [{ scope: VIX_SCOPE, atMs: 1.5 * MINUTE, durationMs: MINUTE, volatility: 10, jump: 0.3 }],
      }),
    ].map((r) => r.tick as { ts: number });
    const shock = ticks.filter((t) => t.ts < shockEndMs);
    const calm = ticks.filter((t) => t.ts >= shockEndMs);

    const posted = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: shock }));
    expect(posted.status).toBe(200);
    expect(posted.json()).toMatchObject({ accepted: shock.length, rejected: 0 });
    expect(pids.has(String(posted.headers['x-vix-ttl-worker']))).toBe(true); // a worker took it and forwarded it

    const decide = () => postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, scope: VIX_SCOPE, match: { league: 'Premier League' } }));
    const byWorker = async (tier: number) => {
      const seen = new Map<string, HttpResult>();
      await eventually(async () => {
        const response = await decide();
        if (response.json().tier === tier && response.json().failSafe === false) seen.set(String(response.headers['x-vix-ttl-worker']), response); // a fail-safe tier 1 is not the published panic
        return seen.size === 2;
      }, 10_000, `both workers at tier ${tier}`);
      return seen;
    };
    const panicked = await byWorker(1);
    expect(new Set(panicked.keys())).toEqual(pids);
    for (const response of panicked.values()) expect(response.json()).toMatchObject({ tier: 1, ttl: 0, mode: 'PANIC_FULL', failSafe: false });
    expect(await admin.exists(`brain:panic_start_ts:${VIX_SCOPE}`)).toBe(1);

    // Each worker shows the primary's sample in /v1/state.
    await eventually(async () => {
      const state = (await httpRequest(`${base}/v1/state`)).json() as { vix: { location: string } | null; scopes: Array<{ scope: string; vix: { status: string } | null }> };
      return state.vix?.location === 'primary' && state.scopes.find((s) => s.scope === VIX_SCOPE)?.vix?.status === 'panic';
    }, 5000, 'the primary’s VIX sample in /v1/state');

    const calmed = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: calm }));
    expect(calmed.json()).toMatchObject({ accepted: calm.length, rejected: 0 });
    // The primary's wall clock judges future ticks for every worker.
    const future = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: [{ market: `${VIX_SCOPE}/m1`, price: 2, ts: Date.now() + 10 * MINUTE, scope: VIX_SCOPE }] }));
    expect(future.json()).toMatchObject({ accepted: 0, byReason: { future_ts: 1 } });
    // …and past ticks: a feed in seconds, and a tick ten minutes old (past --tick-max-age-ms, 5 min).
    const past = [Math.floor(Date.now() / 1000), Date.now() - 10 * MINUTE].map((ts) => ({ market: `${VIX_SCOPE}/m2`, price: 2, ts, scope: VIX_SCOPE }));
    expect((await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: past }))).json()).toMatchObject({ accepted: 0, byReason: { stale_ts: 2 } });
    const back = await byWorker(0);
    expect(new Set(back.keys())).toEqual(pids);
    for (const response of back.values()) expect(response.json()).toMatchObject({ tier: 0, ttl: 60, mode: 'NORMAL' });
    expect(await admin.exists(`brain:panic_start_ts:${VIX_SCOPE}`)).toBe(0);

    // Seed mode keeps working beside it.
    expect((await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'seed-mode' }))).json()).toMatchObject({ tier: 1 });

    const metrics = (await httpRequest(`${base}/metrics`)).text;
    expect(metrics).toMatch(new RegExp(`^vix_ttl_vix_status_transitions_total\\{scope="${VIX_SCOPE}",from="calm",to="panic"\\} 1$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^vix_ttl_vix_status_transitions_total\\{scope="${VIX_SCOPE}",from="panic",to="calm"\\} 1$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^vix_ttl_vix_index\\{scope="${VIX_SCOPE}"\\} `, 'm'));
    expect(metrics).toMatch(/^vix_ttl_vix_ticks_total\{result="accepted"\} [1-9]/m);
    expect(metrics).toMatch(/^vix_ttl_vix_ticks_total\{result="stale_ts"\} 2$/m);
    expect(promtool(metrics)).toBe('');
    expect(service.lines.filter((l) => l.msg === 'VIX_STATUS_CHANGE' && l.scope === VIX_SCOPE).map((l) => `${l.from}→${l.to}`)).toEqual(['calm→panic', 'panic→calm']);
    expect(new Set(service.lines.filter((l) => l.msg === 'VIX_STATUS_CHANGE').map((l) => l.pid))).toEqual(new Set([service.child.pid])); // only the primary runs an engine
  });


  it('a batch over 64 KiB travels to the primary as bytes (structured-clone IPC): UTF-8, quotes and backslashes in its markets, every tick accepted once', async () => {
    const from = Date.now() - 30_000;
    const ticks = Array.from({ length: 4000 }, (_, i) => ({ market: `bytes-é"\\😀-${i % 25}`, price: 2 + (i % 5) / 100, ts: from + i, scope: 'bytes-path' }));
    const body = JSON.stringify({ ticks });
    expect(Buffer.byteLength(body)).toBeGreaterThan(65_536);
    const posted = await postJson(`${base}/v1/ticks`, body);
    expect(posted.status).toBe(200);
    expect(posted.json()).toMatchObject({ accepted: 4000, rejected: 0 });
    // The same bytes again: every tick a duplicate or out of order for its market, none taken twice.
    expect((await postJson(`${base}/v1/ticks`, body)).json()).toMatchObject({ accepted: 0, rejected: 4000 });
  });

  it(`every worker runs with --heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT} (Buffers a tick flood passes through count against its small heap), the primary without it`, () => {
    const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const workers = [...new Set(service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').map((l) => l.pid as number))].filter(alive);
    expect(workers.length).toBeGreaterThanOrEqual(2); // the replacements of the workers killed above among them
    for (const pid of workers) expect(argvOf(pid)).toContain(`--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`);
    expect(argvOf(service.child.pid!).some((arg) => arg.startsWith('--heap-growing-percent'))).toBe(false);
  });

  it('SIGTERM drains the workers, closes the publisher, quits Redis and exits 0', async () => {
    const stoppedBefore = service.lines.filter((l) => l.msg === 'VIX_TTL_STOPPED').length;
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.lines.filter((l) => l.msg === 'VIX_TTL_STOPPED')).toHaveLength(stoppedBefore + 2); // the two live workers drained
    expect(service.lines.some((l) => l.msg === 'VIX_TTL_CLUSTER_STOPPED' && l.exit_code === 0)).toBe(true);
    for (const pid of pids) expect(alive(Number(pid)), `worker ${pid} left running`).toBe(false);
    const clients = String(await admin.client('LIST')).split('\n').filter((line) => line.includes('cmd='));
    expect(clients).toHaveLength(1); // the workers' and the primary's connections are closed: only this test's is left
  });
});
