import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { registerJwksRoutes } from './jwks-routes.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { registerOpenIdConfigurationRoutes } from './openid-configuration-route.js';

/** Discovery documents: the key sets, OpenID configuration and the OpenAPI description. */
export function registerDiscoveryRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  registerJwksRoutes(app, ctx);
  registerOpenIdConfigurationRoutes(app, ctx);
  registerOpenApiRoute(app);
}
