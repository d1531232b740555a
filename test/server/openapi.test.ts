import { validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isValidScope } from '../../src/clock/scope.js';
import { MemoryPanicClock } from '../../src/index.js';
import { apiSchemas } from '../../src/server/http/api-registry.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { HTTP_ERROR_NAMES } from '../../src/server/http/http-error.js';
import { openApiDocument, openApiDocumentText, type JsonObject } from '../../src/server/http/openapi-document.js';
import { scopeSchema, ttlRequestSchema } from '../../src/server/http/request-schemas.js';
import { checkedResponses, checkEvent, checkResponse, type Exchange } from '../support/openapi-conformance.js';
import { httpRequest, postJson, readEvents } from './http-helpers.js';
import { rawExchange } from './raw-socket.js';

const TOKEN = 'openapi-test-token-0123456789';
const API_TOKEN = 'openapi-test-api-token-0123456789'; // distinct: one token may not open the routes of two
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

let server: VixTtlServer;
let base: string;
beforeAll(async () => {
  // Every route the service can have: an API token, an admin token, the default VIX engine.
  server = await createServer({ clock: new MemoryPanicClock(), adminToken: TOKEN, apiToken: API_TOKEN });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  base = server.app.listeningOrigin;
});
afterAll(async () => server.app.close());

/** Every operation of the document, as `METHOD path` with the path in Fastify's form. */
function documentedRoutes(document: ReturnType<typeof openApiDocument>): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) routes.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
  }
  return routes;
}

/** Every value under `root`, with the path of keys leading to it. */
function* walk(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, value];
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) yield* walk(inner, [...path, key]);
}

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document as JSON, with the package version', async () => {
    const response = await httpRequest(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const document = response.json();
    expect(document).toEqual(openApiDocument());
    expect(document.openapi).toBe('3.1.0');
    expect((document.info as { version: string }).version).toBe(VERSION);
  });

  it('is built once per process, not per request: every server serves the same text', async () => {
    expect(openApiDocumentText()).toBe(openApiDocumentText());
    const [first, second] = await Promise.all([httpRequest(`${base}/openapi.json`), httpRequest(`${base}/openapi.json`)]);
    expect(first.text).toBe(openApiDocumentText());
    expect(second.text).toBe(first.text);
  });

  it('is open, like the other read-only routes, when the service has tokens', async () => {
    expect((await httpRequest(`${base}/openapi.json`, { method: 'HEAD' })).status).toBe(200);
    expect((await postJson(`${base}/v1/ttl`, '{"baseTtl":60}')).status).toBe(401);
  });
});

describe('the document, read by a real OpenAPI parser', () => {
  it('@readme/openapi-parser validates it as OpenAPI 3.1 (the official schema and the spec rules), without a warning', async () => {
    const result = await validate(structuredClone(openApiDocument()) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
  });

  it('every component schema is valid JSON Schema draft 2020-12 under Ajv strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });
    for (const [name, schema] of Object.entries(openApiDocument().components.schemas)) {
      expect(ajv.validateSchema(schema), `${name}: ${JSON.stringify(ajv.errors)}`).toBe(true);
    }
  });

  it('every route the service registers is documented, and every documented operation is a route (HEAD: the twin of a GET)', async () => {
    const registered = new Set<string>();
    for (const method of METHODS) {
      // A tree (a child's line holds the rest of its path after its parent's), indented four characters a level.
      const parents: string[] = [];
      for (const line of server.app.printRoutes({ method, commonPrefix: false }).split('\n')) {
        const match = /^(.*?)[└├]── (\S+) \(/.exec(line);
        if (!match) continue;
        const depth = match[1]!.length / 4;
        parents[depth] = (parents[depth - 1] ?? '') + match[2]!;
        registered.add(`${method} ${parents[depth]}`);
      }
    }
    const documented = documentedRoutes(openApiDocument());
    const heads = [...registered].filter((route) => route.startsWith('HEAD '));
    expect(heads.filter((route) => !documented.has(route.replace('HEAD', 'GET')))).toEqual([]);
    expect([...registered].filter((route) => !route.startsWith('HEAD ')).sort()).toEqual([...documented].sort());
    expect(heads).not.toContain('HEAD /v1/events');
  });

  it('x-unrouted-responses holds what a request to no route gets: its JSON body is read and checked first, another body is not', async () => {
    const post = (body: string, type: string) => httpRequest(`${base}/nowhere`, { method: 'POST', body, headers: { 'content-type': type } });
    expect((await post('{', 'application/json')).json()).toMatchObject({ error: 'invalid_json' });
    expect((await post('{"__proto__":{}}', 'application/json')).json()).toMatchObject({ error: 'invalid_body', field: '__proto__' });
    expect((await post('x'.repeat(20_000), 'application/json')).json()).toMatchObject({ error: 'body_too_large' });
    expect((await post('x', 'text/plain')).json()).toMatchObject({ error: 'not_found' });
    expect(Object.keys(openApiDocument()['x-unrouted-responses'])).toEqual(['400', '404', '405', '408', '413', '417', '431', '500', '503']);
  });

  it('client generators can name everything: unique operationIds, a tag each, every JSON body a named component, no construct they refuse', () => {
    const document = openApiDocument();
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags).toHaveLength(1);
    }
    const names = new Set(Object.keys(document.components.schemas));
    for (const [path, value] of walk(document)) {
      const key = path.at(-1);
      // A body's schema is a reference to a named component (or a union of them), so generators name its model.
      if (key === 'schema' && path.includes('content') && path.at(-2)?.includes('json')) {
        const schema = value as JsonObject;
        const refs = schema.$ref ? [schema.$ref] : ((schema.anyOf ?? []) as JsonObject[]).map((s) => s.$ref);
        expect(refs.length, path.join('.')).toBeGreaterThan(0);
        for (const ref of refs) expect(ref, path.join('.')).toMatch(/^#\/components\/schemas\//);
      }
      if (key === '$ref') expect(names.has(String(value).replace('#/components/schemas/', '')), `${path.join('.')} → ${String(value)}`).toBe(true);
      // Standalone-schema keywords and JSON Schema constructs that generators (openapi-python-client's Schema model,
      // datamodel-code-generator) refuse or mistranslate.
      for (const refused of ['$id', '$schema', '$defs', 'prefixItems', '$dynamicRef', 'unevaluatedProperties', 'if', 'not', 'patternProperties', 'dependentSchemas']) {
        if (path.includes('schemas') && key === refused) throw new Error(`${path.join('.')}: ${refused}`);
      }
      if (key === 'items') expect(typeof value, path.join('.')).toBe('object');
      if (key === 'const') expect(['string', 'number', 'boolean'], path.join('.')).toContain(typeof value);
    }
  });

  it('the Error schema lists every error name, and each route documents its errors under their statuses', () => {
    const document = openApiDocument();
    const errorNames = ((document.components.schemas.Error!.properties as JsonObject).error as JsonObject).enum;
    expect(errorNames).toEqual([...HTTP_ERROR_NAMES]);
    const listed = new Set<string>();
    for (const [path, value] of walk(document)) if (path.at(-1) === 'x-error-names') for (const name of value as string[]) listed.add(name);
    // upstream_timeout maps a cache's LoaderTimeoutError for applications that embed the cache; no route of the service gives it.
    expect([...listed].sort()).toEqual(HTTP_ERROR_NAMES.filter((name) => name !== 'upstream_timeout').sort());
    const ticks = document.paths['/v1/ticks']!.post!.responses as Record<string, JsonObject>;
    expect(ticks['429']).toMatchObject({ 'x-error-names': ['busy'], headers: { 'Retry-After': { required: true } } });
    expect(ticks['413']!['x-error-names']).toEqual(['body_too_large', 'too_many_ticks']);
    expect(document.paths['/v1/ttl']!.post!.security).toEqual([{ apiToken: [] }, {}]);
    expect(document.paths['/v1/admin/reset']!.post!.security).toEqual([{ adminToken: [] }]);
    expect(document.paths['/metrics']!.get!.security).toEqual([{ metricsToken: [] }, {}]);
  });

  it('describes what is validated and what is answered alike: no schema transforms (input and output JSON Schemas are equal)', () => {
    const uri = (id: string) => `#/components/schemas/${id}`;
    expect(z.toJSONSchema(apiSchemas, { uri, io: 'input' })).toEqual(z.toJSONSchema(apiSchemas, { uri, io: 'output' }));
  });

  it("the scope's pattern in the document accepts exactly what the clock accepts", () => {
    const scopeish = fc.string({ unit: fc.constantFrom(...'Aa0:_.-/ é\u0000'), maxLength: 70 });
    fc.assert(
      fc.property(fc.oneof(scopeish, fc.string({ maxLength: 70 })), (scope) => {
        expect(scopeSchema.safeParse(scope).success).toBe(isValidScope(scope));
        expect(new RegExp(openApiDocument().components.schemas.Scope!.pattern as string, 'u').test(scope)).toBe(isValidScope(scope));
      }),
      { numRuns: 300 },
    );
    expect(ttlRequestSchema.safeParse({ baseTtl: 1, scope: 'x'.repeat(65) }).success).toBe(false);
  });
});

describe('the conformance check every HTTP test runs', () => {
  const decision = { ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', panicDurationMin: 0, nextTierInMin: 30, failSafe: false };
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const exchange = (overrides: Partial<Exchange>): Exchange => ({ method: 'POST', url: '/v1/ttl', status: 200, headers: json, body: JSON.stringify(decision), ...overrides });

  it('accepts what the document says', () => {
    expect(() => checkResponse(exchange({}))).not.toThrow();
    expect(() => checkResponse(exchange({ status: 400, body: '{"error":"invalid_body","field":"baseTtl","message":"baseTtl is required"}' }))).not.toThrow();
    expect(() => checkResponse(exchange({ method: 'HEAD', url: '/v1/state', body: '' }))).not.toThrow();
    expect(() => checkResponse(exchange({ method: 'DELETE', url: '/nowhere', status: 404, body: '{"error":"not_found","field":null,"message":"no route"}' }))).not.toThrow();
    expect(() => checkResponse(exchange({ method: 'GET', url: '/assets/dashboard.js', status: 304, headers: { etag: '"x"' }, body: '' }))).not.toThrow();
  });

  const refused: Array<[string, Partial<Exchange>, RegExp]> = [
    ['a status the route does not document', { status: 418 }, /status 418 is not documented for POST \/v1\/ttl/],
    ['a body missing a field', { body: JSON.stringify({ ...decision, failSafe: undefined }) }, /must have required property 'failSafe'/],
    ['a field the schema does not have', { body: JSON.stringify({ ...decision, extra: 1 }) }, /must NOT have additional properties/],
    ['a value of the wrong type', { body: JSON.stringify({ ...decision, tier: '1' }) }, /TtlDecision/],
    ['an error name the response does not list', { status: 400, body: '{"error":"busy","field":null,"message":"x"}' }, /error busy is not one of the names this response lists \(invalid_body, invalid_json, bad_request\)/],
    ['a content type the response does not list', { headers: { 'content-type': 'text/plain' } }, /content type text\/plain is not one of application\/json/],
    ['a body that is not JSON', { body: '{"ttl":' }, /the body is not JSON/],
    ['a 429 without Retry-After', { url: '/v1/ticks', status: 429, body: '{"error":"busy","field":null,"message":"x"}' }, /the required header Retry-After is missing/],
    ['a 304 with a body', { method: 'GET', url: '/', status: 304, headers: { etag: '"x"' }, body: 'x' }, /gives this response no body/],
    ['a 200 to a request that matches no route', { method: 'GET', url: '/v1/nothing' }, /no route matches, and 200 is not in x-unrouted-responses/],
  ];

  it.each(refused)('refuses %s', (_label, overrides, message) => {
    expect(() => checkResponse(exchange(overrides))).toThrow(message);
  });

  it('refuses an event the stream does not document, or data that does not match it', () => {
    expect(() => checkEvent('/v1/events', 'gossip', {})).toThrow(/an event "gossip" the document does not list/);
    expect(() => checkEvent('/v1/events', 'transition', { seq: 1 })).toThrow(/event transition: the data does not match .*VixTransition/);
  });

  it('runs on every response of the shared helpers, fetch included, on raw-socket answers and on server-sent events', async () => {
    const count = (key: string) => checkedResponses.get(key) ?? 0;
    const before = { helper: count('GET /healthz 200'), fetch: count('GET /readyz 200'), raw: count('POST /v1/ttl 400'), unrouted: count('GET unrouted 404'), event: count('EVENT /v1/events state') };
    const stream = readEvents(base, (events) => events.length > 0);
    await stream.finished;
    await httpRequest(`${base}/healthz`);
    await fetch(`${base}/readyz`);
    await rawExchange(Number(new URL(base).port), [`POST /v1/ttl HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`]);
    await httpRequest(`${base}/v1/nothing`);
    expect(count('GET /healthz 200')).toBe(before.helper + 1);
    expect(count('GET /readyz 200')).toBe(before.fetch + 1);
    expect(count('POST /v1/ttl 400')).toBe(before.raw + 1);
    expect(count('GET unrouted 404')).toBe(before.unrouted + 1);
    expect(count('EVENT /v1/events state')).toBe(before.event + 1);
  });
});
