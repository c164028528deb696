import { apiKeyOf, assertMayGrantScopes, callerOf, resolveTenant } from '@tessera/access';
import type { issuerV1 } from '@tessera/contracts';
import { invalidArgument } from '@tessera/errors';
import type { CallContext } from '@tessera/grpc-runtime';
import type { SessionFlowDeps } from './deps.js';
import { mintSession } from './mint-session.js';
import { applicationOf, requireActive } from './shared.js';

/**
 * StartSession: an internal login service has authenticated a user; mint an access token and
 * start a session. Resolve tenant and application → check the caller may grant the scopes →
 * read the user (a deactivated one is refused) → create the session and sign.
 */
export async function startSession(
  deps: SessionFlowDeps,
  request: issuerV1.StartSessionRequest,
  ctx: CallContext,
): Promise<issuerV1.StartSessionResponse> {
  const { state, session, metrics } = deps;
  const snapshot = state.current;
  const tenant = resolveTenant(snapshot.realm, {
    tenantId: request.tenantId,
    caller: callerOf(ctx),
    applicationId: request.applicationId,
  });
  const application = applicationOf(snapshot, tenant, request.applicationId, 'application_id');
  if (request.userId === '') throw invalidArgument('user_id', 'user_id is required');
  assertMayGrantScopes(apiKeyOf(callerOf(ctx)), request.scopes);

  const user = await session.findUser(tenant.id, request.userId, ctx.deadline);
  requireActive(user, 'user_id');

  const minted = await mintSession(deps, {
    snapshot,
    tenant,
    application,
    user,
    userId: request.userId,
    authenticationType: request.authenticationType || 'PASSWORD',
    presenter: request.presenter,
    device: request.device,
    scopes: request.scopes,
    dataJson: request.dataJson,
    ctx,
  });
  metrics.tokensIssued.inc({ rpc: 'StartSession' });
  return {
    token: minted.token,
    refreshToken: minted.refreshToken,
    refreshTokenId: minted.refreshTokenId,
    tokenExpirationInstant: BigInt(minted.exp) * 1000n,
  };
}
