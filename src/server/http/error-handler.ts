import { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { HTTP_ERRORS, httpErrorOf, httpStatusOf } from '../../core/error-catalogue.js';
import { isVixTtlError } from '../../core/errors.js';
import { HttpError, type HttpErrorName } from './http-error.js';
import type { errorBodySchema } from './response-schemas.js';

/** The JSON body of every error the service answers: `{ error, field, message }` (the OpenAPI document's `Error`). */
export type ErrorBody = z.output<typeof errorBodySchema>;

/** Fastify's own refusals, by its error code: the service's name and the field at fault (the status is the name's). */
const FASTIFY_ERRORS: Readonly<Record<string, { error: HttpErrorName; field: string | null }>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'body_too_large', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { error: 'unsupported_media_type', field: 'content-type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { error: 'invalid_json', field: 'body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { error: 'bad_request', field: 'content-length' },
});

/** What a 500 says: the details of a server fault go to the log, never to the client. */
const INTERNAL_MESSAGE = 'internal error; see the server log';

/**
 * Maps any error to a status and an {@link ErrorBody}, through the error catalogue:
 * an {@link HttpError} by its name, a library error (`VixTtlError`) by its code
 * (`VIX_TTL_INVALID_INPUT` → 400 `invalid_body` naming the field,
 * `VIX_TTL_STORE_TIMEOUT` → 503 `store_unavailable`…), Fastify's refusals by their
 * codes. Only a server fault gives a 500, and its message says nothing of it.
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.statusCode, body: { error: error.error, field: error.field, message: error.message } };
  if (isVixTtlError(error)) {
    const { status, error: name } = httpErrorOf(error.code);
    const { field } = error as { field?: unknown };
    return { status, body: { error: name, field: typeof field === 'string' ? field : null, message: name === 'internal_error' ? INTERNAL_MESSAGE : error.message } };
  }
  const fastify = error as Partial<FastifyError>;
  const known = fastify.code && Object.hasOwn(FASTIFY_ERRORS, fastify.code) ? FASTIFY_ERRORS[fastify.code] : undefined;
  if (known) return { status: httpStatusOf(known.error), body: { error: known.error, field: known.field, message: fastify.message ?? HTTP_ERRORS[known.error].message } };
  const status = fastify.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: 'bad_request', field: null, message: fastify.message ?? HTTP_ERRORS.bad_request.message } };
  }
  return { status: HTTP_ERRORS.internal_error.status, body: { error: 'internal_error', field: null, message: INTERNAL_MESSAGE } };
}

/**
 * Fastify error handler: JSON for every error, a log line with the stack only for
 * server faults. An error answered before the request's body has all arrived (a
 * refusal in `onRequest`, a declared length over the limit) closes the connection
 * without reading more of the body (see {@link closeUnread}).
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply, unreadLingerMs: number): void {
  const { status, body } = errorResponse(error);
  if (status >= 500) request.log.error({ reqId: request.id, err: error, url: request.url }, 'VIX_TTL_HTTP_ERROR');
  else request.log.debug({ reqId: request.id, status, field: body.field, url: request.url }, body.message);
  if (hasBody(request) && !request.raw.complete) closeUnread(request, reply, unreadLingerMs);
  if (error instanceof HttpError) void reply.headers(error.headers);
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Default of `unreadLingerMs`: how long the connection of a request answered before its
 * body arrived stays open, unread, once the answer and the end of the stream (FIN) are
 * sent. Why 1 s: it is the time the client has to read the answer before the close
 * resets the connection (a loaded client process needs it; see {@link closeUnread}).
 */
export const DEFAULT_UNREAD_LINGER_MS = 1000;

/**
 * Ends the connection of a request answered before its body has all arrived, reading
 * none of the rest: the socket stops reading now (and stays stopped: Node resumes it to
 * discard the body once the answer is written), the answer is followed by the end of
 * the stream, and the socket is destroyed `unreadLingerMs` later ({@link DEFAULT_UNREAD_LINGER_MS} by default). Why: Node
 * would otherwise read, and throw away, whatever the client has sent meanwhile (on
 * loopback ~130 KB more of each refused 1 MB tick batch), the very work the refusal is
 * there to spare; and closing a socket with unread bytes resets the connection, which
 * made a client still sending its body lose the answer it had received (a Node http
 * client: 8 in 30 refused 4 MB batches ended in ECONNRESET without the 401) when the
 * socket was destroyed as soon as the answer was written, or by Node right after the FIN.
 */
function closeUnread(request: FastifyRequest, reply: FastifyReply, unreadLingerMs: number): void {
  void reply.header('connection', 'close');
  const socket = request.raw.socket;
  if (!(socket instanceof Socket)) return; // a request injected in-process (`app.inject`) has no connection
  socket.pause();
  socket.on('resume', () => socket.pause());
  // Node ends a `Connection: close` answer's socket with destroySoon(): the FIN, then destroy() at once.
  // The timer keeps the process alive (`unreadLingerMs` at most): a paused socket whose FIN is out holds nothing
  // in the event loop, so with it unref'd a process with nothing else to do exited in the middle of
  // `app.close()`, which waits for this socket.
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), unreadLingerMs);
  };
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
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, unreadLingerMs: number): void {
  if (error.code === 'FST_ERR_BAD_URL') {
    const path = request.url.split('?')[0]!.slice(0, 100);
    handleError(new HttpError('not_found', null, `no route ${request.method} ${path}: the path is not valid percent-encoding`), request, reply, unreadLingerMs);
    return;
  }
  handleError(error, request, reply, unreadLingerMs);
}
