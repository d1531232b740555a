import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiOperation } from '../api-operation.js';
import { HttpError } from '../http-error.js';
import { ticksRequestDocSchema } from '../request-schemas.js';
import { tickBatchAnswerSchema } from '../response-schemas.js';
import { parseTicksBody } from '../tick-body.js';
import { TickBudget } from '../tick-budget.js';
import { VixBusyError, type VixSource } from '../../vix/vix-source.js';

/** Limits of `POST /v1/ticks`. */
export interface TickRouteLimits {
  /** Largest body, in bytes (larger than the other routes': a batch is big). */
  bodyLimit: number;
  /** Most ticks in one batch; more is a 413. */
  maxTicks: number;
  /** The API token's check, run before the body is read; absent: the route is open. */
  authorize?: ((request: FastifyRequest) => void) | undefined;
  /** Most batches this process parses and ingests at once (from the whole body to the answer); more is a 429 `busy`. */
  maxConcurrent: number;
  /** Ticks per second this process takes (a token bucket holding two full batches); past it, a 429 `busy`. */
  maxTicksPerSecond: number;
}

/** Seconds a client told `busy` should wait (the `Retry-After` header). */
export const BUSY_RETRY_AFTER_S = 1;

/** What the OpenAPI document says of {@link registerTickRoutes}' route. */
export const tickOperations: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/v1/ticks',
    operationId: 'postTicks',
    tag: 'ticks',
    summary: "Feed odds ticks to the service's VIX engine",
    description:
      'A batch of odds ticks, in order, for the VIX engine that turns them into a volatility index and a calm / elevated / panic status per scope, and publishes panics to the shared clock. A tick that breaks a rule is not a 400: it is counted under its reason in the answer. At most 10,000 ticks and 1 MiB per batch by default; a body over 64 KiB must be exactly {"ticks":[…]}. One batch at a time per process by default: more at once, or more ticks per second than the service takes, is a 429 busy with Retry-After. Needs the API token when the service has one.',
    security: 'api',
    body: { schema: ticksRequestDocSchema, required: true },
    responses: { 200: { description: 'What the engine did with the batch.', content: { 'application/json': tickBatchAnswerSchema } } },
    errors: ['invalid_body', 'invalid_json', 'unauthorized', 'not_found', 'body_too_large', 'too_many_ticks', 'unsupported_media_type', 'busy', 'vix_unavailable'],
    errorNotes: { not_found: 'the service runs without a VIX engine (createServer with vixSource: null).' },
  },
];

/**
 * `POST /v1/ticks` `{ ticks: [...] }`: a batch of odds ticks for the VIX engine, in
 * order. Answers `{ accepted, rejected, byReason, rejections }` (the first few ticks
 * not used, with their index and reason). A body over `bodyLimit` bytes or with more
 * than `maxTicks` ticks is a 413; a body that is not `{ ticks: array }` a 400 naming
 * the field; an engine that cannot be reached (a silent cluster primary) a 503. More
 * than `maxConcurrent` batches at once in this process, more than `maxTicksPerSecond`
 * ticks, or an engine with its queue full, is a 429 `busy` with `Retry-After`,
 * answered before the body is read whenever the bound is already reached.
 */
export function registerTickRoutes(app: FastifyInstance, source: VixSource, limits: TickRouteLimits): void {
  const { authorize } = limits;
  const budget = new TickBudget(limits.maxTicksPerSecond, 2 * limits.maxTicks);
  const tooMany = () => `at most ${limits.maxConcurrent} tick batches at once are taken; retry after ${BUSY_RETRY_AFTER_S} s`;
  let inFlight = 0;
  // Before the body is read: a batch past a bound costs no parsing, and closing the
  // connection after the answer spares reading (and collecting) the rest of its body.
  const admit = (_request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (inFlight >= limits.maxConcurrent) done(busy(reply, tooMany(), true));
    else if (!budget.available()) done(busy(reply, `at most ${limits.maxTicksPerSecond} ticks per second are taken; retry after ${BUSY_RETRY_AFTER_S} s`, true));
    else done();
  };
  // A place is held from the whole body to the answer (parsing and ingesting), never
  // while a body is on its way: a client sending slowly cannot hold the route.
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (inFlight >= limits.maxConcurrent) throw busy(reply, tooMany());
    inFlight += 1;
    try {
      // Parsed here, a slice at a time, rather than by the server's JSON parser in one go;
      // only scanned when the engine parses (and checks) the slices before ingesting any.
      const ticks = await parseTicksBody(request.body as Buffer | undefined, { maxTicks: limits.maxTicks, checkSlices: source.checksSlices !== true });
      budget.charge(ticks.count);
      void reply.header('cache-control', 'no-store');
      return await source.ingest(ticks);
    } catch (error) {
      // The rest maps through the error catalogue (an unreachable engine is a 503 vix_unavailable).
      if (error instanceof VixBusyError) throw busy(reply, error.message);
      throw error;
    } finally {
      inFlight -= 1;
    }
  };
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    // The bytes as received: a big body never becomes one big string (see parseTicksBody).
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.bodyLimit }, (_request, body, done) => done(null, body));
    const onRequest = authorize ? [async (request: FastifyRequest) => authorize(request), admit] : admit;
    scope.post('/v1/ticks', { bodyLimit: limits.bodyLimit, onRequest }, handler);
  });
}

/** A 429 `busy` with `Retry-After`; `close`: and `Connection: close`, for a body not read yet. */
function busy(reply: FastifyReply, message: string, close = false): HttpError {
  void reply.header('retry-after', String(BUSY_RETRY_AFTER_S));
  if (close) void reply.header('connection', 'close');
  return new HttpError('busy', null, message);
}
