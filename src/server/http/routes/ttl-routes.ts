import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VixCircuitBreaker } from '../../../breaker/vix-circuit-breaker.js';
import type { ApiOperation } from '../api-operation.js';
import { invalidBody } from '../http-error.js';
import { parseJsonText } from '../json-body-parser.js';
import { ttlBatchRequestDocSchema, ttlRequestSchema, type TtlRequest } from '../request-schemas.js';
import { ttlBatchAnswerSchema, ttlDecisionSchema } from '../response-schemas.js';
import { serializationSchema } from '../serialization-schema.js';
import { BATCH_BYTES_PER_ITEM, decideBatch, parseBatchBody, readBatchItems, type BatchAnswer, type BatchBody } from '../ttl-batch.js';
import { checkTtlRequest, isTtlRequest } from '../ttl-request.js';

/** What the OpenAPI document says of {@link registerTtlRoutes}' routes. */
export const ttlOperations: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/v1/ttl',
    operationId: 'decideTtl',
    tag: 'decisions',
    summary: 'Decide how long to cache',
    description:
      'The body of VixCircuitBreaker.getTtl in, a TtlDecision out. With vixStatus, the caller says what the market does (panic starts or continues the shared panic, calm ends it); without it, the status the VIX engine published decides. During a panic whose start cannot be read reliably the answer is TTL 0 with failSafe true and a reason, never an error. A service in shadow mode (serve --shadow) answers the base TTL, with the decision that would have applied in shadow. Needs the API token when the service has one.',
    security: 'api',
    body: { schema: ttlRequestSchema, required: true },
    responses: { 200: { description: 'The decision.', content: { 'application/json': ttlDecisionSchema } } },
    errors: ['invalid_body', 'invalid_json', 'unauthorized', 'body_too_large', 'unsupported_media_type'],
  },
  {
    method: 'POST',
    path: '/v1/ttl/batch',
    operationId: 'decideTtlBatch',
    tag: 'decisions',
    summary: 'Decide how long to cache, for many requests at once',
    description:
      'Up to 1,000 decision requests (maxBatchItems) in one round trip, answered in the same order: each item gets the TtlDecision POST /v1/ttl would give it, or, when it is not a valid decision request, the Error that route would answer for it alone (a bad item never costs the others their decisions). Items are decided as that many concurrent requests would be, with the same metrics, bounds (maxPanicScopes, maxTrackedScopes) and fail-safe; panics in new scopes take at most a tenth of maxPanicScopes per request, and past it such an item answers as at the limit (a start that exists decides; without one TTL 0, failSafe, reason scope_limit). For workers that cannot keep a connection per decision (Python, PHP…). Needs the API token when the service has one.',
    security: 'api',
    body: { schema: ttlBatchRequestDocSchema, required: true },
    responses: { 200: { description: 'One answer per item, in order.', content: { 'application/json': ttlBatchAnswerSchema } } },
    errors: ['invalid_body', 'invalid_json', 'unauthorized', 'body_too_large', 'too_many_items', 'unsupported_media_type'],
  },
];

/** Options of {@link registerTtlRoutes}. */
export interface TtlRouteOptions {
  /** The API token's check, run before the body is read; absent: the routes are open. */
  authorize?: ((request: FastifyRequest) => void) | undefined;
  /** Most items in one `POST /v1/ttl/batch`; more is a 413 `too_many_items`. Its body limit is {@link BATCH_BYTES_PER_ITEM} per item. */
  maxBatchItems: number;
}

/** The decision's serializer schema, derived once from the schema the OpenAPI document shows. */
const DECISION_SERIALIZATION = serializationSchema(ttlDecisionSchema);

/**
 * `POST /v1/ttl`: a body shaped like `getTtl`'s input in, a `TtlDecision` out.
 * `POST /v1/ttl/batch`: `{ items: [...] }` in, `{ items: [...] }` out, one answer per
 * item in order. `authorize` (the API token's check, when one is set) runs before the
 * body is read. The hot path of a decision: the body is parsed without the
 * prototype-pollution walk (a body the hand-written check accepts cannot hold such a
 * key; one it refuses is walked before the refusal is worded), and the decision is
 * written by a serializer compiled from its schema.
 */
export function registerTtlRoutes(app: FastifyInstance, breaker: VixCircuitBreaker, options: TtlRouteOptions): void {
  const { authorize, maxBatchItems } = options;
  const guard = authorize ? { onRequest: async (request: FastifyRequest) => authorize(request) } : {};
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonText(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.post('/v1/ttl', { ...guard, schema: { response: { 200: DECISION_SERIALIZATION } } }, async (request) => breaker.getTtl(readTtlRequest(request.body)));
  });
  void app.register(async (scope) => {
    // The batch keeps whether its text could spell a pollution key: its refused items are walked for one only then.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseBatchBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.post('/v1/ttl/batch', { ...guard, bodyLimit: maxBatchItems * BATCH_BYTES_PER_ITEM }, async (request: FastifyRequest, reply: FastifyReply) => {
      const body = (request.body as BatchBody | undefined) ?? { value: undefined, mayPollute: false };
      const answers = await decideBatch(breaker, readBatchItems(body, maxBatchItems), body.mayPollute);
      if (request.log.level === 'debug' || request.log.level === 'trace') logRefusedItems(request, answers);
      void reply.type('application/json; charset=utf-8');
      return JSON.stringify({ items: answers });
    });
  });
}

/** A batch's refused items, as one debug line (a refused single request logs one too: see the error handler). */
function logRefusedItems(request: FastifyRequest, answers: readonly BatchAnswer[]): void {
  let refused = 0;
  let first: { index: number; error: string; field: string | null } | null = null;
  answers.forEach((answer, index) => {
    if (!('error' in answer)) return;
    refused += 1;
    first ??= { index, error: answer.error, field: answer.field };
  });
  if (first !== null) request.log.debug({ reqId: request.id, items: answers.length, refused, first }, 'VIX_TTL_BATCH_ITEMS_REFUSED');
}

/** The body of `POST /v1/ttl` as the breaker's input. @throws HttpError 400 naming the field at fault. */
function readTtlRequest(body: unknown): TtlRequest {
  if (isTtlRequest(body)) return body;
  const checked = checkTtlRequest(body);
  if ('fault' in checked) throw invalidBody(checked.fault.field, checked.fault.rule);
  return checked.value;
}
