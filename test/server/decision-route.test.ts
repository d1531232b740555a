import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AdaptivePanicQuota, MemoryPanicClock } from '../../src/index.js';
import { IMPORTANCES } from '../../src/policy/importance.js';
import type { TtlDecision } from '../../src/policy/ttl-decision.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { ttlRequestSchema } from '../../src/server/http/request-schemas.js';
import { errorBodySchema, FAIL_SAFE_REASONS, ttlDecisionSchema } from '../../src/server/http/response-schemas.js';
import { serializationSchema } from '../../src/server/http/serialization-schema.js';
import { isTtlRequest } from '../../src/server/http/ttl-request.js';
import { captureLogger } from '../support/capture-logger.js';
import { httpRequest, postJson } from './http-helpers.js';

/** helmet's headers for documents a browser renders: the dashboard carries them, JSON answers do not. */
const PAGE_ONLY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

describe('the decision check by hand accepts exactly what ttlRequestSchema accepts', () => {
  // Valid requests, then valid requests with one field (or key) set to an edge of its rule, valid or not.
  const validName = fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom('', 'x'.repeat(100), 'é'.repeat(100), 'Ligue 1'));
  const validMatch = fc.record({ league: validName, matchType: validName, importance: fc.constantFrom(...IMPORTANCES) }, { requiredKeys: [] });
  const validScope = fc.oneof(fc.stringMatching(/^[A-Za-z0-9:_.-]{0,64}$/), fc.constantFrom('', 'a'.repeat(64)));
  const valid = fc.record(
    { baseTtl: fc.oneof(fc.double({ min: 0, max: 31_536_000, noNaN: true }), fc.integer({ min: 0, max: 31_536_000 })), vixStatus: fc.constantFrom('calm', 'elevated', 'panic'), match: validMatch, scope: validScope },
    { requiredKeys: ['baseTtl'] },
  );
  const edges: Record<string, readonly unknown[]> = {
    baseTtl: [0, -0, 31_536_000, 31_536_001, 31_535_999.5, 31_536_000.000001, -1, -Number.MIN_VALUE, Infinity, -Infinity, Number.NaN, '60', null, true, [60], { value: 60 }, undefined],
    vixStatus: ['calm', 'elevated', 'panic', 'PANIC', '', 'meltdown', 1, null, ['panic']],
    match: [{}, null, [], 'Premier League', 0, { league: 'x'.repeat(100) }, { league: 'x'.repeat(101) }, { matchType: 'é'.repeat(101) }, { league: 42 }, { importance: 'HIGH_STAKES' }, { importance: null }, { leage: 'x' }, { constructor: { prototype: {} } }, { league: 'a', extra: 1 }],
    scope: ['', 'a'.repeat(64), 'a'.repeat(65), 'bad scope', 'ligue/1', 'é', 'x\u0000', 42, null, 'match:123_a.b-c'],
    ttl: [5],
    __proto__: [{ polluted: true }],
  };
  const withEdge = fc.tuple(valid, fc.constantFrom(...Object.keys(edges)), fc.nat()).map(([request, key, n]) => {
    const options = edges[key]!;
    const copy: Record<string, unknown> = { ...request };
    Object.defineProperty(copy, key, { value: options[n % options.length], enumerable: true, writable: true, configurable: true });
    return copy;
  });
  const withoutBaseTtl = valid.map(({ baseTtl: _baseTtl, ...rest }) => rest);
  const anything = fc.oneof(valid, withEdge, withEdge, withEdge, withoutBaseTtl, fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, [], 'x', 42, {}));

  it('on 2,000 generated values, near-valid ones mostly (and the value is taken as is: the schema gives it back unchanged)', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const parsed = ttlRequestSchema.safeParse(value);
        expect(isTtlRequest(value)).toBe(parsed.success);
        if (parsed.success) expect(parsed.data).toEqual(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('on the same values after a JSON round trip (what a body is)', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const text = JSON.stringify(value);
        if (text === undefined) return;
        const body = JSON.parse(text) as unknown;
        expect(isTtlRequest(body)).toBe(ttlRequestSchema.safeParse(body).success);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['a valid full request', '{"baseTtl":60,"vixStatus":"panic","match":{"league":"Ligue 1","matchType":"final","importance":"high_stakes"},"scope":"ligue-1"}', true],
    ['the smallest', '{"baseTtl":0}', true],
    ['an empty scope (global)', '{"baseTtl":1,"scope":""}', true],
    ['1e400 (Infinity once parsed)', '{"baseTtl":1e400}', false],
    ['a JSON-escaped __proto__ key', '{"baseTtl":60,"\\u005f_proto__":{"x":1}}', false],
    ['__proto__ in match', '{"baseTtl":60,"match":{"__proto__":{"importance":"low_stakes"}}}', false],
    ['constructor.prototype in match', '{"baseTtl":60,"match":{"constructor":{"prototype":{}}}}', false],
    ['a duplicate key whose last value is wrong', '{"baseTtl":60,"baseTtl":"x"}', false],
  ])('%s', (_label, text, valid) => {
    const body = JSON.parse(text) as unknown;
    expect(isTtlRequest(body)).toBe(valid);
    expect(ttlRequestSchema.safeParse(body).success).toBe(valid);
  });
});

describe('the decision serializer (fast-json-stringify, compiled from the schema) writes what JSON.stringify writes', () => {
  const policy = new AdaptivePanicQuota();
  const decisions: TtlDecision[] = [];
  for (const importance of IMPORTANCES) {
    for (const baseTtl of [0, 1, 5.5, 60, 31_536_000]) {
      decisions.push(policy.calculateTtlStrategy(baseTtl, null, { importance }));
      for (const minutes of [0, 1e-7, 1 / 3, 14.999999, 15, 30, 59.5, 60, 89.99, 90, 180, 359.9, 360, 10_000]) decisions.push(policy.calculateTtlStrategy(baseTtl, minutes, { importance }));
      for (const reason of FAIL_SAFE_REASONS) decisions.push(policy.failSafeDecision(baseTtl, { importance }, reason));
    }
  }

  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    // The route's schema, as the service compiles it for POST /v1/ttl.
    app.post<{ Body: TtlDecision }>('/echo', { schema: { response: { 200: serializationSchema(ttlDecisionSchema) } } }, async (request) => request.body);
    await app.ready();
  });
  afterAll(async () => app.close());

  const serialized = async (decision: TtlDecision) => (await app.inject({ method: 'POST', url: '/echo', payload: decision })).payload;

  it(`every tier, importance, base TTL and fail-safe reason of the policy (${decisions.length} decisions), the optional reason included`, async () => {
    expect(decisions.some((d) => d.reason !== undefined) && decisions.some((d) => d.reason === undefined) && decisions.some((d) => d.nextTierInMin === null && d.tier === 4)).toBe(true);
    for (const decision of decisions) expect(await serialized(decision)).toBe(JSON.stringify(decision));
  });

  it('any duration and base TTL (300 generated)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 31_536_000, noNaN: true }), fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })), fc.constantFrom(...IMPORTANCES), async (baseTtl, minutes, importance) => {
        const decision = policy.calculateTtlStrategy(baseTtl, minutes, { importance });
        expect(await serialized(decision)).toBe(JSON.stringify(decision));
      }),
      { numRuns: 300 },
    );
  });

  it('is derived from the zod schema: nullable numbers become a type list, and a shape the serializer would guess at is refused', () => {
    const schema = serializationSchema(ttlDecisionSchema) as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(schema.properties.panicDurationMin).toEqual({ type: ['number', 'null'], minimum: 0 });
    expect(schema.additionalProperties).toBe(false);
    expect(() => serializationSchema(z.strictObject({ answers: z.array(z.union([ttlDecisionSchema, errorBodySchema])) }))).toThrow(/answers\[\] is a union/);
    expect(() => serializationSchema(z.record(z.string(), z.number()))).toThrow(/must be an object with known fields/);
  });
});

describe('the decision route', () => {
  const captured = captureLogger('debug');
  let server: VixTtlServer;
  let base: string;
  const loggerPerRequest: boolean[] = [];
  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), logger: captured.logger, aggregateMetrics: () => () => Promise.reject(new Error('the primary is gone')) });
    server.app.addHook('onResponse', (request, _reply, done) => {
      loggerPerRequest.push(request.log !== server.app.log);
      done();
    });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('JSON answers carry the headers an API needs (nosniff, no-store, the worker), not those of a page', async () => {
    const answers = [
      await postJson(`${base}/v1/ttl`, '{"baseTtl":60,"vixStatus":"panic","scope":"epl"}'),
      await postJson(`${base}/v1/ttl`, '{"baseTtl":-1}'),
      await postJson(`${base}/v1/ttl/batch`, '{"items":[{"baseTtl":60}]}'),
      await httpRequest(`${base}/v1/nope`),
      await httpRequest(`${base}/healthz`),
      await httpRequest(`${base}/v1/state`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 200, 404, 200, 200]);
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['x-vix-ttl-worker']).toBe(String(process.pid));
      expect(PAGE_ONLY_HEADERS.filter((header) => header in answer.headers)).toEqual([]);
    }
  });

  it('the dashboard page, its files and its event stream keep the full helmet set', async () => {
    for (const path of ['/', '/assets/dashboard.js', '/assets/uplot.min.css']) {
      const answer = await httpRequest(`${base}${path}`);
      expect(answer.status, path).toBe(200);
      expect(PAGE_ONLY_HEADERS.filter((header) => !(header in answer.headers)), path).toEqual([]);
      expect(answer.headers['x-vix-ttl-worker']).toBe(String(process.pid));
      expect(answer.headers['cache-control']).toBe('no-cache');
    }
  });

  it('takes no child logger per request, yet a refusal is logged (debug) and a server fault (error) with the request id', async () => {
    const before = captured.lines.length;
    expect((await postJson(`${base}/v1/ttl`, '{"baseTtl":"60"}', { 'x-request-id': 'refused-1' })).status).toBe(400);
    expect((await httpRequest(`${base}/metrics`, { headers: { 'x-request-id': 'fault-1' } })).status).toBe(503);
    for (let i = 0; i < 20; i += 1) await postJson(`${base}/v1/ttl`, '{"baseTtl":60,"vixStatus":"calm"}');
    expect(loggerPerRequest.length).toBeGreaterThanOrEqual(22);
    expect(loggerPerRequest.filter(Boolean)).toEqual([]);
    const lines = captured.lines.slice(before);
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, reqId: 'refused-1', status: 400, field: 'baseTtl', msg: 'baseTtl must be a number of seconds, got "60"' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, reqId: 'fault-1', msg: 'VIX_TTL_HTTP_ERROR' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, reqId: 'fault-1', route: '/metrics', status: 503, msg: 'VIX_TTL_HTTP_5XX' }));
  });

  it('names a field in at most 200 characters, however long the key', async () => {
    const answer = await postJson(`${base}/v1/ttl`, `{"baseTtl":60,"${'k'.repeat(10_000)}":1}`);
    expect(answer.status).toBe(400);
    const { field, message } = answer.json() as { field: string; message: string };
    expect(field).toHaveLength(200);
    expect(message).toBe(`${field} is not a known field`);
    expect(answer.text.length).toBeLessThan(600);
  });

  it('refuses prototype-pollution keys however they are spelt, though a valid body is never walked for them', async () => {
    for (const [body, field] of [
      ['{"baseTtl":60,"\\u005f\\u005fproto__":{"x":1}}', '__proto__'],
      ['{"baseTtl":60,"match":{"constructor":{"\\u0070rototype":{}}}}', 'match.constructor.prototype'],
      ['{"baseTtl":60,"scope":"x","__proto__":{"baseTtl":1}}', '__proto__'],
    ] as const) {
      const answer = await postJson(`${base}/v1/ttl`, body);
      expect(answer.status, body).toBe(400);
      expect(answer.json(), body).toEqual({ error: 'invalid_body', field, message: `${field} is a forbidden key (prototype pollution)` });
    }
  });
});
