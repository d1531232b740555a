import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer } from '../../src/server/http/create-server.js';
import { captureLogger } from '../support/capture-logger.js';
import { useListeningService } from '../support/use-listening-service.js';
import { eventually, httpRequest } from './http-helpers.js';

const MAX = 20;

/** A raw connection that sends `GET /healthz` once (when `ask`), then idles; resolves when the server has answered (or at once). */
function idleConnection(port: number, ask: boolean): Promise<{ socket: Socket; closed: () => boolean; closedAtMs: () => number | null }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let closedAt: number | null = null;
    socket.on('error', () => {});
    socket.on('close', () => (closedAt = Date.now()));
    const handle = { socket, closed: () => closedAt !== null, closedAtMs: () => closedAt };
    socket.on('connect', () => {
      if (!ask) return resolve(handle);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      socket.once('data', () => resolve(handle));
    });
  });
}

function metric(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

describe('open connections are bounded (maxConnections) and idle keep-alive connections are not kept long (keepAliveTimeoutMs): real sockets', () => {
  const { start, server, sockets } = useListeningService();

  function openConnections(): Promise<number> {
    return new Promise((resolve, reject) => server().app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  }

  it('past maxConnections a new connection is closed at once, counted and logged once; idle connections are closed to make room, so the next client is served', async () => {
    const { logger, lines } = captureLogger('info');
    const port = await start({ maxConnections: MAX, keepAliveTimeoutMs: 600_000, logger });
    const held = await Promise.all(Array.from({ length: MAX }, (_, i) => idleConnection(port, i % 2 === 0))); // kept alive after a request, or never asked
    sockets.push(...held.map((h) => h.socket));
    await eventually(async () => server().telemetry.metrics.registry.getSingleMetricAsString('vix_ttl_http_connections').then((t) => metric(t, 'vix_ttl_http_connections') === MAX), 10_000, `${MAX} open connections`);

    const extra = await idleConnection(port, false);
    sockets.push(extra.socket);
    await eventually(async () => extra.closed(), 10_000, 'the connection past the bound closed by the server');
    await eventually(async () => held.every((h) => h.closed()), 10_000, 'the idle connections closed to make room');

    const scrape = await httpRequest(`http://127.0.0.1:${port}/metrics`);
    expect(scrape.status).toBe(200);
    expect(metric(scrape.text, 'vix_ttl_http_connections_refused_total')).toBe(1);
    expect(metric(scrape.text, 'vix_ttl_http_connections_max')).toBe(MAX);
    expect(metric(scrape.text, 'vix_ttl_http_connections')).toBeLessThanOrEqual(2);
    const full = lines.filter((line) => String(line.msg).startsWith('VIX_TTL_CONNECTIONS_FULL'));
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ level: 40, max_connections: MAX, refused: 1 });
  });

  it('a flood past the bound never holds more than maxConnections, and logs at most once per 10 s', async () => {
    const { logger, lines } = captureLogger('info');
    const port = await start({ maxConnections: MAX, keepAliveTimeoutMs: 600_000, logger });
    const flood = await Promise.all(Array.from({ length: 10 * MAX }, () => idleConnection(port, false)));
    sockets.push(...flood.map((h) => h.socket));
    const refused = async () => metric(await server().telemetry.metrics.registry.getSingleMetricAsString('vix_ttl_http_connections_refused_total'), 'vix_ttl_http_connections_refused_total');
    // The server accepts what the kernel queued at its own pace: wait until the clients see at most MAX still open.
    await eventually(async () => flood.filter((h) => !h.closed()).length <= MAX, 10_000, `at most ${MAX} connections of the flood left open`);
    expect(await openConnections()).toBeLessThanOrEqual(MAX);
    expect(await refused()).toBeGreaterThan(0);
    expect(lines.filter((line) => String(line.msg).startsWith('VIX_TTL_CONNECTIONS_FULL'))).toHaveLength(1);
    await eventually(async () => (await httpRequest(`http://127.0.0.1:${port}/healthz`).catch(() => ({ status: 0 }))).status === 200, 10_000, 'a client served after the flood');
  });

  it('an event stream (a response under way) is not closed to make room', async () => {
    const port = await start({ maxConnections: 3, keepAliveTimeoutMs: 600_000 });
    let streamEnded = false;
    let received = '';
    const stream = request(`http://127.0.0.1:${port}/v1/events`, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (received += chunk));
      res.on('close', () => (streamEnded = true));
    });
    stream.on('error', () => {});
    stream.end();
    await eventually(async () => received.includes('event: state'), 10_000, 'the first state event');
    const idle = await Promise.all([idleConnection(port, true), idleConnection(port, false)]);
    sockets.push(...idle.map((h) => h.socket));
    const extra = await idleConnection(port, false);
    sockets.push(extra.socket);
    await eventually(async () => extra.closed() && idle.every((h) => h.closed()), 10_000, 'the extra and the idle connections closed');
    expect(streamEnded).toBe(false);
    const before = received.length;
    await eventually(async () => received.length > before, 10_000, 'the stream still sending');
    stream.destroy();
  });

  it('an idle keep-alive connection is closed after keepAliveTimeoutMs, not kept for minutes', async () => {
    const port = await start({ keepAliveTimeoutMs: 500 });
    const started = Date.now();
    const idle = await idleConnection(port, true);
    sockets.push(idle.socket);
    await eventually(async () => idle.closed(), 10_000, 'the idle connection closed by the server');
    expect(idle.closedAtMs()! - started).toBeGreaterThanOrEqual(400); // not before its timeout (timer granularity aside)
  });

  it('defaults: 10,000 connections, 5 s keep-alive (Fastify alone kept idle connections 72 s); bad values are refused naming the option', async () => {
    await start({});
    expect(server().app.server.maxConnections).toBe(10_000);
    expect(server().app.server.keepAliveTimeout).toBe(5000);
    expect(server().app.server.timeout).toBe(60_000); // a connection standing still: twice the 30 s request timeout
    await expect(createServer({ clock: new MemoryPanicClock(), maxConnections: 0 })).rejects.toThrow(/createServer\.maxConnections/);
    await expect(createServer({ clock: new MemoryPanicClock(), keepAliveTimeoutMs: -1 })).rejects.toThrow(/createServer\.keepAliveTimeoutMs/);
  });
});
