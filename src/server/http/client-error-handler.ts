import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { httpStatusOf, type HttpErrorName } from '../../core/error-catalogue.js';
import type { ErrorBody } from './error-handler.js';

/** A parse error or timeout of Node's HTTP server, as it reaches `clientError`. */
type ClientError = Error & { code?: string; reason?: string };

/** What a refused request is answered, by Node's error code: the name (which sets the status) and the field. */
const PARSE_ERRORS: Readonly<Record<string, { error: HttpErrorName; field: string | null }>> = Object.freeze({
  HPE_HEADER_OVERFLOW: { error: 'headers_too_large', field: 'headers' },
  HPE_INVALID_METHOD: { error: 'bad_request', field: 'method' },
  HPE_INVALID_URL: { error: 'bad_request', field: 'url' },
  HPE_INVALID_VERSION: { error: 'bad_request', field: 'version' },
  HPE_INVALID_HEADER_TOKEN: { error: 'bad_request', field: 'headers' },
  HPE_INVALID_CONTENT_LENGTH: { error: 'bad_request', field: 'content-length' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { error: 'bad_request', field: 'content-length' },
  HPE_INVALID_TRANSFER_ENCODING: { error: 'bad_request', field: 'transfer-encoding' },
  HPE_INVALID_CHUNK_SIZE: { error: 'bad_request', field: 'body' },
});

/**
 * Answers, in the service's `{ error, field, message }` shape, the requests Node's
 * HTTP parser refuses before any handler runs (Fastify's `clientErrorHandler`):
 * a malformed request line or header (400 naming the part: `method`, `url`,
 * `version`, `headers`, `content-length`…), headers over Node's limit (431
 * `headers_too_large`), and a request that does not arrive within the request
 * timeout (408 `request_timeout`, field `headers` or `body`). The answer is written
 * on the raw socket only when no response has started on it; the connection is
 * then closed.
 */
export function clientErrorHandler(options: { requestTimeoutMs: number; logger: FastifyBaseLogger }): (error: ClientError, socket: Duplex) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const started = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage; // the response of a request whose headers were read
    const { status, body } = clientErrorResponse(error, options.requestTimeoutMs, Boolean(started));
    options.logger.debug({ code: error.code, status }, 'VIX_TTL_CLIENT_ERROR');
    if (!socket.writable || started?.headersSent) {
      socket.destroy();
      return;
    }
    endWith(socket, rawResponse(status, body));
  };
}

/** The answer to a client error: 431 and 408 by their codes, 400 naming the malformed part otherwise. */
export function clientErrorResponse(error: ClientError, requestTimeoutMs: number, headersRead: boolean): { status: number; body: ErrorBody } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const field = headersRead ? 'body' : 'headers';
    return { status: httpStatusOf('request_timeout'), body: { error: 'request_timeout', field, message: `${field} not received within the request timeout of ${requestTimeoutMs} ms` } };
  }
  const known = error.code && Object.hasOwn(PARSE_ERRORS, error.code) ? PARSE_ERRORS[error.code]! : { error: 'bad_request' as const, field: null };
  const status = httpStatusOf(known.error);
  if (known.error === 'headers_too_large') return { status, body: { error: known.error, field: known.field, message: `the request line and headers must fit in ${maxHeaderSize} bytes` } };
  const reason = error.reason ?? 'the request could not be parsed';
  return { status, body: { error: known.error, field: known.field, message: `${known.field ?? 'request'} is malformed: ${reason}` } };
}

/**
 * Installs on Node's server the answers Fastify never sees: an `Expect` other than
 * `100-continue` (417 `expectation_failed`, field `expect`), a `CONNECT` request
 * (405 `method_not_allowed`, field `method`), both in the JSON error shape instead
 * of Node's empty 417 or a dropped connection, and a `PRI` request (400 `bad_request`,
 * field `method`). Node lets `PRI` through only in a request line without a version
 * (`PRI /x`, the HTTP/0.9 form); Fastify's router knows no such method and answered
 * it with a 404 of its own, without the service's headers, and two WARN lines per request.
 * Call it once the Fastify app (whose `request` listener it wraps) is built.
 */
export function installServerLevelErrors(server: Server): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    respond(response, httpStatusOf('expectation_failed'), { error: 'expectation_failed', field: 'expect', message: `expect must be "100-continue" or absent, got ${JSON.stringify(String(request.headers.expect).slice(0, 60))}` });
  });
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    const body: ErrorBody = { error: 'method_not_allowed', field: 'method', message: 'method CONNECT is not allowed: this is not a proxy' };
    endWith(socket, rawResponse(httpStatusOf('method_not_allowed'), body));
  });
  const [handler] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (!handler) return;
  server.removeListener('request', handler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'PRI') return handler(request, response);
    respond(response, httpStatusOf('bad_request'), { error: 'bad_request', field: 'method', message: 'method PRI only starts the HTTP/2 connection preface, which this service does not speak' });
  });
}

/** A JSON error answer on a response Fastify does not handle, closing the connection. */
function respond(response: ServerResponse, status: number, body: ErrorBody): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', connection: 'close' });
  response.end(text);
}

/** Writes the answer and closes; a client that never reads cannot hold the socket past a second. */
function endWith(socket: Duplex, response: string): void {
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.end(response, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

function rawResponse(status: number, body: ErrorBody): string {
  const text = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'X-Content-Type-Options: nosniff',
    'Cache-Control: no-store',
    'Connection: close',
    '',
    text,
  ].join('\r\n');
}
