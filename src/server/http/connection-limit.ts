import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { BreakerLogger } from '../../breaker/breaker-hooks.js';

/** Default of `maxConnections`: open client connections one process holds at most. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Default of `keepAliveTimeoutMs`: how long an idle keep-alive connection is kept (Node's own default). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5000;

/** A refusal is logged at once, then at most once per this period (with the count since). */
const LOG_EVERY_MS = 10_000;

/** Where {@link installConnectionLimit} reports. */
export interface ConnectionLimitReport {
  /** Called once per connection refused at the bound. */
  refused: () => void;
  /** Called when the number of open connections changes. */
  open: (count: number) => void;
}

/**
 * Bounds the open client connections of one HTTP server at `maxConnections`: a
 * connection past it is closed at once by Node (`server.maxConnections`, the `drop`
 * event), counted, logged (WARN `VIX_TTL_CONNECTIONS_FULL`, at most once per 10 s
 * with the count since), and every connection without a request under way — idle
 * keep-alive, open without a request, or still sending its headers — is closed to
 * make room, so the next attempt gets in. Requests under way (an event stream, a
 * body arriving) are not touched; they have their own bounds.
 * Why: without a bound, idle keep-alive connections used up the process's file
 * descriptors (20,000 of them) and every new client was refused, silently; the
 * Redis client and the process's files need descriptors too.
 */
export function installConnectionLimit(server: Server, maxConnections: number, report: ConnectionLimitReport, logger: Pick<BreakerLogger, 'warn'>, now: () => number = Date.now): void {
  server.maxConnections = maxConnections;
  // Requests under way per open connection (pipelined requests can overlap); 0: the connection only waits.
  const underWay = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    underWay.set(socket, 0);
    report.open(underWay.size);
    socket.once('close', () => {
      underWay.delete(socket);
      report.open(underWay.size);
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    if (!underWay.has(socket)) return;
    underWay.set(socket, underWay.get(socket)! + 1);
    response.once('close', () => {
      const count = underWay.get(socket);
      if (count !== undefined) underWay.set(socket, count - 1);
    });
  });
  let unlogged = 0;
  let loggedAtMs = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    report.refused();
    let closed = 0;
    for (const [socket, count] of underWay) {
      if (count > 0) continue;
      socket.destroy();
      closed += 1;
    }
    unlogged += 1;
    const at = now();
    if (at - loggedAtMs < LOG_EVERY_MS) return;
    logger.warn(
      { max_connections: maxConnections, refused: unlogged, closed_waiting: closed, advice: 'raise maxConnections (--max-connections) if this is real traffic and the file descriptor limit (ulimit -n) allows it' },
      'VIX_TTL_CONNECTIONS_FULL: connections past maxConnections are closed at once; connections without a request under way were closed to make room',
    );
    unlogged = 0;
    loggedAtMs = at;
  });
}
