import { afterEach, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';

const PANIC = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl' });

describe('/readyz checks the path decisions use (the script), not only PING', () => {
  let redis: RedisServer | undefined;
  let primary: RedisServer | undefined;
  let server: VixTtlServer | undefined;

  afterEach(async () => {
    await server?.app.close();
    await redis?.stop();
    await primary?.stop();
    server = undefined;
    redis = undefined;
    primary = undefined;
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

  it('a read-only replica (a real redis-server started with --replicaof) is unready and vix_ttl_store_up is 0, as decisions fail safe there; promoted, it is ready', async () => {
    primary = await RedisServer.start();
    await primary.client().set('brain:panic_start_ts:other', '1700000000.000000');
    redis = await RedisServer.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    const replica = redis.client();
    await eventually(async () => /master_link_status:up/.test(await replica.info('replication')), 20_000, 'the replica linked to its primary');
    server = await createServer({ clock: new RedisPanicClock(replica, { timeoutMs: 1000 }), timeoutMs: 1000, readyTimeoutMs: 1000, metricsMaxAgeMs: 0, vixSource: null });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const base = server.app.listeningOrigin;

    // What decisions do on a replica: the write is refused, the decision fails safe.
    expect((await postJson(`${base}/v1/ttl`, PANIC)).json()).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_error' });
    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unready', store: { kind: 'redis', up: false } });
    expect((ready.json().store as { error: string }).error).toMatch(/^store_error: .*READONLY/);
    expect((await httpRequest(`${base}/metrics`)).text).toMatch(/^vix_ttl_store_up 0$/m);
    // Reading stays possible on a replica (vix-ttl status): only the readiness check asks for writes.
    expect(await new RedisPanicClock(replica, { timeoutMs: 1000 }).inspect()).toMatchObject({ active: false });

    await replica.replicaof('NO', 'ONE');
    await eventually(async () => (await httpRequest(`${base}/readyz`)).status === 200, 10_000, '/readyz 200 after the promotion');
    expect((await httpRequest(`${base}/metrics`)).text).toMatch(/^vix_ttl_store_up 1$/m);
    expect((await postJson(`${base}/v1/ttl`, PANIC)).json()).toMatchObject({ tier: 1, failSafe: false });
  }, 60_000);

  it('the write check changes nothing: no key created, a start and its expiry untouched, Redis counts no change (rdb_changes_since_last_save)', async () => {
    const base = await start('');
    const client = redis!.client();
    const changes = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))![1]);
    expect((await httpRequest(`${base}/readyz`)).status).toBe(200);
    expect(await client.dbsize()).toBe(0);
    await client.set('brain:panic_start_ts', '1700000000.500000', 'EX', 5000);
    const before = await changes();
    for (let i = 0; i < 5; i += 1) expect((await httpRequest(`${base}/readyz`)).status).toBe(200);
    expect(await changes()).toBe(before);
    expect(await client.get('brain:panic_start_ts')).toBe('1700000000.500000');
    expect(await client.ttl('brain:panic_start_ts')).toBeGreaterThan(4900);
    // A key of another type accepted the write (WRONGTYPE is not a refusal): decisions repair it.
    await client.del('brain:panic_start_ts');
    await client.hset('brain:panic_start_ts', 'f', 'v');
    expect((await httpRequest(`${base}/readyz`)).status).toBe(200);
    expect(await client.type('brain:panic_start_ts')).toBe('hash');
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
