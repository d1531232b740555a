import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TtlDecision } from '../policy/ttl-decision.js';
import { cacheControl, type CacheControlOptions } from './cache-control.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Sets `Cache-Control` from a vix-ttl decision (see `cacheControl`); returns the reply. */
    cacheFor(decision: Pick<TtlDecision, 'ttl'>, options?: CacheControlOptions): FastifyReply;
  }
}

/** Options of {@link vixTtlCacheControl}: defaults for every `reply.cacheFor`. */
export type VixTtlCacheControlOptions = CacheControlOptions;

/**
 * A Fastify plugin that decorates every reply with `reply.cacheFor(decision)`,
 * which sets the `Cache-Control` header of {@link cacheControl}. Registered with
 * fastify-plugin semantics (`skip-override`), so it applies to the whole app, not
 * only to the plugin's own scope.
 *
 * ```ts
 * app.register(vixTtlCacheControl, { staleIfError: 30 });
 * app.get('/odds/:id', async (req, reply) => {
 *   const { value, decision } = await cache.getOrLoadWithMeta(key, load, input);
 *   return reply.cacheFor(decision).send(value);
 * });
 * ```
 */
export function vixTtlCacheControl(fastify: FastifyInstance, options: VixTtlCacheControlOptions, done: (error?: Error) => void): void {
  const defaults: CacheControlOptions = {
    staleWhileRevalidate: options?.staleWhileRevalidate,
    staleIfError: options?.staleIfError,
    visibility: options?.visibility,
  };
  try {
    cacheControl({ ttl: 1 }, defaults); // validates the defaults once, at registration
  } catch (error) {
    done(error as Error);
    return;
  }
  if (!fastify.hasReplyDecorator('cacheFor')) {
    fastify.decorateReply('cacheFor', function cacheFor(this: FastifyReply, decision: Pick<TtlDecision, 'ttl'>, overrides?: CacheControlOptions): FastifyReply {
      return this.header('cache-control', cacheControl(decision, { ...defaults, ...stripUndefined(overrides) }));
    });
  }
  done();
}

Object.assign(vixTtlCacheControl, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'vix-ttl-cache-control',
});

function stripUndefined(options: CacheControlOptions | undefined): CacheControlOptions {
  if (!options) return {};
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CacheControlOptions;
}
