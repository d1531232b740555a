import type { FastifyInstance } from 'fastify';
import type { ApiOperation } from '../api-operation.js';
import { openApiDocumentSchema } from '../response-schemas.js';

/** What the OpenAPI document says of {@link registerOpenApiRoutes}' route. */
export const openApiOperations: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas that validate the requests and describe the responses; generate a client from it (openapi-python-client, datamodel-code-generator…).',
    responses: { 200: { description: 'The document.', content: { 'application/json': openApiDocumentSchema } } },
    errors: [],
  },
];

/**
 * `GET /openapi.json`: the service's OpenAPI document, as the JSON text `createServer`
 * serialized once at start (the document does not change while the process runs).
 */
export function registerOpenApiRoutes(app: FastifyInstance, documentJson: string): void {
  app.get('/openapi.json', (_request, reply) => {
    void reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8');
    return reply.send(documentJson);
  });
}
