import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { registerIssueRoute } from './issue.js';
import { registerPublicKeyRoute } from './public-keys.js';
import { registerReconcileRoute } from './reconcile.js';
import { registerRefreshRoute } from './refresh.js';
import { registerRetrieveRefreshTokenRoutes } from './retrieve-refresh-tokens.js';
import { registerRevokeRefreshTokenRoutes } from './revoke-refresh-tokens.js';
import { registerValidateRoute } from './validate.js';
import { registerVendRoute } from './vend.js';

/**
 * FusionAuth's JWT API (README, REST gateway): issue, reconcile, public keys,
 * refresh, retrieve and revoke refresh tokens, validate and vend. FusionAuth's own clients
 * work against these routes unchanged.
 */
export function registerFusionAuthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  registerIssueRoute(app, ctx);
  registerReconcileRoute(app, ctx);
  registerPublicKeyRoute(app, ctx);
  registerRefreshRoute(app, ctx);
  registerRetrieveRefreshTokenRoutes(app, ctx);
  registerRevokeRefreshTokenRoutes(app, ctx);
  registerValidateRoute(app, ctx);
  registerVendRoute(app, ctx);
}
