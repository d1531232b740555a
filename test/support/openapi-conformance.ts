import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument, type JsonObject, type OpenApiDocument } from '../../src/server/http/openapi-document.js';

/** One HTTP exchange as a test saw it: the request's method and target, the response as received. */
export interface Exchange {
  method: string;
  /** A full URL or an origin-form target (`/v1/ttl?x=1`); only its path is used. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body as text (empty for a HEAD request or a 304). */
  body: string;
}

/** How many responses this process checked, by `METHOD path status` (the path as documented, or `unrouted`). */
export const checkedResponses = new Map<string, number>();

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  operation: JsonObject;
}

interface Checker {
  document: OpenApiDocument;
  routes: Route[];
  validatorOf: (schema: JsonObject) => ValidateFunction;
}

let checker: Checker | null = null;

/**
 * Checks one response against the service's OpenAPI document (the one `GET
 * /openapi.json` serves): the route (method and path, HEAD as its GET) must document
 * the status — a request that matches no route, one of `x-unrouted-responses` — the
 * content type must be one the response lists, a JSON body must validate against its
 * schema (JSON Schema 2020-12, Ajv), an error's `error` must be one of the response's
 * `x-error-names`, and its required headers must be there. The shared HTTP helpers
 * call it on every response, so no HTTP test can see an answer the document does not
 * describe.
 * @throws Error describing the exchange and what does not conform.
 */
export function checkResponse(exchange: Exchange): void {
  const { document, routes, validatorOf } = (checker ??= buildChecker());
  const method = exchange.method.toUpperCase();
  const path = pathOf(exchange.url);
  const route = findRoute(routes, method === 'HEAD' ? 'GET' : method, path);
  const statusKey = String(exchange.status);
  const fail = (what: string): never => {
    throw new Error(`OpenAPI conformance: ${method} ${exchange.url} → ${exchange.status} ${headerOf(exchange.headers, 'content-type') ?? '(no content-type)'}: ${what}\nbody: ${exchange.body.slice(0, 400)}`);
  };
  const documented = (route?.operation.responses as Record<string, JsonObject> | undefined)?.[statusKey];
  // HEAD of a GET route without a HEAD twin (/v1/events) is a 404 like any unrouted request.
  const response = documented ?? (route === null || method === 'HEAD' ? document['x-unrouted-responses'][statusKey] : undefined);
  if (!response) fail(route ? `status ${statusKey} is not documented for ${route.method} ${route.template}` : `no route matches, and ${statusKey} is not in x-unrouted-responses`);
  const key = `${method} ${route && documented ? route.template : 'unrouted'} ${statusKey}`;
  checkedResponses.set(key, (checkedResponses.get(key) ?? 0) + 1);

  for (const [name, header] of Object.entries((response!.headers ?? {}) as Record<string, JsonObject>)) {
    if (header.required === true && headerOf(exchange.headers, name) === undefined) fail(`the required header ${name} is missing`);
  }
  if (method === 'HEAD') return;
  const content = response!.content as Record<string, { schema: JsonObject }> | undefined;
  if (!content) {
    if (exchange.body !== '') fail('the document gives this response no body');
    return;
  }
  const type = mediaType(headerOf(exchange.headers, 'content-type'));
  const media = Object.entries(content).find(([documentedType]) => mediaType(documentedType) === type);
  if (!media) fail(`content type ${type ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
  if (type !== 'application/json') return;
  let body: unknown;
  try {
    body = JSON.parse(exchange.body);
  } catch {
    fail('the body is not JSON');
  }
  const validate = validatorOf(media![1].schema);
  if (!validate(body)) fail(`the body does not match ${JSON.stringify(media![1].schema)}: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
  const names = response!['x-error-names'] as string[] | undefined;
  const error = (body as { error?: unknown }).error;
  if (names && typeof error === 'string' && !names.includes(error)) fail(`error ${error} is not one of the names this response lists (${names.join(', ')})`);
}

/**
 * Checks one server-sent event of a stream the document describes (`GET /v1/events`):
 * its name must be one of the stream's `x-events`, its JSON data valid against that schema.
 * @throws Error naming the event and what does not conform.
 */
export function checkEvent(url: string, event: string, data: unknown): void {
  const { routes, validatorOf } = (checker ??= buildChecker());
  const route = findRoute(routes, 'GET', pathOf(url));
  const content = ((route?.operation.responses as Record<string, JsonObject> | undefined)?.['200']?.content ?? {}) as Record<string, JsonObject>;
  const stream = Object.entries(content).find(([type]) => mediaType(type) === 'text/event-stream')?.[1];
  const schema = (stream?.['x-events'] as Record<string, JsonObject> | undefined)?.[event];
  if (!schema) throw new Error(`OpenAPI conformance: GET ${url} sent an event ${JSON.stringify(event)} the document does not list`);
  const validate = validatorOf(schema);
  if (!validate(data)) throw new Error(`OpenAPI conformance: GET ${url} event ${event}: the data does not match ${JSON.stringify(schema)}: ${JSON.stringify(validate.errors?.slice(0, 5))}\ndata: ${JSON.stringify(data).slice(0, 400)}`);
  const key = `EVENT ${route!.template} ${event}`;
  checkedResponses.set(key, (checkedResponses.get(key) ?? 0) + 1);
}

function buildChecker(): Checker {
  const document = openApiDocument();
  // The components as one schema resource, so that `#/components/schemas/X` refers inside it.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, validateFormats: false });
  ajv.addSchema({ $id: 'https://vix-ttl.test/components', $defs: rewriteRefs(document.components.schemas) as JsonObject });
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (schema: JsonObject): ValidateFunction => {
    const key = JSON.stringify(schema);
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ $id: `https://vix-ttl.test/response/${validators.size}`, ...(rewriteRefs(schema) as JsonObject) });
      validators.set(key, validate);
    }
    return validate;
  };
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]*')}$`);
    for (const [method, operation] of Object.entries(item)) routes.push({ method: method.toUpperCase(), template, pattern, operation });
  }
  return { document, routes, validatorOf };
}

/** `#/components/schemas/X` → the shared resource's `$defs/X`. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? inner.replace('#/components/schemas/', 'https://vix-ttl.test/components#/$defs/') : rewriteRefs(inner)]),
  );
}

/** The route a request reaches, as the router sees its path (percent-decoded where that decodes). */
function findRoute(routes: Route[], method: string, path: string): Route | null {
  const candidates = [path];
  try {
    candidates.push(decodeURI(path));
  } catch {}
  for (const candidate of candidates) {
    const route = routes.find((r) => r.method === method && r.pattern.test(candidate));
    if (route) return route;
  }
  return null;
}

/** The path the router sees: a query or fragment dropped, an absolute-form target's path, `*` as `/` (as find-my-way does). */
function pathOf(url: string): string {
  if (url === '*') return '/';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  }
  return url.split(/[?#]/)[0]!;
}

function headerOf(headers: Exchange['headers'], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower && value !== undefined) return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

/** `application/json; charset=utf-8` → `application/json`. */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase();
}
