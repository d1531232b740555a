import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../core/errors.js';
import { HttpError, type HttpErrorName } from './http-error.js';

/** The JSON body of every error the service answers. */
export interface ErrorBody {
  error: HttpErrorName;
  /** The field at fault (`match.league`, `body`, `authorization`…), or null. */
  field: string | null;
  message: string;
}

const FASTIFY_ERRORS: Record<string, { status: number; error: HttpErrorName; field: string | null }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'body_too_large', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type', field: 'content-type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'invalid_json', field: 'body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'bad_request', field: 'content-length' },
};

/** Maps any error to a status and an {@link ErrorBody}; only a server fault gives a 5xx. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.statusCode, body: { error: error.error, field: error.field, message: error.message } };
  if (error instanceof InvalidInputError) return { status: 400, body: { error: 'invalid_body', field: error.field, message: error.message } };
  const fastify = error as Partial<FastifyError>;
  const known = fastify.code ? FASTIFY_ERRORS[fastify.code] : undefined;
  if (known) return { status: known.status, body: { error: known.error, field: known.field, message: fastify.message ?? known.error } };
  const status = fastify.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: 'bad_request', field: null, message: fastify.message ?? 'bad request' } };
  }
  return { status: 500, body: { error: 'internal_error', field: null, message: 'internal error; see the server log' } };
}

/**
 * Fastify error handler: JSON for every error, a log line with the stack only for
 * server faults. An error answered before the request's body has all arrived (a
 * refusal in `onRequest`, a declared length over the limit) closes the connection:
 * Node would otherwise read and discard the rest of the body, as long as the client
 * sends it.
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorResponse(error);
  if (status >= 500) request.log.error({ err: error, url: request.url }, 'VIX_TTL_HTTP_ERROR');
  else request.log.debug({ status, field: body.field, url: request.url }, body.message);
  if (hasBody(request) && !request.raw.complete) void reply.header('connection', 'close');
  if (error instanceof HttpError) void reply.headers(error.headers);
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The request declares a body (a length over 0, or a transfer encoding). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Fastify `frameworkErrors`: what Fastify refuses before routing, in the same JSON
 * shape. A path that is not valid percent-encoding (`/%`) names no route: 404
 * `not_found`. Others (a parameter over the length limit) map like any error.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL') {
    const path = request.url.split('?')[0]!.slice(0, 100);
    handleError(new HttpError(404, 'not_found', null, `no route ${request.method} ${path}: the path is not valid percent-encoding`), request, reply);
    return;
  }
  handleError(error, request, reply);
}
