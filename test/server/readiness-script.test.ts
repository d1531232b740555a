import { afterEach, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { RedisServer } from '../support/redis-server.js';
import { httpRequest, postJson } from './http-helpers.js';

const PANIC = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl' });

describe('/readyz checks the path decisions use (the script), not only PING', () => {
  let redis: RedisServer | undefined;
  let server: VixTtlServer | undefined;

  afterEach(async () => {
    await server?.app.close();
    await redis?.stop();
    server = undefined;
    redis = undefined;
  });

  async function start(config: string): Promise<string> {
    redis = await RedisServer.start([], { config });
    server = await createServer({ clock: new RedisPanicClock(redis.client(), { timeoutMs: 1000 }), timeoutMs: 1000, readyTimeoutMs: 1000, vixSource: null });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    return server.app.listeningOrigin;
  }

  it.each([
    ['EVALSHA and EVAL disabled', 'rename-command EVALSHA ""\nrename-command EVAL ""\n'],
    ['EVALSHA disabled (EVAL still there)', 'rename-command EVALSHA ""\n'],
  ])('%s: PING answers, every panic decision fails safe, and /readyz is 503 naming the error', async (_label, config) => {
    const base = await start(config);
    expect(await redis!.client().ping()).toBe('PONG');

    const decision = await postJson(`${base}/v1/ttl`, PANIC);
    expect(decision.json()).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_error' });

    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unready', store: { kind: 'redis', up: false } });
    expect((ready.json().store as { error: string }).error).toMatch(/^store_error: .*unknown command/i);
    expect((await httpRequest(`${base}/metrics`)).text).toMatch(/^vix_ttl_store_up 0$/m);
  });

  it('a Redis that runs the script is ready, and the check writes nothing', async () => {
    const base = await start('');
    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { up: true, error: null } });
    expect(await redis!.client().dbsize()).toBe(0);
    expect((await postJson(`${base}/v1/ttl`, PANIC)).json()).toMatchObject({ tier: 1, failSafe: false });
  });
});
