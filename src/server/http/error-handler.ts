import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { HttpError, type HttpErrorName } from './http-error.js';
import type { errorBodySchema } from './response-schemas.js';

/** The JSON body of every error the service answers: `{ error, field, message }` (the OpenAPI document's `Error`). */
export type ErrorBody = z.output<typeof errorBodySchema>;

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

/** Fastify error handler: JSON for every error, a log line with the stack only for server faults. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorResponse(error);
  if (status >= 500) request.log.error({ err: error, url: request.url }, 'VIX_TTL_HTTP_ERROR');
  else request.log.debug({ status, field: body.field, url: request.url }, body.message);
  if (error instanceof HttpError) void reply.headers(error.headers);
  void reply.code(status).type('application/json; charset=utf-8').send(body);
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
