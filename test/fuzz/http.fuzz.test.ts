import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { MemoryPanicClock } from '../../src/index.js';
import { httpRequest, type HttpResult } from '../server/http-helpers.js';
import { rawExchange, splitResponses } from '../server/raw-socket.js';

const TOKEN = 'fuzz-admin-token-0123456789';
const API_TOKEN = 'fuzz-api-token-0123456789ab'; // distinct: one token may not open both
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

describe('raw request fuzzing: whatever bytes arrive, every error answer is { error, field, message }', () => {
  let rawServer: VixTtlServer;
  let port: number;
  let rawLog: Array<Record<string, unknown>>;
  beforeAll(async () => {
    const captured = captureLogger('info');
    rawLog = captured.lines;
    rawServer = await createServer({ clock: new MemoryPanicClock(), logger: captured.logger, adminToken: TOKEN, apiToken: API_TOKEN, requestTimeoutMs: 2000 });
    await rawServer.app.listen({ port: 0, host: '127.0.0.1' });
    port = (rawServer.app.server.address() as { port: number }).port;
  });
  afterAll(async () => rawServer.app.close());

  const token = (chars: string, max: number) => fc.string({ unit: fc.constantFrom(...chars), maxLength: max });
  // Mostly well-formed parts, so that the routes and Fastify's own refusals are reached too, not only the parser's.
  const method = fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST'), weight: 6 }, fc.constantFrom('PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI', 'get', 'G T', ''), token('ABCDEFGHIJKLMNOPQRSTUVWXYZ-_!\x00', 12));
  const target = fc.oneof(
    { arbitrary: fc.constantFrom('/v1/ttl', '/v1/ticks', '/v1/admin/reset'), weight: 3 },
    fc.constantFrom('/', '/v1/ttl', '/v1/ticks', '/v1/state', '/metrics', '/healthz', '/v1/admin/panic', '/%', '/%zz', '/%E0%A4%A', '*', 'http://x/%', '//a', '/v1/state?x=%', '/assets/..%2f..%2fpackage.json'),
    fc.webPath(),
    fc.string({ maxLength: 60 }),
  );
  const version = fc.oneof({ arbitrary: fc.constant('HTTP/1.1'), weight: 6 }, fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'http/1.1', 'HTTP/1.1 extra', ''));
  const header = fc.oneof(
    { arbitrary: fc.constantFrom('Host: x', 'Content-Type: application/json', `Authorization: Bearer ${TOKEN}`, `Authorization: Bearer ${API_TOKEN}`), weight: 6 },
    fc.constantFrom('Host: x', 'Content-Type: application/json', 'Content-Length: 14', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Expect: 100-continue', 'Expect: nothing', `Authorization: Bearer ${TOKEN}`, 'Connection: upgrade', 'Upgrade: websocket', ' folded', 'X: y\0z'),
    fc.tuple(token('abcdefghijklmnopqrstuvwxyz-:', 20), fc.string({ maxLength: 40 })).map(([name, value]) => `${name}: ${value}`),
    fc.string({ maxLength: 40 }),
  );
  const request = fc
    .record({ method, target, version, headers: fc.tuple(fc.oneof({ arbitrary: fc.constant(['Host: x']), weight: 9 }, fc.constant([])), fc.array(header, { maxLength: 4 })).map(([host, rest]) => [...host, ...rest]), body: fc.oneof(fc.constant(''), fc.constant('{"baseTtl":60}'), fc.string({ maxLength: 80 })), eol: fc.oneof({ arbitrary: fc.constant('\r\n'), weight: 9 }, fc.constant('\n')) })
    .map(({ method: m, target: t, version: v, headers, body, eol }) => [`${m} ${t} ${v}`.trimEnd(), ...headers, 'Connection: close', '', body].join(eol));

  it('generated request lines, headers and bodies on a raw socket: 0 × 5xx, every 4xx in our JSON shape, the connection always ends', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (raw) => {
        const answer = await rawExchange(port, [raw], { end: true, giveUpMs: 10_000 });
        expect(answer.text).not.toMatch(/^HTTP\/1\.[01] 5\d\d/m);
        const [first] = splitResponses(answer.text);
        if (!first || first.status < 400 || raw.startsWith('HEAD ')) return;
        expect(first.headers['content-type'], answer.text.slice(0, 200)).toMatch(/^application\/json/);
        const body = JSON.parse(first.body) as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(['error', 'field', 'message']);
        expect(typeof body.error).toBe('string');
        expect(body.field === null || typeof body.field === 'string').toBe(true);
        expect(typeof body.message).toBe('string');
      }),
      { numRuns: 400 },
    );
    expect((await httpRequest(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(rawLog.filter((line) => Number(line.level) >= 50)).toEqual([]);
  }, 120_000);
});
