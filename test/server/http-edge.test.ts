import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { captureLogger } from '../support/capture-logger.js';
import { postJson } from './http-helpers.js';
import { rawExchange, type RawAnswer } from './raw-socket.js';

/** Every error the service answers has exactly this shape, as JSON. */
function expectOurError(answer: RawAnswer, status: number, error: string, field: string | null): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  const body = answer.json();
  expect(Object.keys(body).sort()).toEqual(['error', 'field', 'message']);
  expect(body).toMatchObject({ error, field });
  expect(typeof body.message).toBe('string');
}

const TIMEOUT_MS = 1000;
/** How late past the request timeout a cut may come on a loaded machine (the check runs every 100 ms here). */
const CUT_MARGIN_MS = 4000;

describe('every error is ours: what Node and Fastify refuse before our handlers answers { error, field, message } (raw sockets)', () => {
  let server: VixTtlServer;
  let port: number;
  let logLines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    const captured = captureLogger('info');
    logLines = captured.lines;
    server = await createServer({ clock: new MemoryPanicClock(), logger: captured.logger, requestTimeoutMs: TIMEOUT_MS });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (server.app.server.address() as { port: number }).port;
  });
  afterAll(async () => server.app.close());

  // [label, raw request, status, error, field]
  const refused: Array<[string, string, number, string, string | null]> = [
    ['a path that is not valid percent-encoding (/%)', 'GET /% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'not_found', null],
    ['a bad escape deeper in the path', 'GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'not_found', null],
    ['headers over 16 KiB', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large', 'headers'],
    ['a request line over 16 KiB', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large', 'headers'],
    ['a line that is not HTTP', 'HELLO\r\n\r\n', 400, 'bad_request', 'method'],
    ['TLS spoken to a plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400, 'bad_request', 'method'],
    ['an unknown HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'bad_request', 'version'],
    ['bare LF line ends', 'GET / HTTP/1.1\nHost: x\n\n', 400, 'bad_request', 'version'],
    ['a NUL in the path', 'GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request', 'url'],
    ['a space in a header name', 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n', 400, 'bad_request', 'headers'],
    ['an obsolete folded header', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n', 400, 'bad_request', 'headers'],
    ['a Content-Length that is not a number', 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'bad_request', 'content-length'],
    ['two Content-Lengths', 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400, 'bad_request', 'content-length'],
    ['Transfer-Encoding with Content-Length (smuggling)', 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'bad_request', 'transfer-encoding'],
    ['a bad chunk size', 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'bad_request', 'body'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'bad_request', null],
    ['PRI in a request line without a version (Node lets it through, the router knows no PRI)', 'PRI /v1/ttl\r\nHost: x\r\n\r\n', 400, 'bad_request', 'method'],
    ['HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'bad_request', 'host'],
    ['an Expect other than 100-continue', 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 417, 'expectation_failed', 'expect'],
    ['CONNECT (not a proxy)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'method_not_allowed', 'method'],
  ];

  it.each(refused)('%s', async (_label, request, status, error, field) => {
    const answer = await rawExchange(port, [request]);
    expectOurError(answer, status, error, field);
  });

  it('a PRI request line costs no log line (Fastify\'s router fallback logged two WARN lines per request)', async () => {
    const before = logLines.length;
    for (let i = 0; i < 3; i += 1) expectOurError(await rawExchange(port, ['PRI /x\r\nHost: x\r\n\r\n']), 400, 'bad_request', 'method');
    expect(logLines.slice(before).filter((line) => Number(line.level) >= 40)).toEqual([]);
  });

  // The five tests below each wait about a request timeout (or three) on one connection of their own:
  // they run at once, so that the file waits ~3 s instead of ~8 s. Their bounds do not change with it.
  it.concurrent('a body dripping slower than the request timeout is cut at it: 408 request_timeout, field body', async () => {
    const answer = await rawExchange(port, ['POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{'], { dripMs: 100 });
    expectOurError(answer, 408, 'request_timeout', 'body');
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + CUT_MARGIN_MS);
  });

  it.concurrent('headers dripping line by line are cut at the timeout: 408, field headers', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({ data: `X-Slow-${i}: x\r\n`, delayMs: 100 }));
    const answer = await rawExchange(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n', ...lines]);
    expectOurError(answer, 408, 'request_timeout', 'headers');
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + CUT_MARGIN_MS);
  });

  it.concurrent('a connection that never sends a request is closed at the timeout', async () => {
    const answer = await rawExchange(port, []);
    expectOurError(answer, 408, 'request_timeout', 'headers');
    expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + CUT_MARGIN_MS);
  });

  it.concurrent('on a kept-alive connection, a slow second request gets its own full timeout, then is cut', async () => {
    const first = 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"baseTtl":60}';
    const secondAfterMs = 500;
    const answer = await rawExchange(port, [first, { data: 'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{', delayMs: secondAfterMs }], { dripMs: 100 });
    expect(answer.status).toBe(200); // the first one was answered
    expect(answer.text).toContain('"mode":"NORMAL"');
    expect(answer.json()).toMatchObject({ error: 'request_timeout', field: 'body' });
    expect(answer.elapsedMs - secondAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.elapsedMs - secondAfterMs).toBeLessThan(TIMEOUT_MS + CUT_MARGIN_MS);
  });

  it.concurrent('an event stream outlives the request timeout: it is a response, not a request still arriving', async () => {
    const answer = await rawExchange(port, ['GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n'], { giveUpMs: TIMEOUT_MS * 3 }).catch((error: Error) => error);
    expect(answer).toBeInstanceOf(Error); // still open when the client gave up, three timeouts later
    expect((answer as Error & { received: string }).received).toMatch(/^HTTP\/1\.1 200 OK.*event: state/s);
  });

  it('a request that pipelines in while the server closes gets a 503 shutting_down in our shape', async () => {
    const { server: closing, port: closingPort } = await (async () => {
      const s = await createServer({ clock: new MemoryPanicClock(), requestTimeoutMs: 10_000 });
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      return { server: s, port: (s.app.server.address() as { port: number }).port };
    })();
    let closed: Promise<void> | undefined;
    const answer = await rawExchange(closingPort, [
      'POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"base',
      { data: '', delayMs: 100, beforeWrite: () => (closed = closing.app.close()) }, // the connection is busy: close() waits for it
      { data: 'Ttl":60}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', delayMs: 100 },
    ]);
    await closed;
    expect(answer.status).toBe(200); // the request in flight was served
    expect(answer.text).toMatch(/HTTP\/1\.1 503 Service Unavailable/);
    expect(answer.json()).toEqual({ error: 'shutting_down', field: null, message: 'the service is shutting down; retry on another instance' });
  });

  it('after all that, the server still answers, and nothing was logged as a server error', async () => {
    expect((await postJson(`http://127.0.0.1:${port}/v1/ttl`, '{"baseTtl":60}')).status).toBe(200);
    expect(logLines.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

describe('the request timeout is an option', () => {
  it('a body slower than the default would allow but within the configured timeout is served', async () => {
    const server = await createServer({ clock: new MemoryPanicClock(), requestTimeoutMs: 5000 });
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (server.app.server.address() as { port: number }).port;
      const body = '{"baseTtl":60}';
      const answer = await rawExchange(port, [
        `POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`,
        ...[...body].map((c) => ({ data: c, delayMs: 30 })),
      ]);
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ ttl: 60, mode: 'NORMAL' });
    } finally {
      await server.app.close();
    }
  });

  it('defaults to 30 s, with Node’s header timeout no longer above it and a check every second (a 30 s setting used to cut a dripping body at ~90 s)', async () => {
    const server = await createServer({ clock: new MemoryPanicClock() });
    const http = server.app.server as typeof server.app.server & { connectionsCheckingInterval?: number };
    expect(http.requestTimeout).toBe(30_000);
    expect(http.headersTimeout).toBe(30_000);
    expect(http.connectionsCheckingInterval).toBe(1000);
    await server.app.close();
  });

  it('refuses a request timeout under 100 ms at construction', async () => {
    await expect(createServer({ clock: new MemoryPanicClock(), requestTimeoutMs: 10 })).rejects.toThrow(/requestTimeoutMs/);
  });
});
