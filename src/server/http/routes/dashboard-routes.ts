import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { DashboardAsset } from '../dashboard-assets.js';

/** `GET /` the Brain Lab dashboard and `GET /assets/<file>` its script, styles and uPlot. */
export function registerDashboardRoutes(app: FastifyInstance, assets: ReadonlyMap<string, DashboardAsset>): void {
  app.get('/', (request, reply) => send(request, reply, assets.get('index.html'), 'index.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => send(request, reply, assets.get(request.params.file), request.params.file));
}

function send(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset | undefined, name: string): FastifyReply {
  if (!asset) throw new HttpError('not_found', null, `no dashboard asset ${JSON.stringify(name.slice(0, 64))}`);
  void reply.header('etag', asset.etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}
