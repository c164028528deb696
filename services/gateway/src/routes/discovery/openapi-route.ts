import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** `GET /openapi.json`: the OpenAPI 3.1 description of every route, built from their schemas. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', {
    config: { api: 'plain' },
    // The document describes the APIs, not itself.
    schema: { hide: true },
    handler: async () => app.swagger(),
  });
}
