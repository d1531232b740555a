import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiOperation, ApiResponse } from '../api-operation.js';
import { HttpError } from '../http-error.js';
import { DASHBOARD_ASSET_NAMES, type DashboardAsset } from '../dashboard-assets.js';

const ETAG = { ETag: { description: "The file's digest; send it back as If-None-Match for a 304.", required: true } };
const NOT_MODIFIED: ApiResponse = { description: 'Not modified: the If-None-Match given is the current ETag.', headers: ETAG };
const IF_NONE_MATCH = { 'If-None-Match': { description: 'The ETag of the copy the client holds.' } };

/** What the OpenAPI document says of {@link registerDashboardRoutes}' routes. */
export const dashboardOperations: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/',
    operationId: 'getDashboard',
    tag: 'dashboard',
    summary: 'The Brain Lab dashboard',
    description: 'The dashboard page: per scope the VIX, panic, tier per importance with a countdown, decisions per second, store health and the extended-panic banner, live over GET /v1/events.',
    headerParameters: IF_NONE_MATCH,
    responses: { 200: { description: 'The page.', content: { 'text/html; charset=utf-8': 'text' }, headers: ETAG }, 304: NOT_MODIFIED },
    errors: ['not_found'],
    errorNotes: { not_found: 'the dashboard files were not found at start (logged as VIX_TTL_DASHBOARD_ASSETS_MISSING).' },
  },
  {
    method: 'GET',
    path: '/assets/{file}',
    operationId: 'getDashboardAsset',
    tag: 'dashboard',
    summary: "The dashboard's script, styles and uPlot",
    description: 'Served from the package, never from a CDN.',
    pathParameters: { file: { schema: z.enum(DASHBOARD_ASSET_NAMES as [string, ...string[]]), description: 'The file.' } },
    headerParameters: IF_NONE_MATCH,
    responses: {
      200: {
        description: 'The file.',
        content: { 'text/javascript; charset=utf-8': 'text', 'text/css; charset=utf-8': 'text', 'text/html; charset=utf-8': 'text' },
        headers: ETAG,
      },
      304: NOT_MODIFIED,
    },
    errors: ['not_found'],
  },
];

/**
 * `GET /` the Brain Lab dashboard and `GET /assets/<file>` its script, styles and uPlot,
 * with `pageHeaders`: the security headers of a page a browser renders (helmet's, with
 * a CSP that allows only the dashboard's own scripts, styles and connections).
 */
export function registerDashboardRoutes(app: FastifyInstance, assets: ReadonlyMap<string, DashboardAsset>, pageHeaders: Readonly<Record<string, string>>): void {
  const send = (request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset | undefined, name: string): FastifyReply => {
    if (!asset) throw new HttpError('not_found', null, `no dashboard asset ${JSON.stringify(name.slice(0, 64))}`);
    void reply.headers(pageHeaders);
    return sendAsset(request, reply, asset);
  };
  app.get('/', (request, reply) => send(request, reply, assets.get('index.html'), 'index.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => send(request, reply, assets.get(request.params.file), request.params.file));
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset): FastifyReply {
  void reply.header('etag', asset.etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}
