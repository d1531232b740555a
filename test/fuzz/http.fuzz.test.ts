import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, RedisPanicClock, type VixTtlServer } from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { httpRequest, type HttpResult } from '../server/http-helpers.js';

const TOKEN = 'fuzz-admin-token-0123456789';
let redisServer: RedisServer;
let redis: Redis;
let server: VixTtlServer;
let base: string;
let logLines: Array<Record<string, unknown>>;

beforeAll(async () => {
  redisServer = await RedisServer.start();
  redis = redisServer.client();
  const captured = captureLogger('info');
  logLines = captured.lines;
  // Store timeouts are not the subject here (client input is): generous, so a loaded machine gives no 503.
  const timeouts = { timeoutMs: 5000, readyTimeoutMs: 5000, adminTimeoutMs: 10_000 };
  server = await createServer({ clock: new RedisPanicClock(redis, { timeoutMs: 5000 }), logger: captured.logger, adminToken: TOKEN, ...timeouts });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  base = server.app.listeningOrigin;
});
afterAll(async () => {
  await server.app.close();
  await redisServer.stop();
});

/** A valid body with one part replaced by something generated: the mutations a real client sends. */
const field = fc.constantFrom('baseTtl', 'vixStatus', 'match', 'scope', 'match.league', 'match.matchType', 'match.importance', '__proto__', 'constructor', 'extra');
const anything = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1e308, -0, '60', '', 'panic', 'PANIC', 'x'.repeat(5000), null, true, [], {}, { __proto__: { polluted: true } }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);
const mutatedBody = fc.tuple(field, anything).map(([path, value]) => {
  const body: Record<string, unknown> = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: 'ligue-1' };
  const [head, tail] = path.split('.');
  if (tail) body[head!] = { ...(body[head!] as object), [tail]: value };
  else body[head!] = value;
  return JSON.stringify(body).replace('"extra"', '"__proto__"');
});
const rawBody = fc.oneof(
  mutatedBody,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constantFrom('{', '{"baseTtl":60,', '[]', '""', 'null', '{"constructor":{"prototype":{"x":1}}}', `{"a":${'['.repeat(5000)}}`),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/JSON', '');
const route = fc.constantFrom('/v1/ttl', '/v1/admin/panic', '/v1/admin/reset');

function expectWellFormedError(response: HttpResult): void {
  expect(response.status).toBeLessThan(500);
  if (response.status < 400) return;
  const body = response.json() as { error?: unknown; field?: unknown; message?: unknown };
  expect(typeof body.error).toBe('string');
  expect(typeof body.field).toBe('string');
  expect((body.field as string).length).toBeGreaterThan(0);
  expect(typeof body.message).toBe('string');
}

describe('HTTP fuzzing against a service on a real redis-server', () => {
  it('generated bodies on POST routes: 0 × 5xx, and every error is JSON naming its field', async () => {
    await fc.assert(
      fc.asyncProperty(route, rawBody, contentType, fc.boolean(), async (path, body, type, authorized) => {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        if (authorized) headers.authorization = `Bearer ${TOKEN}`;
        expectWellFormedError(await httpRequest(`${base}${path}`, { method: 'POST', body, headers }));
      }),
      { numRuns: 600 },
    );
  });

  it('generated paths, methods and authorization headers: 0 × 5xx', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    const path = fc.oneof(
      fc.constantFrom('/', '/v1/state', '/v1/ttl', '/metrics', '/healthz', '/readyz', '/assets/dashboard.js', '/assets/../package.json', '/assets/%2e%2e%2fpackage.json', '/v1/admin/panic'),
      fc.webPath(),
    );
    const auth = fc.oneof(fc.constant(undefined), fc.string(), fc.constant(`Bearer ${TOKEN}`), fc.string().map((s) => `Bearer ${s}`));
    await fc.assert(
      fc.asyncProperty(method, path, auth, async (m, p, a) => {
        const response = await httpRequest(`${base}${p.startsWith('/') ? p : `/${p}`}`, { method: m, headers: a === undefined ? {} : { authorization: a } });
        expect(response.status).toBeLessThan(500);
        if (p.includes('..') || p.includes('%2e')) expect(response.text).not.toContain('"name": "vix-ttl"');
      }),
      { numRuns: 300 },
    );
  });

  it('the process is still healthy, and nothing was logged as a server error', async () => {
    expect((await httpRequest(`${base}/healthz`)).status).toBe(200);
    expect((await httpRequest(`${base}/readyz`)).status).toBe(200);
    expect(logLines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
