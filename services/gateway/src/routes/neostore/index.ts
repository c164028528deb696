import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { registerGenerateRoute } from './generate-route.js';
import { NEOSTORE_SHARED_SCHEMAS } from './generate-schema.js';

/** Neostore's documented API: `POST /api/{tenantId}/tokens/generate`. */
export function registerNeostoreRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  for (const schema of NEOSTORE_SHARED_SCHEMAS) app.addSchema(schema);
  registerGenerateRoute(app, ctx);
}
