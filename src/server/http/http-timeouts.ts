import type { ServerOptions } from 'node:http';

/** Default of `requestTimeoutMs`: the longest a request may take to arrive, headers and body. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Default of `stalledConnectionFloorMs`: the shortest {@link stalledConnectionTimeoutMs}.
 * Why 5 s: with a short request timeout and short waits, a connection is still given
 * time to take its answers on a slow network before it counts as standing still.
 */
export const DEFAULT_STALLED_CONNECTION_FLOOR_MS = 5000;

/**
 * How long a connection may stand still — nothing read from it, nothing written to it —
 * before it is closed: twice the longest of the request timeout and `longestWaitMs` (the
 * longest the service itself may go without writing to a connection in use: an event
 * stream's silence — its event interval or its heartbeat, whichever is shorter — and the
 * longest wait for the store before an answer: `adminTimeoutMs`, the decisions'
 * `timeoutMs`, `readyTimeoutMs`, and a worker's wait for the cluster primary's answer to
 * a tick batch, 5 s), at least `floorMs` (`stalledConnectionFloorMs`, 5 s by default); 60 s by default.
 * Why: the request timeout bounds a request on its way in, the keep-alive timeout an idle
 * connection, but nothing bounded an answer on its way out. A client that sends requests
 * and never reads the answers (200 pipelined `GET /openapi.json`) held its connection for
 * good: Node stops reading it once the answers back up, and the connection limit never
 * closes a connection with a request under way to make room, so 10,000 such clients
 * would have kept every other client out. A connection in use is never still that long:
 * a request is answered within its own timeouts, and an event stream writes at least
 * every event interval or heartbeat. (Counting only the stream's silence closed, unanswered, an
 * admin call waiting its 8 s `adminTimeoutMs` on a stalled Redis with a 1 s request timeout.)
 */
export function stalledConnectionTimeoutMs(requestTimeoutMs: number, longestWaitMs: number, floorMs: number = DEFAULT_STALLED_CONNECTION_FLOOR_MS): number {
  return Math.max(floorMs, 2 * requestTimeoutMs, 2 * longestWaitMs);
}

/**
 * Node's HTTP server options that make `requestTimeoutMs` the real bound on a slow
 * request (slowloris headers, a dripping body, a silent new connection), answered
 * 408 by the client-error handler.
 *
 * Why: Fastify sets `server.requestTimeout` after creating the server, so Node's
 * `headersTimeout` keeps its 60 s default; once headers are in, Node cuts a dripping
 * body only past the larger of the two, and it looks only every
 * `connectionsCheckingInterval` (30 s by default) — a 30 s setting cut bodies at
 * ~90 s. Here `headersTimeout` equals the request timeout and the check runs every
 * tenth of it (between 50 ms and 1 s), so a request is cut at most that long after
 * its timeout. A connection standing still for {@link stalledConnectionTimeoutMs} is
 * closed (Fastify's `connectionTimeout`, Node's socket timeout). `requireHostHeader` is off so that
 * the service answers a missing Host with its own JSON 400 instead of Node's empty one.
 */
export function httpServerOptions(requestTimeoutMs: number, longestWaitMs: number, stalledFloorMs: number = DEFAULT_STALLED_CONNECTION_FLOOR_MS): { requestTimeout: number; connectionTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: stalledConnectionTimeoutMs(requestTimeoutMs, longestWaitMs, stalledFloorMs),
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 10))),
      requireHostHeader: false,
    },
  };
}
