import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { InvalidConfigError } from '../../core/errors.js';
import { HttpError } from './http-error.js';

/** Shortest bearer token (admin or API) the service accepts. */
export const MIN_TOKEN_LENGTH = 16;

/** Longest bearer token the service accepts. */
export const MAX_TOKEN_LENGTH = 1024;

/** Which token a route wants: the variable that sets it (named in the 401) and the realm of its challenge. */
export interface BearerCredential {
  variable: 'VIX_TTL_ADMIN_TOKEN' | 'VIX_TTL_API_TOKEN' | 'VIX_TTL_METRICS_TOKEN';
  realm: string;
}

/** The admin routes' credential. */
export const ADMIN_CREDENTIAL: BearerCredential = { variable: 'VIX_TTL_ADMIN_TOKEN', realm: 'vix-ttl admin' };

/** The credential of the routes that change shared state (`POST /v1/ttl`, `POST /v1/ticks`). */
export const API_CREDENTIAL: BearerCredential = { variable: 'VIX_TTL_API_TOKEN', realm: 'vix-ttl api' };

/** The credential of `GET /metrics`, when a metrics token is set (a Prometheus scrape config holds it, not the others). */
export const METRICS_CREDENTIAL: BearerCredential = { variable: 'VIX_TTL_METRICS_TOKEN', realm: 'vix-ttl metrics' };

/**
 * Builds the check of a route's `Authorization: Bearer <token>`, the one used by the
 * admin and the API routes. Both sides are hashed (SHA-256) and compared with
 * `timingSafeEqual`, so neither the token's content nor its length leaks through
 * timing. A missing or wrong token is a 401 `unauthorized` (field `authorization`)
 * with a `WWW-Authenticate` challenge and `Connection: close`: the body of a client
 * without the token is never read, nor drained, and its connection is not kept; the
 * token itself never appears in a message.
 */
export function bearerAuthorizer(token: string, credential: BearerCredential): (request: FastifyRequest) => void {
  const expected = digest(token);
  const challenge = { 'www-authenticate': `Bearer realm="${credential.realm}"`, connection: 'close' };
  return (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HttpError('unauthorized', 'authorization', `authorization must be "Bearer <${credential.variable}>"`, challenge);
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new HttpError('unauthorized', 'authorization', 'authorization token is not valid', challenge);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Refuses two equal tokens among the named ones (`{ adminToken, apiToken, metricsToken }`):
 * each opens its own routes, and one value in two places would let the holder of
 * the weaker one (a Prometheus config, an API client) open the stronger ones.
 * @throws InvalidConfigError naming both options.
 */
export function assertDistinctTokens(tokens: Readonly<Record<string, string | null | undefined>>, root: string): void {
  const named = Object.entries(tokens).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  for (let i = 0; i < named.length; i += 1) {
    for (let j = i + 1; j < named.length; j += 1) {
      if (named[i]![1] !== named[j]![1]) continue;
      throw new InvalidConfigError(`${root}.${named[j]![0]}`, `must differ from ${named[i]![0]}: one token would open the routes of both`);
    }
  }
}
