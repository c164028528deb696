import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../gateway-context.js';
import { registerDiscoveryRoutes } from './discovery/index.js';
import { registerFusionAuthRoutes } from './fusionauth/index.js';
import { registerNeostoreRoutes } from './neostore/index.js';
import { type OperationsDeps, registerOperationsRoutes } from './operations/index.js';
import { registerWebMethodsRoutes } from './webmethods/index.js';

/** Every route of the gateway, one module per documented API. */
export async function registerRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  ops: OperationsDeps,
): Promise<void> {
  registerFusionAuthRoutes(app, ctx);
  registerNeostoreRoutes(app, ctx);
  registerWebMethodsRoutes(app, ctx);
  registerDiscoveryRoutes(app, ctx);
  registerOperationsRoutes(app, ops);
}
