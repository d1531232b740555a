import type { FastifyInstance } from 'fastify';

/**
 * Answers `Expect: 100-continue` only once the request is admitted: the route's
 * `onRequest` hooks (the bearer token, the tick route's 429 bounds) run first, and
 * `100 Continue` goes out when the body is about to be read (`preParsing`), and not
 * for a declared `Content-Length` over the route's body limit. A refused client is
 * told before it sends a byte of its body.
 * Why: Node answers `100 Continue` by itself as soon as the headers arrive, so an
 * unauthenticated client was invited to send its body before the token was checked.
 */
export function installExpectContinue(app: FastifyInstance): void {
  // With a listener, Node no longer answers 100 by itself; the request goes the usual way.
  app.server.on('checkContinue', (request, response) => app.server.emit('request', request, response));
  app.addHook('preParsing', (request, reply, payload, done) => {
    const expect = request.headers.expect;
    if (typeof expect === 'string' && expect.toLowerCase() === '100-continue' && !reply.raw.headersSent && withinLimit(request.headers['content-length'], request.routeOptions.bodyLimit)) {
      reply.raw.writeContinue();
    }
    done(null, payload);
  });
}

/** A declared length the route will read (no length declared: chunked, the limit applies as it arrives). */
function withinLimit(contentLength: string | undefined, bodyLimit: number | undefined): boolean {
  if (contentLength === undefined || bodyLimit === undefined) return true;
  const length = Number(contentLength);
  return Number.isFinite(length) && length <= bodyLimit;
}
