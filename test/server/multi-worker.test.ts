import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

describe('serve --workers 2 --redis: every worker decides alike', () => {
  let redis: RedisServer;
  let service: ServeProcess;
  let port: number;

  beforeAll(async () => {
    redis = await RedisServer.start();
    port = await freePort();
    service = serve(['--workers', '2', '--redis', redis.url, '--port', String(port)]);
    await service.waitFor('VIX_TTL_CLUSTER_READY');
  });

  afterAll(async () => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
  });

  it('a panic start 100 minutes old gives 500 requests over both workers Premier League tier 3, TTL 30; a killed worker is replaced; SIGTERM drains and exits 0', async () => {
    const admin = redis.client();
    const [seconds] = await admin.time();
    await admin.set('brain:panic_start_ts', (Number(seconds) - 100 * 60).toFixed(6), 'EX', 86_400);

    const body = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } });
    const answers: Array<{ pid: string; decision: Record<string, unknown> }> = [];
    for (let batch = 0; batch < 50; batch += 1) {
      const responses = await Promise.all(Array.from({ length: 10 }, () => postJson(`http://127.0.0.1:${port}/v1/ttl`, body)));
      for (const response of responses) {
        expect(response.status).toBe(200);
        answers.push({ pid: String(response.headers['x-vix-ttl-worker']), decision: response.json() });
      }
    }
    expect(answers).toHaveLength(500);
    const pids = new Set(answers.map((a) => a.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(String(service.child.pid))).toBe(false);
    for (const { decision } of answers) {
      expect(decision).toMatchObject({ tier: 3, ttl: 30, mode: 'DEGRADED', importance: 'medium_stakes', failSafe: false });
      expect(decision.panicDurationMin).toBeGreaterThanOrEqual(100);
      expect(decision.panicDurationMin).toBeLessThan(102);
    }

    // A scrape on the shared port sees every worker: the primary aggregates their registries.
    const metrics = await httpRequest(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^vix_ttl_decisions_total\{mode="DEGRADED",tier="3",importance="medium_stakes"\} 500$/m);
    expect(metrics.text).toMatch(/^vix_ttl_current_tier\{scope="global",importance="medium_stakes"\} 3$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);

    // A worker that crashes is replaced, and the service keeps answering alike.
    const [victim] = [...pids].map(Number);
    const listeningBefore = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length;
    process.kill(victim!, 'SIGKILL');
    const crashed = await service.waitFor('VIX_TTL_WORKER_CRASHED: restarting it');
    expect(crashed).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    await eventually(async () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length > listeningBefore, 20_000, 'a replacement worker');
    const replacement = service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').at(-1)!.pid as number;
    expect(replacement).not.toBe(victim);
    const after = await Promise.all(Array.from({ length: 20 }, () => postJson(`http://127.0.0.1:${port}/v1/ttl`, body)));
    expect(after.every((r) => r.status === 200 && r.json().tier === 3 && r.json().ttl === 30)).toBe(true);
    pids.delete(String(victim));
    pids.add(String(replacement));

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.lines.filter((l) => l.msg === 'VIX_TTL_STOPPED')).toHaveLength(2); // the two live workers drained
    expect(service.lines.some((l) => l.msg === 'VIX_TTL_CLUSTER_STOPPED' && l.exit_code === 0)).toBe(true);
    for (const pid of pids) expect(alive(Number(pid)), `worker ${pid} left running`).toBe(false);
  });
});
