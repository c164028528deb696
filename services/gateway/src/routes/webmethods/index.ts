import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { registerGetJsonWebTokenRoute } from './get-json-web-token-route.js';

/** webMethods API Gateway's documented API: `POST /gateway/security/getJsonWebToken`. */
export function registerWebMethodsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  registerGetJsonWebTokenRoute(app, ctx);
}
