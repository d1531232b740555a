import type { ServerOptions } from 'node:http';

/** Default of `requestTimeoutMs`: the longest a request may take to arrive, headers and body. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

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
 * its timeout. `requireHostHeader` is off so that
 * the service answers a missing Host with its own JSON 400 instead of Node's empty one.
 */
export function httpServerOptions(requestTimeoutMs: number): { requestTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 10))),
      requireHostHeader: false,
    },
  };
}
