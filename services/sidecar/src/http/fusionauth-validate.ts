import type { LocalValidator } from '@tessera/local-validation';
import type { FastifyInstance } from 'fastify';
import { presentedToken } from '../decision/bearer-token.js';
import type { Decider } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';

/** The header FusionAuth scopes a request to a tenant with. */
const TENANT_HEADER = 'x-fusionauth-tenantid';

/**
 * FusionAuth's `GET /api/jwt/validate`, answered locally the way the gateway answers it, so a
 * legacy application can point at the sidecar unchanged: 200 `{ jwt: <payload> }` for a valid
 * token (Bearer or `access_token` cookie), 401 with an empty body otherwise; 503 (empty) while
 * the sidecar is not answering. `X-FusionAuth-TenantId` validates the token as that tenant's.
 */
export function registerFusionAuthValidateRoute(
  app: FastifyInstance,
  deps: {
    readonly validator: LocalValidator;
    readonly decider: Decider;
    readonly metrics: SidecarMetrics;
  },
): void {
  app.get('/api/jwt/validate', async (request, reply) => {
    const header = request.headers[TENANT_HEADER];
    const tenantId = Array.isArray(header) ? header[0] : header;
    const token = presentedToken((name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    });
    if (!deps.decider.freshness().answering) {
      deps.metrics.decided('fusionauth', 'UNAVAILABLE');
      return reply.code(503).send();
    }
    if (token === undefined) {
      deps.metrics.decided('fusionauth', 'MISSING_TOKEN');
      return reply.code(401).send();
    }
    const result = await deps.validator.validate(token, tenantId ? { tenantId } : {});
    deps.metrics.decided('fusionauth', result.valid ? 'VALID' : `INVALID_${result.reason}`);
    if (!result.valid) return reply.code(401).send();
    return { jwt: result.claims };
  });
}
