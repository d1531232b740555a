import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';

/**
 * The helmet configuration of the service: a CSP that allows only the dashboard's
 * own scripts, styles and connections (no inline script), no upgrade of plain-HTTP
 * requests, and helmet's other defaults (nosniff, frame protection, no referrer…).
 */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'frame-ancestors': ["'none'"],
      'upgrade-insecure-requests': null,
    },
  },
};

/**
 * The headers of every answer but the dashboard's page and files: what a JSON (or
 * Prometheus text) API needs — `nosniff`, so no browser runs an answer as a script or
 * a page; `no-store`, so no cache keeps a decision or an error (a route may set its own
 * cache-control: the OpenAPI document's); and the worker that answered. helmet's other
 * headers (CSP, frame and referrer policies, cross-origin isolation…) govern documents a
 * browser renders, which these answers are not; at ~12 headers they cost a small route
 * a tenth of its throughput, so only the dashboard carries them ({@link securityHeaders}).
 */
export function apiHeaders(workerId: string = String(process.pid)): Readonly<Record<string, string>> {
  return Object.freeze({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'x-vix-ttl-worker': workerId });
}

/**
 * The headers @fastify/helmet sets under `options`, computed once by injecting a
 * request into a throwaway app with and without it. @fastify/helmet rebuilds the
 * helmet middleware (and re-parses the CSP) on every request, which costs about 40 %
 * of a small route's throughput; without nonces its headers never change, so the
 * service sets these precomputed values instead.
 */
export async function securityHeaders(options: FastifyHelmetOptions = HELMET_OPTIONS): Promise<Record<string, string>> {
  const [withHelmet, without] = await Promise.all([probe(options), probe(null)]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(withHelmet)) {
    if (name in without || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

async function probe(options: FastifyHelmetOptions | null): Promise<Record<string, string | string[] | number | undefined>> {
  const app = Fastify();
  if (options) await app.register(helmet, options);
  app.get('/', async () => 'probe');
  try {
    return (await app.inject({ method: 'GET', url: '/' })).headers;
  } finally {
    await app.close();
  }
}
