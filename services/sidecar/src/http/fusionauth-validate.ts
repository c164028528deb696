import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalValidator } from '@tessera/local-validation';
import { presentedToken } from '../decision/bearer-token.js';
import type { Decider } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';
import { sendEmpty, sendJson } from './reply.js';

/** The header FusionAuth scopes a request to a tenant with. */
const TENANT_HEADER = 'x-fusionauth-tenantid';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * FusionAuth's `GET /api/jwt/validate`, answered locally the way the gateway answers it, so a
 * legacy application can point at the sidecar unchanged: 200 `{ jwt: <payload> }` for a valid
 * token (Bearer or `access_token` cookie), 401 with an empty body otherwise; 503 (empty) while
 * the sidecar is not answering. `X-FusionAuth-TenantId` validates the token as that tenant's.
 */
export async function answerFusionAuthValidate(
  request: IncomingMessage,
  response: ServerResponse,
  deps: {
    readonly validator: LocalValidator;
    readonly decider: Decider;
    readonly metrics: SidecarMetrics;
  },
): Promise<void> {
  const tenantId = single(request.headers[TENANT_HEADER]);
  const token = presentedToken((name) => single(request.headers[name]));
  if (!deps.decider.freshness().answering) {
    deps.metrics.decided('fusionauth', 'UNAVAILABLE');
    sendEmpty(response, 503);
    return;
  }
  if (token === undefined) {
    deps.metrics.decided('fusionauth', 'MISSING_TOKEN');
    sendEmpty(response, 401);
    return;
  }
  const result = await deps.validator.validate(token, tenantId ? { tenantId } : {});
  deps.metrics.decided('fusionauth', result.valid ? 'VALID' : `INVALID_${result.reason}`);
  if (!result.valid) {
    sendEmpty(response, 401);
    return;
  }
  sendJson(response, 200, { jwt: result.claims });
}
