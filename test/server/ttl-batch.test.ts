import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock, RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { BATCH_BYTES_PER_ITEM, BATCH_MAX_DEPTH } from '../../src/server/http/ttl-batch.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { captureLogger } from '../support/capture-logger.js';
import { checkResponse } from '../support/openapi-conformance.js';
import { RedisServer } from '../support/redis-server.js';
import { httpRequest, postJson, type HttpResult } from './http-helpers.js';

const API_TOKEN = 'batch-test-api-token-0123456789abcdef';
const ADMIN_TOKEN = 'batch-test-admin-token-0123456789ab';

type Answer = Record<string, unknown>;
const itemsOf = (result: HttpResult) => (result.json() as { items: Answer[] }).items;
/** A batch body from item texts as written (so `__proto__` stays a key and escapes stay escapes). */
const batchOf = (items: readonly string[]) => `{"items":[${items.join(',')}]}`;

describe('POST /v1/ttl/batch: each item answered, in input order, as POST /v1/ttl answers it alone', () => {
  const now = Date.parse('2026-05-01T20:00:00Z');
  const clock = new MemoryPanicClock({ now: () => now });
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock, now: () => now, defaultMetrics: false });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
    await clock.startPanic('epl', { ageMs: 100 * 60_000 });
  });
  afterAll(async () => server.app.close());

  const valid = [
    '{"baseTtl":60,"vixStatus":"calm"}',
    '{"baseTtl":60,"vixStatus":"panic","match":{"league":"Premier League"},"scope":"epl"}',
    '{"baseTtl":45,"vixStatus":"elevated","match":{"league":"Ligue 1"}}',
    '{"baseTtl":60,"vixStatus":"panic","match":{"importance":"high_stakes"},"scope":"epl"}',
    '{"baseTtl":60,"vixStatus":"panic","match":{"importance":"low_stakes"},"scope":"epl"}',
    '{"baseTtl":0,"vixStatus":"calm","scope":""}',
    '{"baseTtl":7,"scope":"epl"}',
    '{"baseTtl":60,"vixStatus":"panic","scope":"cup"}',
  ];
  const invalid = [
    '{}',
    '{"baseTtl":"60"}',
    '{"baseTtl":-1}',
    '{"baseTtl":1e400}',
    '{"baseTtl":60,"vixStatus":"PANIC"}',
    `{"baseTtl":60,"match":{"league":"${'x'.repeat(101)}"}}`,
    '{"baseTtl":60,"match":{"leage":"Ligue 1"}}',
    '{"baseTtl":60,"ttl":5}',
    '{"baseTtl":60,"scope":"bad scope"}',
    '{"baseTtl":60,"__proto__":{"polluted":true}}',
    '{"baseTtl":60,"\\u005f_proto__":{"polluted":true}}',
    '{"baseTtl":60,"match":{"constructor":{"prototype":{}}}}',
    '[]',
    'null',
    '"hello"',
    '42',
  ];

  it('answers in input order: each valid item gets the decision the single route gives it', async () => {
    const answer = await postJson(`${base}/v1/ttl/batch`, batchOf(valid));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const items = itemsOf(answer);
    expect(items).toHaveLength(valid.length);
    const singles = [];
    for (const item of valid) singles.push((await postJson(`${base}/v1/ttl`, item)).json());
    expect(items).toEqual(singles);
    // The order is the input's, not the order the clock answered in: tiers differ item by item.
    expect(items.map((d) => d.tier)).toEqual([0, 3, 0, 2, 4, 0, 3, 1]);
  });

  it('a mix of good and bad items: each bad item gets the error the single route answers for it, the others their decisions', async () => {
    const mixed = invalid.flatMap((bad, i) => [bad, valid[i % valid.length]!]);
    const answer = await postJson(`${base}/v1/ttl/batch`, batchOf(mixed));
    expect(answer.status).toBe(200);
    const items = itemsOf(answer);
    expect(items).toHaveLength(mixed.length);
    for (const [i, item] of mixed.entries()) {
      const single = await postJson(`${base}/v1/ttl`, item);
      expect(single.status === 200 ? 'decision' : 'error', item).toBe('error' in items[i]! ? 'error' : 'decision');
      expect(items[i], item).toEqual(single.json());
    }
    expect(items.filter((a) => a.error === 'invalid_body').map((a) => a.field)).toEqual([
      'baseTtl', 'baseTtl', 'baseTtl', 'baseTtl', 'vixStatus', 'match.league', 'match.leage', 'ttl', 'scope', '__proto__', '__proto__', 'match.constructor.prototype', 'body', 'body', 'body', 'body',
    ]);
  });

  it('counts every decided item in the decision metrics, and none of the refused', async () => {
    const { metrics } = server.telemetry;
    const decided = async () => Number(/^vix_ttl_decisions_total\{mode="NORMAL",tier="0",importance="low_stakes"\} (\d+)$/m.exec(await metrics.render())?.[1] ?? 0);
    const before = await decided();
    const items = [...Array.from({ length: 30 }, () => '{"baseTtl":60,"vixStatus":"calm","match":{"importance":"low_stakes"}}'), '{"baseTtl":-60,"match":{"importance":"low_stakes"}}'];
    expect((await postJson(`${base}/v1/ttl/batch`, batchOf(items))).status).toBe(200);
    expect(await decided()).toBe(before + 30);
  });

  it(`takes up to 1,000 items; 1,001 are a 413 too_many_items naming items, and a body over ${BATCH_BYTES_PER_ITEM} bytes per item a 413 body_too_large`, async () => {
    const full = await postJson(`${base}/v1/ttl/batch`, batchOf(Array.from({ length: 1000 }, (_, i) => `{"baseTtl":${i},"vixStatus":"calm"}`)));
    expect(full.status).toBe(200);
    expect(itemsOf(full).map((d) => d.ttl)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const over = await postJson(`${base}/v1/ttl/batch`, batchOf(Array.from({ length: 1001 }, () => '{"baseTtl":60}')));
    expect(over.status).toBe(413);
    expect(over.json()).toEqual({ error: 'too_many_items', field: 'items', message: 'items must hold at most 1000 decision requests per batch, got 1001; split the batch' });
    const heavy = await postJson(`${base}/v1/ttl/batch`, batchOf([`{"baseTtl":60,"scope":"${'a'.repeat(1000 * BATCH_BYTES_PER_ITEM)}"}`]));
    expect(heavy.status).toBe(413);
    expect(heavy.json()).toMatchObject({ error: 'body_too_large', field: 'body' });
  });

  it('maxBatchItems sets both bounds', async () => {
    const small = await createServer({ clock: new MemoryPanicClock(), defaultMetrics: false, maxBatchItems: 2 });
    try {
      expect((await small.app.inject({ method: 'POST', url: '/v1/ttl/batch', payload: { items: [{ baseTtl: 1 }, { baseTtl: 2 }] } })).statusCode).toBe(200);
      expect((await small.app.inject({ method: 'POST', url: '/v1/ttl/batch', payload: { items: [{ baseTtl: 1 }, { baseTtl: 2 }, { baseTtl: 3 }] } })).json()).toMatchObject({ error: 'too_many_items' });
      const bytes = await small.app.inject({ method: 'POST', url: '/v1/ttl/batch', headers: { 'content-type': 'application/json' }, payload: batchOf([`{"baseTtl":1,"scope":"${'a'.repeat(2 * BATCH_BYTES_PER_ITEM)}"}`]) });
      expect(bytes.json()).toMatchObject({ error: 'body_too_large' });
    } finally {
      await small.app.close();
    }
    await expect(createServer({ clock: new MemoryPanicClock(), maxBatchItems: 0 })).rejects.toThrow(/maxBatchItems/);
  });

  it.each([
    ['{}', 'items', 'items is required'],
    ['{"items":{}}', 'items', /^items must be an array of decision requests/],
    ['{"items":"x"}', 'items', /^items must be an array/],
    ['[]', 'body', 'body must be a JSON object, got an array'],
    ['{"items":[],"extra":1}', 'extra', 'extra is not a known field'],
    ['{"items":[],"__proto__":{"polluted":true}}', '__proto__', '__proto__ is a forbidden key (prototype pollution)'],
    ['{"items":[{"baseTtl":60}],"constructor":{"prototype":{}}}', 'constructor.prototype', 'constructor.prototype is a forbidden key (prototype pollution)'],
    ['{"items":[{"baseTtl":60}],"x":{"__proto__":{}}}', 'x.__proto__', 'x.__proto__ is a forbidden key (prototype pollution)'],
  ])('a body that is not { items: [...] } is a 400 naming the field: %s', async (body, field, message) => {
    const answer = await postJson(`${base}/v1/ttl/batch`, body);
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'invalid_body', field });
    expect(answer.json().message).toMatch(message);
  });

  it('an empty batch is an empty answer; a body that is not JSON is a 400 invalid_json', async () => {
    expect((await postJson(`${base}/v1/ttl/batch`, '{"items":[]}')).json()).toEqual({ items: [] });
    expect((await postJson(`${base}/v1/ttl/batch`, '{"items":[')).json()).toMatchObject({ error: 'invalid_json', field: 'body' });
    expect((await postJson(`${base}/v1/ttl/batch`, '')).json()).toMatchObject({ error: 'invalid_json', field: 'body' });
  });
});

describe('POST /v1/ttl/batch against a hostile client', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), defaultMetrics: false, maxPanicScopes: 100, maxTrackedScopes: 50 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('a huge array of tiny items is refused whole (413) before any item is decided', async () => {
    const before = await server.telemetry.metrics.render();
    const body = `{"items":[${Array.from({ length: 400_000 }, () => '0').join(',')}]}`;
    expect(body.length).toBeLessThan(1000 * BATCH_BYTES_PER_ITEM);
    const answer = await postJson(`${base}/v1/ttl/batch`, body);
    expect(answer.status).toBe(413);
    expect(answer.json()).toMatchObject({ error: 'too_many_items', field: 'items' });
    expect((await server.telemetry.metrics.render()).match(/^vix_ttl_decisions_total.*$/gm)).toEqual(before.match(/^vix_ttl_decisions_total.*$/gm));
  });

  it('deep items in a small body (an item nested 5,000 levels, one of 1,000 nested objects) are those items’ errors; the others are decided', async () => {
    const deepArray = `{"baseTtl":60,"match":{"league":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const deepObject = `{"baseTtl":60,"match":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`;
    const body = batchOf(['{"baseTtl":60,"vixStatus":"calm"}', deepArray, deepObject, '{"baseTtl":30,"vixStatus":"calm"}']);
    expect(body.length).toBeLessThanOrEqual(16_384);
    const answer = await postJson(`${base}/v1/ttl/batch`, body);
    expect(answer.status).toBe(200);
    const items = itemsOf(answer);
    expect(items[0]).toMatchObject({ ttl: 60, tier: 0 });
    expect(items[1]).toEqual({ error: 'invalid_body', field: 'match.league', message: 'match.league must be a string, got an array' });
    expect(items[2]).toEqual({ error: 'invalid_body', field: 'match.a', message: 'match.a is not a known field' });
    expect(items[3]).toMatchObject({ ttl: 30, tier: 0 });
  });

  it(`a big body nested deeper than ${BATCH_MAX_DEPTH} levels (390,000 here) is refused before it is parsed; brackets inside strings do not count; the service keeps serving`, async () => {
    const deep = batchOf([`{"baseTtl":60,"match":{"league":${'['.repeat(390_000)}${']'.repeat(390_000)}}}`]);
    const answer = await postJson(`${base}/v1/ttl/batch`, deep);
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({ error: 'invalid_body', field: 'body', message: `body must not nest arrays and objects deeper than ${BATCH_MAX_DEPTH} levels (a batch nests 4)` });
    const bracketsInStrings = batchOf(Array.from({ length: 200 }, (_, i) => `{"baseTtl":${i},"match":{"league":"${'['.repeat(50)}\\"${'{'.repeat(40)}"}}`));
    expect(bracketsInStrings.length).toBeGreaterThan(16_384);
    const fine = await postJson(`${base}/v1/ttl/batch`, bracketsInStrings);
    expect(fine.status).toBe(200);
    expect(itemsOf(fine).map((d) => d.ttl)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await httpRequest(`${base}/healthz`)).status).toBe(200);
  });

  it('prototype-pollution keys inside items are those items’ errors and pollute nothing', async () => {
    const answer = await postJson(
      `${base}/v1/ttl/batch`,
      batchOf(['{"baseTtl":60,"__proto__":{"vixStatus":"panic"}}', '{"baseTtl":60,"match":{"__proto__":{"importance":"low_stakes"}}}', '{"baseTtl":60,"constructor":{"prototype":{"polluted":true}}}', '{"baseTtl":60,"vixStatus":"calm"}']),
    );
    expect(itemsOf(answer).map((a) => a.field ?? a.mode)).toEqual(['__proto__', 'match.__proto__', 'constructor.prototype', 'NORMAL']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).vixStatus).toBeUndefined();
  });

  it('long keys cannot make the answer larger than the body: a field is named in at most 200 characters', async () => {
    const key = (i: number) => `${i}-${'k'.repeat(900)}`;
    const body = batchOf(Array.from({ length: 1000 }, (_, i) => `{"baseTtl":60,"${key(i)}":1}`));
    const answer = await postJson(`${base}/v1/ttl/batch`, body);
    expect(answer.status).toBe(200);
    expect(answer.text.length).toBeLessThan(body.length);
    const first = itemsOf(answer)[0]!;
    expect(String(first.field)).toHaveLength(200);
    expect(first.field).toBe(`0-${'k'.repeat(98)}…${'k'.repeat(99)}`);
    expect(first.message).toBe(`${String(first.field)} is not a known field`);
  });

  it('a flood of new scopes in one batch still meets maxPanicScopes (100, a tenth of it per batch) and maxTrackedScopes (50)', async () => {
    const panics = Array.from({ length: 1000 }, (_, i) => `{"baseTtl":60,"vixStatus":"panic","scope":"flood-${i}"}`);
    const items = itemsOf(await postJson(`${base}/v1/ttl/batch`, batchOf(panics)));
    expect(items).toHaveLength(1000);
    expect(items.filter((d) => d.failSafe === false && d.tier === 1)).toHaveLength(10);
    expect(items.filter((d) => d.reason === 'scope_limit')).toHaveLength(990);
    expect(server.breaker.panicScopes.held).toBeLessThanOrEqual(100);
    const calms = Array.from({ length: 1000 }, (_, i) => `{"baseTtl":60,"vixStatus":"calm","scope":"calm-flood-${i}"}`);
    expect(itemsOf(await postJson(`${base}/v1/ttl/batch`, batchOf(calms))).every((d) => d.tier === 0)).toBe(true);
    expect(server.telemetry.scopes.list().length).toBeLessThanOrEqual(51); // global and at most maxTrackedScopes named ones
    const metrics = await server.telemetry.metrics.render();
    expect(new Set([...metrics.matchAll(/^vix_ttl_current_tier\{scope="([^"]+)"/gm)].map((m) => m[1])).size).toBeLessThanOrEqual(51);
    expect(metrics).toMatch(/^vix_ttl_fail_safe_total\{reason="scope_limit"\} 990$/m);
  });
});

describe('POST /v1/ttl/batch: one request takes at most a tenth of maxPanicScopes with new panic scopes', () => {
  let server: VixTtlServer;
  let base: string;
  const clock = new MemoryPanicClock();
  beforeAll(async () => {
    server = await createServer({ clock, defaultMetrics: false }); // maxPanicScopes 1,000: 100 per batch
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('1,000 new panic scopes in one batch: 100 take a place, 900 answer scope_limit (counted), and a panic posted afterwards by anyone still gets its tier', async () => {
    await clock.startPanic('started-elsewhere', { ageMs: 100 * 60_000 }); // another host's panic: read, never refused
    const panics = Array.from({ length: 1000 }, (_, i) => `{"baseTtl":60,"vixStatus":"panic","scope":"lockout-${i}"}`);
    panics[999] = '{"baseTtl":60,"vixStatus":"panic","scope":"started-elsewhere"}';
    const items = itemsOf(await postJson(`${base}/v1/ttl/batch`, batchOf(panics)));
    expect(items.slice(0, 100).every((d) => d.failSafe === false && d.tier === 1)).toBe(true);
    expect(items.slice(100, 999).every((d) => d.failSafe === true && d.ttl === 0 && d.reason === 'scope_limit')).toBe(true);
    expect(items[999]).toMatchObject({ failSafe: false, tier: 3 }); // 100 min into a medium_stakes panic
    expect(server.breaker.panicScopes).toEqual({ held: 100, max: 1000 });
    expect(await server.telemetry.metrics.render()).toMatch(/^vix_ttl_fail_safe_total\{reason="scope_limit"\} 899$/m);
    const single = (await postJson(`${base}/v1/ttl`, '{"baseTtl":60,"vixStatus":"panic","scope":"after-the-flood"}')).json();
    expect(single).toMatchObject({ failSafe: false, tier: 1, ttl: 0 });
    expect(server.breaker.panicScopes.held).toBe(101);
  });

  it('items of scopes already held do not count: 1,000 panics of one scope are one place, all at their tier', async () => {
    const items = itemsOf(await postJson(`${base}/v1/ttl/batch`, batchOf(Array.from({ length: 1000 }, () => '{"baseTtl":60,"vixStatus":"panic","scope":"one-scope"}'))));
    expect(items.every((d) => d.failSafe === false && d.tier === 1)).toBe(true);
  });
});

describe('POST /v1/ttl/batch logs its refused items as a refused request is logged', () => {
  it('one debug line per batch with refused items: how many, and the first one with its index and field', async () => {
    const captured = captureLogger('debug');
    const server = await createServer({ clock: new MemoryPanicClock(), logger: captured.logger, defaultMetrics: false });
    try {
      const batch = batchOf(['{"baseTtl":60}', '{"baseTtl":-1}', '{"baseTtl":60,"scope":"a b"}', '{"baseTtl":60}']);
      await server.app.inject({ method: 'POST', url: '/v1/ttl/batch', headers: { 'content-type': 'application/json', 'x-request-id': 'batch-1' }, payload: batch });
      await server.app.inject({ method: 'POST', url: '/v1/ttl/batch', headers: { 'content-type': 'application/json', 'x-request-id': 'batch-2' }, payload: batchOf(['{"baseTtl":60}']) });
      const lines = captured.lines.filter((line) => line.msg === 'VIX_TTL_BATCH_ITEMS_REFUSED');
      expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'batch-1', items: 4, refused: 2, first: { index: 1, error: 'invalid_body', field: 'baseTtl' } })]);
    } finally {
      await server.app.close();
    }
  });
});

describe('POST /v1/ttl/batch with the API token (VIX_TTL_API_TOKEN)', () => {
  const clock = new MemoryPanicClock();
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock, apiToken: API_TOKEN, adminToken: ADMIN_TOKEN, defaultMetrics: false });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  const panic = batchOf(['{"baseTtl":60,"vixStatus":"panic","scope":"guarded"}']);

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-right-token-at-all' }],
    ['the admin token', { authorization: `Bearer ${ADMIN_TOKEN}` }],
    ['the right token with another scheme', { authorization: `Basic ${API_TOKEN}` }],
  ])('401 with %s, and nothing is written', async (_label, headers) => {
    const answer = await postJson(`${base}/v1/ttl/batch`, panic, headers as Record<string, string>);
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ error: 'unauthorized', field: 'authorization' });
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="vix-ttl api"');
    expect((await clock.inspect('guarded')).active).toBe(false);
  });

  it('the token is checked before the body is read: headers alone get the 401', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/ttl/batch`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': '900000' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            checkResponse({ method: 'POST', url: `${base}/v1/ttl/batch`, status: res.statusCode ?? 0, headers: res.headers, body });
            resolve(res.statusCode ?? 0);
          } catch (error) {
            reject(error as Error);
          }
          req.destroy();
        });
      });
      req.on('error', (error) => (error.message.includes('socket hang up') || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      req.flushHeaders(); // the promised body never comes
    });
    expect(status).toBe(401);
  });

  it('with the token, the batch is decided and the panic written', async () => {
    const answer = await postJson(`${base}/v1/ttl/batch`, panic, { authorization: `Bearer ${API_TOKEN}` });
    expect(itemsOf(answer)).toEqual([expect.objectContaining({ tier: 1, mode: 'PANIC_FULL', failSafe: false })]);
    expect((await clock.inspect('guarded')).active).toBe(true);
  });
});

describe('POST /v1/ttl/batch on a real redis-server: many new scopes wait for the clock together', () => {
  let redis: RedisServer;
  let server: VixTtlServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
    // A generous store timeout: a slow answer on a loaded machine is not the subject; overrunning maxInFlight is.
    // maxPanicScopes 5,000: a batch may take 500 new panic scopes.
    server = await createServer({ clock: new RedisPanicClock(redis.client(), { timeoutMs: 10_000, maxInFlight: 64 }), timeoutMs: 10_000, defaultMetrics: false, maxPanicScopes: 5000 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.app.close();
    await server.breaker.clock?.close?.();
    await redis.stop();
  });

  it('500 panics in 500 new scopes are one clock round trip (one script), none fails safe store_busy (maxInFlight 64), and every start is written', async () => {
    const origin = server.app.listeningOrigin;
    await server.breaker.clock!.observeMany!([{ scope: 'warm-up', kind: 'read' }]); // the clock learns Redis's time, Redis the script (no scope of the breaker is due a refresh)
    const scopes = Array.from({ length: 500 }, (_, i) => `wave-${i}`);
    const before = await commandCalls(redis.client());
    const answer = await postJson(`${origin}/v1/ttl/batch`, batchOf(scopes.map((scope) => `{"baseTtl":60,"vixStatus":"panic","scope":"${scope}"}`)));
    const calls = diffCalls(before, await commandCalls(redis.client()));
    expect(calls).toMatchObject({ evalsha: 1 });
    expect(calls.eval).toBeUndefined();
    const items = itemsOf(answer);
    expect(items.filter((d) => d.failSafe)).toEqual([]);
    expect(items.every((d) => d.tier === 1)).toBe(true);
    expect(await redis.client().exists(...scopes.map((scope) => `brain:panic_start_ts:${scope}`))).toBe(500);
  });
});
