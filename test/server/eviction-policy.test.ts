import { afterEach, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest } from './http-helpers.js';

describe("Redis's maxmemory-policy: a WARN and a metric when it can evict panic starts, and the policy in /readyz", () => {
  let redis: RedisServer | undefined;
  let server: VixTtlServer | undefined;

  afterEach(async () => {
    await server?.app.close();
    await redis?.stop();
    server = undefined;
    redis = undefined;
  });

  async function start(args: string[], config?: string) {
    redis = await RedisServer.start(args, config === undefined ? {} : { config });
    const client = redis.client();
    await client.ping(); // connected, as serve connects before it builds the server
    const { logger, lines } = captureLogger('info');
    server = await createServer({ clock: new RedisPanicClock(client, { timeoutMs: 1000 }), timeoutMs: 1000, readyTimeoutMs: 1000, logger, vixSource: null });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    return { base: server.app.listeningOrigin, lines };
  }

  it.each(['allkeys-lru', 'volatile-lru', 'volatile-ttl', 'allkeys-random'])('%s: WARN at start, ready with the policy in the details, metric evicts_panic_starts="true"', async (policy) => {
    const { base, lines } = await start(['--maxmemory-policy', policy]);
    await eventually(async () => lines.some((l) => String(l.msg).startsWith('VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS')), 5000, 'the WARN at start');
    const warn = lines.find((l) => String(l.msg).startsWith('VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS'))!;
    expect(warn).toMatchObject({ level: 40, policy });
    expect(String(warn.advice)).toContain('noeviction');
    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { up: true, eviction: { policy, canEvictPanicStarts: true, detail: null } } });
    expect((await httpRequest(`${base}/metrics`)).text).toContain(`vix_ttl_store_maxmemory_policy{policy="${policy}",evicts_panic_starts="true"} 1`);
    // Checked again, the same policy is not logged again.
    await server!.health.checkEviction();
    expect(lines.filter((l) => String(l.msg).startsWith('VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS'))).toHaveLength(1);
  });

  it('noeviction (Redis\'s default): no WARN, metric evicts_panic_starts="false"', async () => {
    const { base, lines } = await start([]);
    await eventually(async () => (await httpRequest(`${base}/metrics`)).text.includes('vix_ttl_store_maxmemory_policy{policy="noeviction",evicts_panic_starts="false"} 1'), 5000, 'the policy metric');
    expect((await httpRequest(`${base}/readyz`)).json()).toMatchObject({ store: { eviction: { policy: 'noeviction', canEvictPanicStarts: false } } });
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('CONFIG refused (renamed, as on managed Redis): unknown, not unsafe — ready, an INFO that says so, metric evicts_panic_starts="unknown"', async () => {
    const { base, lines } = await start([], 'rename-command CONFIG ""\n');
    await eventually(async () => lines.some((l) => String(l.msg).startsWith('VIX_TTL_STORE_EVICTION_POLICY_UNKNOWN')), 5000, 'the INFO at start');
    const info = lines.find((l) => String(l.msg).startsWith('VIX_TTL_STORE_EVICTION_POLICY_UNKNOWN'))!;
    expect(info.level).toBe(30);
    expect(String(info.msg)).toContain('not unsafe, only unknown');
    expect(String(info.detail)).toMatch(/refused: .*unknown command/i);
    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { up: true, eviction: { policy: null, canEvictPanicStarts: null } } });
    expect((await httpRequest(`${base}/metrics`)).text).toContain('vix_ttl_store_maxmemory_policy{policy="unknown",evicts_panic_starts="unknown"} 1');
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('a policy changed at run time (CONFIG SET) is seen by the next eviction check (at most a minute after the last) and logged', async () => {
    const { base, lines } = await start([]);
    await eventually(async () => server!.health.eviction()?.policy === 'noeviction', 5000, 'the first check');
    await redis!.client().config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await server!.health.checkEviction();
    expect((await httpRequest(`${base}/readyz`)).json()).toMatchObject({ store: { eviction: { policy: 'allkeys-lfu', canEvictPanicStarts: true } } });
    expect(lines.some((l) => String(l.msg).startsWith('VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS') && l.policy === 'allkeys-lfu')).toBe(true);
  });
});
