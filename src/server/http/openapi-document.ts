import { z } from 'zod';
import { PACKAGE_VERSION } from '../../core/package-version.js';
import type { ApiEventStream, ApiHeader, ApiOperation, ApiResponse } from './api-operation.js';
import { apiSchemas } from './api-registry.js';
import { HTTP_ERROR_STATUS, type HttpErrorName } from './http-error.js';
import { errorBodySchema } from './response-schemas.js';
import { adminOperations } from './routes/admin-routes.js';
import { dashboardOperations } from './routes/dashboard-routes.js';
import { healthOperations } from './routes/health-routes.js';
import { openApiOperations } from './routes/openapi-routes.js';
import { stateOperations } from './routes/state-routes.js';
import { tickOperations } from './routes/tick-routes.js';
import { ttlOperations } from './routes/ttl-routes.js';

/** A JSON value, as the document holds them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object of the document. */
export type JsonObject = { [key: string]: JsonValue };

/** The OpenAPI 3.1 document of the service (see {@link openApiDocument}). */
export interface OpenApiDocument extends JsonObject {
  openapi: '3.1.0';
  info: JsonObject;
  paths: { [path: string]: { [method: string]: JsonObject } };
  components: { schemas: { [name: string]: JsonObject }; securitySchemes: JsonObject };
  /** What a request that matches no route gets (a 404 `not_found`, or a refusal before routing), by status. */
  'x-unrouted-responses': { [status: string]: JsonObject };
}

/**
 * Every operation of the service, in the order of the document. A new route declares
 * its `ApiOperation` next to its code and is added here; a test fails for a route the
 * service registers that this list lacks.
 */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...ttlOperations,
  ...tickOperations,
  ...stateOperations,
  ...healthOperations,
  ...adminOperations,
  ...dashboardOperations,
  ...openApiOperations,
];

/** The errors any request can get, whatever its route: refusals of the request itself, shutdown, a fault. */
const COMMON_ERRORS: readonly HttpErrorName[] = ['bad_request', 'request_timeout', 'headers_too_large', 'expectation_failed', 'shutting_down', 'internal_error'];

/**
 * The errors of a request that matches no route: refusals before routing, and those of
 * its JSON body, which is read (and checked) before the 404 like any other (a body of
 * another type is not read: the 404 `not_found`).
 */
const UNROUTED_ERRORS: readonly HttpErrorName[] = ['bad_request', 'invalid_json', 'invalid_body', 'not_found', 'method_not_allowed', 'request_timeout', 'body_too_large', 'expectation_failed', 'headers_too_large', 'shutting_down', 'internal_error'];

/** What each error means, for the descriptions of the responses that carry it. */
const ERROR_TEXT: Readonly<Record<HttpErrorName, string>> = {
  invalid_body: 'the body breaks a rule; field names the part at fault (a dotted path such as match.league, or body).',
  invalid_json: 'the body is empty or not JSON (field body).',
  bad_request: 'the request is malformed (request line, a header, Content-Length, Transfer-Encoding, a chunk; HTTP/1.1 without Host): field names the part, or is null. The connection is closed.',
  unauthorized: 'Authorization is missing or not the bearer token (field authorization); WWW-Authenticate carries the challenge. Checked before the body is read (and before 100 Continue); the connection is closed.',
  admin_disabled: 'the service runs without an admin token (VIX_TTL_ADMIN_TOKEN).',
  not_found: 'no such route or file (also a path that is not valid percent-encoding).',
  method_not_allowed: 'CONNECT: the service is not a proxy. The connection is closed.',
  request_timeout: 'the request did not fully arrive within the request timeout (30 s by default; field headers or body). The connection is closed.',
  body_too_large: 'the body is over the limit (16 KiB; 1 MiB for POST /v1/ticks, 1 KiB per item for POST /v1/ttl/batch by default).',
  too_many_ticks: 'the batch holds more ticks than maxTicksPerBatch (10,000 by default; field ticks): split it.',
  too_many_items: 'the batch holds more decision requests than maxBatchItems (1,000 by default; field items): split it.',
  unsupported_media_type: 'the body is not application/json (field content-type).',
  expectation_failed: 'an Expect header other than 100-continue (field expect). The connection is closed.',
  busy: 'more tick batches at once than the service takes (--max-tick-batches), or more ticks per second (--max-ticks-per-second): retry after Retry-After seconds.',
  headers_too_large: 'the request line and headers are over 16 KiB. The connection is closed.',
  internal_error: 'a fault of the service, logged with its stack; client input never gives it.',
  shutting_down: 'the service is draining: retry on another instance.',
  too_many_clients: 'the event stream has its most clients (100 by default), or the service is shutting down.',
  store_unavailable: 'the panic store did not answer within the admin timeout.',
  metrics_unavailable: "with --workers, the primary could not gather every worker's metrics.",
  vix_unavailable: 'with --workers, the primary did not answer the forwarded batch within 5 s.',
  upstream_timeout: 'a backend (a cache loader) did not answer within its bound; the service itself never gives it.',
};

/** Headers an error answer carries. */
const ERROR_HEADERS: Partial<Readonly<Record<HttpErrorName, Readonly<Record<string, ApiHeader>>>>> = {
  unauthorized: { 'WWW-Authenticate': { description: 'Bearer realm="vix-ttl api", "vix-ttl admin" or "vix-ttl metrics".', required: true } },
  busy: { 'Retry-After': { description: 'Seconds to wait before sending the batch again.', required: true } },
};

const TAGS: readonly JsonObject[] = [
  { name: 'decisions', description: 'How long to cache, from the shared panic clock.' },
  { name: 'ticks', description: "The VIX engine's feed of odds ticks." },
  { name: 'state', description: 'What the service knows: scopes, store, VIX, metrics.' },
  { name: 'health', description: 'Liveness and readiness.' },
  { name: 'admin', description: 'Drills on the shared clock, behind the admin token.' },
  { name: 'dashboard', description: 'The Brain Lab dashboard.' },
  { name: 'meta', description: 'This document.' },
];

const DESCRIPTION = [
  'Decides how long data may be cached while a betting market panics, keeping every worker in agreement through a panic start stored once in Redis.',
  '',
  'Request bodies are JSON, validated strictly and without coercion ("60" is not 60; unknown keys, prototype-pollution keys and over-long strings are refused). Every error is JSON, the Error schema `{ error, field, message }`, with a stable `error` name; each response lists the names it can carry (`x-error-names`). `x-unrouted-responses` lists what a request matching no route gets.',
  '',
  'POST /v1/ttl and POST /v1/ticks need `Authorization: Bearer <VIX_TTL_API_TOKEN>` when the service has an API token, the admin routes `Bearer <VIX_TTL_ADMIN_TOKEN>` always, GET /metrics `Bearer <VIX_TTL_METRICS_TOKEN>` when the service has a metrics token. Every GET route but /v1/events also answers HEAD (same status and headers, no body). The JSON data of each kind of server-sent event is named in `x-events`. Responses carry security headers and `x-vix-ttl-worker: <pid>`.',
].join('\n');

const COMPONENT = (id: string) => `#/components/schemas/${id}`;

/**
 * Builds the OpenAPI 3.1 document of the HTTP service: every route with its body, its
 * answers and its errors, and `components.schemas` generated (JSON Schema draft
 * 2020-12) from the zod schemas named in `apiSchemas`, the ones that validate the
 * requests and describe the responses. `GET /openapi.json` serves it; client
 * generators read it.
 * @throws Error when an operation uses a schema that is not named (a programming error).
 */
export function openApiDocument(options: { version?: string | undefined } = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of API_OPERATIONS) {
    const item = (paths[operation.path] ??= {});
    const method = operation.method.toLowerCase();
    if (item[method]) throw new Error(`OpenAPI: ${operation.method} ${operation.path} is declared twice`);
    item[method] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vix-ttl',
      version: options.version ?? PACKAGE_VERSION,
      summary: 'Cache TTLs that follow a betting market panic, agreed across every worker.',
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [...TAGS],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiToken: { type: 'http', scheme: 'bearer', description: 'VIX_TTL_API_TOKEN (createServer apiToken): POST /v1/ttl and POST /v1/ticks require it when the service has one; without one they are open.' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'VIX_TTL_ADMIN_TOKEN (createServer adminToken): the admin routes require it; without one they answer 403 admin_disabled.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'VIX_TTL_METRICS_TOKEN (createServer metricsToken): GET /metrics requires it when the service has one; without one it is open.' },
      },
    },
    'x-unrouted-responses': errorResponses(UNROUTED_ERRORS, {}),
  };
}

/** {@link openApiDocument} as JSON text, built once per version and process (the document is the same for every server). */
export function openApiDocumentText(version: string = PACKAGE_VERSION): string {
  let text = texts.get(version);
  if (text === undefined) {
    text = JSON.stringify(openApiDocument({ version }));
    texts.set(version, text);
  }
  return text;
}
const texts = new Map<string, string>();

/** `components.schemas`: every named schema, draft 2020-12, referring to each other by `#/components/schemas/<name>`. */
function componentSchemas(): { [name: string]: JsonObject } {
  const { schemas } = z.toJSONSchema(apiSchemas, { uri: COMPONENT, io: 'input', unrepresentable: 'throw', override: integerEnums });
  const components: { [name: string]: JsonObject } = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // `$id` (a fragment) and `$schema` belong to a standalone schema, not to a component of the document.
    const { $id: _id, $schema: _schema, ...rest } = schema as JsonObject;
    components[name] = rest;
  }
  return components;
}

/** Zod writes an enum of integer literals (a tier) as `type: number`; `integer` says more to a client generator. */
function integerEnums(ctx: { jsonSchema: { type?: unknown; enum?: unknown } }): void {
  const { jsonSchema } = ctx;
  if (jsonSchema.type === 'number' && Array.isArray(jsonSchema.enum) && jsonSchema.enum.every(Number.isInteger)) jsonSchema.type = 'integer';
}

function operationObject(operation: ApiOperation): JsonObject {
  const object: JsonObject = { operationId: operation.operationId, summary: operation.summary, tags: [operation.tag] };
  if (operation.description) object.description = operation.description;
  if (operation.security === 'api') object.security = [{ apiToken: [] }, {}];
  if (operation.security === 'admin') object.security = [{ adminToken: [] }];
  if (operation.security === 'metrics') object.security = [{ metricsToken: [] }, {}];
  const parameters: JsonObject[] = [
    ...Object.entries(operation.pathParameters ?? {}).map(([name, p]) => ({ name, in: 'path', required: true, description: p.description, schema: inlineSchema(p.schema) })),
    ...Object.entries(operation.headerParameters ?? {}).map(([name, p]) => ({ name, in: 'header', required: false, description: p.description, schema: { type: 'string' } })),
  ];
  if (parameters.length > 0) object.parameters = parameters;
  if (operation.body) object.requestBody = { required: operation.body.required, content: { 'application/json': { schema: ref(operation.body.schema) } } };
  const responses: { [status: string]: JsonObject } = {};
  for (const [status, response] of Object.entries(operation.responses)) responses[status] = responseObject(response);
  const errors = errorResponses([...new Set([...operation.errors, ...COMMON_ERRORS])], operation.errorNotes ?? {});
  for (const [status, error] of Object.entries(errors)) responses[status] = responses[status] ? mergeResponses(responses[status], error) : error;
  object.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
  return object;
}

function responseObject(response: ApiResponse): JsonObject {
  const object: JsonObject = { description: response.description };
  if (response.headers) object.headers = headersObject(response.headers);
  if (response.content) {
    object.content = Object.fromEntries(Object.entries(response.content).map(([type, body]) => [type, mediaTypeObject(body)]));
  }
  return object;
}

function mediaTypeObject(body: z.ZodType | 'text' | ApiEventStream): JsonObject {
  if (body === 'text') return { schema: { type: 'string' } };
  if ('events' in body) return { schema: { type: 'string' }, 'x-events': Object.fromEntries(Object.entries(body.events).map(([event, schema]) => [event, ref(schema)])) };
  return { schema: ref(body) };
}

/** One response per status for these error names: the Error schema, the names (`x-error-names`) and what each means. */
function errorResponses(names: readonly HttpErrorName[], notes: Partial<Readonly<Record<HttpErrorName, string>>>): { [status: string]: JsonObject } {
  const byStatus = new Map<number, HttpErrorName[]>();
  for (const name of names) {
    const status = HTTP_ERROR_STATUS[name];
    byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  const responses: { [status: string]: JsonObject } = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const response: JsonObject = {
      description: group.map((name) => `\`${name}\`: ${notes[name] ?? ERROR_TEXT[name]}`).join(' '),
      content: { 'application/json': { schema: ref(errorBodySchema) } },
      'x-error-names': group,
    };
    const headers = commonHeaders(group);
    if (Object.keys(headers).length > 0) response.headers = headersObject(headers);
    responses[String(status)] = response;
  }
  return responses;
}

/** The headers of an error response: each one any of its names carries, required when all of them do. */
function commonHeaders(names: readonly HttpErrorName[]): Record<string, ApiHeader> {
  const headers: Record<string, ApiHeader> = {};
  for (const name of names) {
    for (const [header, spec] of Object.entries(ERROR_HEADERS[name] ?? {})) headers[header] = { ...spec, required: names.every((n) => ERROR_HEADERS[n]?.[header]?.required === true) };
  }
  return headers;
}

/** A status both answered normally and as an error (`/readyz`'s 503): either body. */
function mergeResponses(answer: JsonObject, error: JsonObject): JsonObject {
  const answerJson = (answer.content as { [type: string]: { schema: JsonObject } } | undefined)?.['application/json'];
  if (!answerJson) throw new Error('OpenAPI: an error status shared with an answer needs a JSON answer');
  return {
    ...answer,
    description: `${answer.description as string} Or an error: ${error.description as string}`,
    content: { 'application/json': { schema: { anyOf: [answerJson.schema, ref(errorBodySchema)] } } },
    'x-error-names': error['x-error-names']!,
  };
}

function headersObject(headers: Readonly<Record<string, ApiHeader>>): JsonObject {
  return Object.fromEntries(Object.entries(headers).map(([name, h]) => [name, { description: h.description, required: h.required ?? false, schema: { type: 'string' } }]));
}

/** A reference to a named schema. */
function ref(schema: z.ZodType): JsonObject {
  const meta = apiSchemas.get(schema);
  if (!meta) throw new Error('OpenAPI: a body or response schema must be named with apiSchema() so that it is a component');
  return { $ref: COMPONENT(meta.id) };
}

/** A small schema written in place (a path parameter's). */
function inlineSchema(schema: z.ZodType): JsonObject {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonObject;
  return rest;
}
