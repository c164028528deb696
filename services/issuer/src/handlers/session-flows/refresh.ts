import { callerOf, findTenant } from '@tessera/access';
import { effectiveJwtSettings } from '@tessera/config';
import type { issuerV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import type { CallContext } from '@tessera/grpc-runtime';
import { buildAccessTokenClaims } from '../../domain/access-token.js';
import { selectSigningKey } from '../../domain/signing-key.js';
import type { SessionFlowDeps } from './deps.js';
import { endedSessionCause, registrationOf, requestIdOf, tokenUserOf } from './shared.js';

/**
 * Refresh: rotate the refresh token → find its tenant and application → re-read the user
 * (a deactivated or unregistered user ends the session) → sign an access token from the
 * session's claims and the user as the directory knows them now.
 */
export async function refresh(
  deps: SessionFlowDeps,
  request: issuerV1.RefreshRequest,
  ctx: CallContext,
): Promise<issuerV1.RefreshResponse> {
  const { state, clock, session, metrics } = deps;
  if (request.refreshToken === '')
    throw invalidArgument('refresh_token', 'refresh_token is required');
  if (request.timeToLiveSeconds < 0)
    throw invalidArgument('time_to_live_seconds', 'must not be negative');

  // The caller's tenant lock binds the refresh too: the session service sees only the
  // issuer's own key, so the tenant is resolved here and passed on.
  const named = findTenant(state.current.realm, {
    tenantId: request.tenantId,
    caller: callerOf(ctx),
  });
  const rotated = await session.rotate(
    {
      refreshToken: request.refreshToken,
      presenter: request.presenter,
      requestId: requestIdOf(request.requestId),
      tenantId: named?.id ?? '',
      // The user comes back with the rotation: one session call per refresh, not two.
      includeUser: true,
    },
    ctx.deadline,
  );

  const record = rotated.record;
  const snapshot = state.current;
  const tenant = record && snapshot.realm.tenants.get(record.tenantId);
  const application = record && snapshot.realm.applications.get(record.applicationId);
  if (record === undefined || tenant === undefined || application === undefined) {
    // The session outlived its tenant or application in the realm: treat it as gone.
    throw new TesseraError(
      'REFRESH_TOKEN_INVALID',
      'the refresh token belongs to an application that no longer exists',
      {
        field: 'refresh_token',
        metadata: { cause: 'unknown' },
      },
    );
  }

  // A refresh reflects the user as the directory knows them now (one read per refresh):
  // a deactivated user, or one no longer registered, ends the session, and roles are
  // re-read. A user the directory does not hold keeps what the session started with.
  // A session service that did not read it (an older one, or a key without GetUser) leaves
  // userIncluded false: then it is read as before, with GetUser reporting any failure.
  const user = rotated.userIncluded
    ? rotated.user
    : await session.findUser(tenant.id, record.userId, ctx.deadline);
  const ended = endedSessionCause(user, application.id);
  if (ended !== undefined) {
    await session.revoke(
      { tenantId: tenant.id, selector: { $case: 'id', value: record.id }, ownerUserId: '' },
      ctx.deadline,
    );
    throw new TesseraError('REFRESH_TOKEN_INVALID', 'the refresh token is revoked', {
      field: 'refresh_token',
      metadata: { cause: 'revoked', detail: ended },
    });
  }

  const settings = effectiveJwtSettings(tenant, application);
  const lifetimeSeconds =
    request.timeToLiveSeconds > 0
      ? Math.min(request.timeToLiveSeconds, settings.accessTokenTimeToLiveSeconds)
      : settings.accessTokenTimeToLiveSeconds;
  // A user the directory does not hold keeps the claims the session started with.
  const carried = record.sessionClaims;
  const claims = buildAccessTokenClaims({
    tenant,
    application,
    registered: true,
    roles: user ? (registrationOf(user, application.id)?.roles ?? []) : (carried?.roles ?? []),
    user: user
      ? tokenUserOf(user, record.userId)
      : {
          id: record.userId,
          email: carried?.email ?? '',
          verified: carried?.emailVerified ?? false,
          username: carried?.preferredUsername ?? '',
        },
    sessionId: record.id,
    authenticationType: 'REFRESH_TOKEN',
    authTime:
      carried !== undefined && carried.authTime > 0n
        ? Number(carried.authTime)
        : Math.floor(Number(record.startInstant) / 1000),
    scopes: record.scopes,
    nowMs: clock.now(),
    lifetimeSeconds,
  });
  const key = selectSigningKey(snapshot.keyring, tenant, { application });
  const token = await snapshot.keyring.sign(key.kid, claims);
  metrics.tokensIssued.inc({ rpc: 'Refresh' });
  return {
    token,
    refreshToken: rotated.refreshToken,
    refreshTokenId: record.id,
    tokenExpirationInstant: BigInt(Number(claims.exp)) * 1000n,
    refreshTokenExpirationInstant: record.expirationInstant,
    applicationId: application.id,
  };
}
