import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest, type HttpResult } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve --workers 3: a worker that dies in the middle of an aggregated /metrics scrape does not take the primary with it (real processes)', () => {
  let redis: RedisServer;
  let service: ServeProcess;
  let base: string;
  const stopped: number[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = serve(['--workers', '3', '--redis', redis.url, '--port', String(port)]);
    await service.waitFor('VIX_TTL_CLUSTER_READY', 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
  });

  it('SIGKILL a worker while its scrapes wait on the primary: the primary lives, answers the others with what it has, replaces the worker and counts the restart', async () => {
    const listening = () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').map((l) => l.pid as number);
    await eventually(async () => listening().length === 3, 20_000, 'three workers listening');
    const workers = listening();
    const [slow, victim] = workers as [number, number, number];
    // A stopped worker holds every collection open (until the collection timeout): the scrapes
    // forwarded by the victim are then surely waiting on the primary when it dies.
    process.kill(slow, 'SIGSTOP');
    stopped.push(slow);

    let scraping = true;
    const answers: HttpResult[] = [];
    const lane = async () => {
      while (scraping) {
        const answer = await Promise.race([httpRequest(`${base}/metrics`).catch(() => null), sleep(15_000).then(() => null)]);
        if (answer) answers.push(answer);
      }
    };
    const lanes = Array.from({ length: 8 }, lane);
    await sleep(1000);
    process.kill(victim, 'SIGKILL');
    // Before the fix, the primary answered the dead worker after prom-client's 5 s collection timeout and crashed.
    await sleep(7000);
    process.kill(slow, 'SIGCONT');
    stopped.length = 0;
    scraping = false;
    await Promise.all(lanes);

    expect(service.child.exitCode).toBeNull();
    expect(alive(service.child.pid!)).toBe(true);
    expect(service.lines.find((l) => l.msg === 'VIX_TTL_WORKER_CRASHED: restarting it')).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    await eventually(async () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length >= 4, 30_000, 'a replacement worker listening');
    // The scrapes that reached a live worker while one worker was stopped were answered, without that worker.
    const partial = answers.filter((a) => a.status === 200 && /^vix_ttl_cluster_scrape_workers_missing [1-9]/m.test(a.text));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial[0]!.text).toMatch(/^vix_ttl_decisions_total|^# HELP vix_ttl_decisions_total/m);
    expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
    expect(service.lines.some((l) => String(l.msg).startsWith('VIX_TTL_CLUSTER_SCRAPE_PARTIAL'))).toBe(true);

    // The service keeps answering, every worker is back in the scrape, and the restart is counted.
    expect((await httpRequest(`${base}/healthz`)).status).toBe(200);
    await eventually(
      async () => {
        const metrics = await httpRequest(`${base}/metrics`);
        return metrics.status === 200 && /^vix_ttl_cluster_scrape_workers_missing 0$/m.test(metrics.text);
      },
      20_000,
      'a complete scrape',
    );
    const metrics = (await httpRequest(`${base}/metrics`)).text;
    expect(metrics).toMatch(/^vix_ttl_worker_restarts_total\{reason="crash"\} 1$/m);
    expect(metrics).toMatch(/^vix_ttl_worker_restarts_total\{reason="exit"\} 0$/m);
    expect(metrics).toMatch(/^vix_ttl_cluster_workers 3$/m);
  }, 120_000);
});
