import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** Shortest bearer token (admin or API) the service accepts. */
export const MIN_TOKEN_LENGTH = 16;

/** Longest bearer token the service accepts. */
export const MAX_TOKEN_LENGTH = 1024;

/** Which token a route wants: the variable that sets it (named in the 401) and the realm of its challenge. */
export interface BearerCredential {
  variable: 'VIX_TTL_ADMIN_TOKEN' | 'VIX_TTL_API_TOKEN';
  realm: string;
}

/** The admin routes' credential. */
export const ADMIN_CREDENTIAL: BearerCredential = { variable: 'VIX_TTL_ADMIN_TOKEN', realm: 'vix-ttl admin' };

/** The credential of the routes that change shared state (`POST /v1/ttl`, `POST /v1/ticks`). */
export const API_CREDENTIAL: BearerCredential = { variable: 'VIX_TTL_API_TOKEN', realm: 'vix-ttl api' };

/**
 * Builds the check of a route's `Authorization: Bearer <token>`, the one used by the
 * admin and the API routes. Both sides are hashed (SHA-256) and compared with
 * `timingSafeEqual`, so neither the token's content nor its length leaks through
 * timing. A missing or wrong token is a 401 `unauthorized` (field `authorization`)
 * with a `WWW-Authenticate` challenge; the token itself never appears in a message.
 */
export function bearerAuthorizer(token: string, credential: BearerCredential): (request: FastifyRequest) => void {
  const expected = digest(token);
  const challenge = { 'www-authenticate': `Bearer realm="${credential.realm}"` };
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
