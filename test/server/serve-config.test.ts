import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

const MINUTE = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'vix-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

interface StateView {
  vix: { location: string; thresholds: { elevated: { enter: number; exit: number }; panic: { enter: number; exit: number } } } | null;
}

/** Sets a scope's panic start `minutes` ago on Redis's own clock, under `key`. */
async function panicStartedAgo(admin: ReturnType<RedisServer['client']>, key: string, minutes: number): Promise<void> {
  const [seconds] = await admin.time();
  await admin.set(key, (Number(seconds) - minutes * 60).toFixed(6), 'EX', 86_400);
}

describe('serve --config: what the file sets reaches a real service on a real redis-server', () => {
  let redis: RedisServer;
  let admin: ReturnType<RedisServer['client']>;
  let service: ServeProcess;
  let base: string;
  let listening: Record<string, unknown>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = redis.client();
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const file = writeConfig('one.json', {
      server: { host: '127.0.0.1', port: filePort, bodyLimit: 1024 },
      redis: { url: redis.url, keyPrefix: 'cfg:panic' },
      policy: { tiers: { medium_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [0, 7, 13, 42] } } },
      vix: { elevated: { enter: 3, exit: 2 }, panic: { enter: 6, exit: 3 } },
    });
    // The flag beats the file's port; HOST beats the file's host (127.0.0.2 is loopback too).
    service = serve(['--config', file, '--port', String(flagPort)], { HOST: '127.0.0.2', REDIS_URL: undefined });
    listening = await service.waitFor('VIX_TTL_LISTENING');
    base = `http://127.0.0.2:${flagPort}`;
  });

  afterAll(async () => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await redis.stop();
  });

  it('listens where flags > environment > file put it, on the file’s Redis', () => {
    expect(listening).toMatchObject({ address: base, clock: 'redis', store: redis.url });
  });

  it('the key prefix: a panic is written under cfg:panic:<scope>, nothing under the default brain:panic_start_ts', async () => {
    const response = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'cfg-new', match: { league: 'Ligue 1' } }));
    expect(response.json()).toMatchObject({ tier: 1, ttl: 0, failSafe: false });
    expect(await admin.exists('cfg:panic:cfg-new')).toBe(1);
    expect(await admin.keys('brain:*')).toEqual([]);
  });

  it('the tier table: a medium-stakes panic 2.5 minutes old is tier 3 at 13 s (the seed’s table says tier 1, 0 s)', async () => {
    await panicStartedAgo(admin, 'cfg:panic:cfg-old', 2.5);
    const response = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'cfg-old', match: { league: 'Premier League' } }));
    expect(response.json()).toMatchObject({ tier: 3, ttl: 13, mode: 'DEGRADED', importance: 'medium_stakes', failSafe: false });
  });

  it('the VIX thresholds: /v1/state shows the engine’s from the file', async () => {
    const state = (await httpRequest(`${base}/v1/state`)).json() as unknown as StateView;
    expect(state.vix?.thresholds).toEqual({ elevated: { enter: 3, exit: 2 }, panic: { enter: 6, exit: 3 } });
  });

  it('a server limit: a body over the file’s bodyLimit (1 KiB) is a 413', async () => {
    const big = JSON.stringify({ baseTtl: 60, vixStatus: 'calm', match: { league: 'x'.repeat(2000) } });
    expect((await postJson(`${base}/v1/ttl`, big)).status).toBe(413);
    expect((await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm' }))).status).toBe(200);
  });

  it('stops on SIGTERM with exit 0', async () => {
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});

describe('serve --config --workers 2: the primary’s engine and publisher and every worker take the file', () => {
  const SCOPE = 'cfg-match';
  let redis: RedisServer;
  let admin: ReturnType<RedisServer['client']>;
  let service: ServeProcess;
  let base: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = redis.client();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // tickMaxAgeMs and warmupMs: the history posted below (up to 14 minutes old) is taken, and warms the scope up at once.
    const file = writeConfig('workers.json', { server: { workers: 2, port, tickMaxAgeMs: 900_000 }, redis: { keyPrefix: 'cfg:w' }, vix: { panic: { enter: 3.5, exit: 2 }, warmupMs: 0 } });
    service = serve(['--config', file, '--redis', redis.url]);
    await service.waitFor('VIX_TTL_CLUSTER_READY', 30_000);
  });

  afterAll(async () => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
  });

  it('a worker shows the primary engine’s thresholds from the file', async () => {
    await eventually(async () => {
      const state = (await httpRequest(`${base}/v1/state`)).json() as unknown as StateView;
      return state.vix?.location === 'primary' && state.vix.thresholds.panic.enter === 3.5;
    }, 10_000, 'the primary’s thresholds in a worker’s /v1/state');
  });

  it('the primary’s publisher and the workers’ clocks write under the file’s key prefix', async () => {
    const shockEndMs = Date.now() - 3 * MINUTE;
    const ticks = [
      ...simulateTicks({
        seed: 21,
        startMs: shockEndMs - 11 * MINUTE,
        durationMs: 11 * MINUTE,
        scopes: [{ scope: SCOPE, markets: 4, meanGapMs: 1500 }],
        events: [{ scope: SCOPE, atMs: 10 * MINUTE, durationMs: MINUTE, volatility: 10, jump: 0.3 }],
      }),
    ].map((r) => r.tick);
    const posted = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks }));
    expect(posted.status).toBe(200);
    await eventually(async () => (await admin.exists(`cfg:w:${SCOPE}`)) === 1, 10_000, `the published panic under cfg:w:${SCOPE}`);
    expect((await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'seed-mode' }))).json()).toMatchObject({ tier: 1 });
    expect(await admin.exists('cfg:w:seed-mode')).toBe(1);
    expect(await admin.keys('brain:*')).toEqual([]);
  });
});
