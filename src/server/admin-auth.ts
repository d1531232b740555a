import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './body-error.js';

/** Shortest admin token the service accepts. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * Builds the check of admin routes' `Authorization: Bearer <token>`. Both sides are
 * hashed (SHA-256) and compared with `timingSafeEqual`, so neither the token's
 * content nor its length leaks through timing. Without a configured token, admin
 * routes are disabled (403 `admin_disabled`).
 */
export function adminAuthorizer(token: string | null): (request: FastifyRequest) => void {
  const expected = token === null ? null : digest(token);
  return (request) => {
    if (expected === null) {
      throw new HttpError(403, 'admin_disabled', null, 'admin routes are disabled: start the service with VIX_TTL_ADMIN_TOKEN set');
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HttpError(401, 'unauthorized', 'authorization', 'authorization must be "Bearer <VIX_TTL_ADMIN_TOKEN>"');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new HttpError(401, 'unauthorized', 'authorization', 'authorization token is not valid');
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
