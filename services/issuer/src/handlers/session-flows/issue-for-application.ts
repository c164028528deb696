import { callerOf, resolveTenant } from '@tessera/access';
import { effectiveJwtSettings } from '@tessera/config';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import type { CallContext } from '@tessera/grpc-runtime';
import { buildAccessTokenClaims } from '../../domain/access-token.js';
import { refreshPolicyOf } from '../../domain/refresh-policy.js';
import { selectSigningKey } from '../../domain/signing-key.js';
import { verificationProfileOf } from '../../domain/verification-profile.js';
import type { SessionFlowDeps } from './deps.js';
import {
  applicationOf,
  nowSeconds,
  parseObject,
  registrationOf,
  requireActive,
  tokenUserOf,
} from './shared.js';

/**
 * IssueForApplication (FusionAuth "issue"): exchange a user's access token for one of another
 * application. Verify the presented token (never one no user authenticated for) → read the
 * user → fork the presented refresh token's session when the target allows it → sign with the
 * presented token's `exp`.
 */
export async function issueForApplication(
  deps: SessionFlowDeps,
  request: issuerV1.IssueForApplicationRequest,
  ctx: CallContext,
): Promise<issuerV1.IssueForApplicationResponse> {
  const { state, clock, session, metrics } = deps;
  const snapshot = state.current;
  const tenant = resolveTenant(snapshot.realm, {
    tenantId: request.tenantId,
    caller: callerOf(ctx),
    applicationId: request.applicationId,
  });
  const target = applicationOf(snapshot, tenant, request.applicationId, 'application_id');

  const verified = await deps
    .verifierFor(snapshot)
    .verify(request.token, verificationProfileOf(tenant, snapshot.keyring));
  if (!verified.valid) {
    throw new TesseraError('TOKEN_INVALID', 'the presented token is not valid', {
      field: 'token',
      metadata: { reason: verified.reason },
    });
  }
  const presented = verified.claims;
  // Vended, generated and application tokens carry amr ["none"]: no user authenticated
  // for them, so they cannot be exchanged for a user's token of another application.
  if (Array.isArray(presented.amr) && presented.amr.includes('none')) {
    throw new TesseraError(
      'TOKEN_INVALID',
      'the presented token was not issued to an authenticated user',
      {
        field: 'token',
      },
    );
  }
  const userId = typeof presented.sub === 'string' ? presented.sub : '';
  if (userId === '')
    throw new TesseraError('TOKEN_INVALID', 'the presented token has no subject', {
      field: 'token',
    });

  const user = await session.findUser(tenant.id, userId, ctx.deadline);
  requireActive(user, 'token');
  const registration = registrationOf(user, target.id);
  // The presented token's session: the new token carries it, so revoking that session
  // (which also revokes every session forked from it) reaches the new token too.
  const presentedSid = typeof presented.sid === 'string' ? presented.sid : '';
  const registered = registration !== undefined;
  const settings = effectiveJwtSettings(tenant, target);

  let refreshToken = '';
  let refreshTokenId = '';
  if (request.refreshToken !== '' && target.refreshTokensEnabled && registered) {
    const source = await findSession(deps, tenant.id, request.refreshToken, ctx);
    const samePolicy =
      source?.policy?.expiration === refreshPolicyOf(settings.refreshToken).expiration;
    if (source !== undefined && source.userId === userId && samePolicy) {
      const created = await session.create(
        {
          tenantId: tenant.id,
          applicationId: target.id,
          userId,
          policy: refreshPolicyOf(settings.refreshToken),
          device: source.device,
          // Scopes were granted to the source application's session; the token issued
          // here carries none, and neither may the fork's refreshed tokens.
          scopes: [],
          dataJson: source.dataJson,
          sessionClaimsJson: JSON.stringify({
            ...parseObject(source.sessionClaimsJson),
            authenticationType: 'JWT_SSO',
            roles: registration.roles,
          }),
          // FusionAuth: the new refresh token keeps the original session's start.
          startInstant: source.startInstant,
          presenter: undefined,
          // Linked to the source: revoked with it, and capped per session.
          sourceId: source.id,
        },
        ctx.deadline,
      );
      refreshToken = created.refreshToken;
      refreshTokenId = created.record?.id ?? '';
    }
  }

  const claims = buildAccessTokenClaims({
    tenant,
    application: target,
    registered,
    roles: registration?.roles ?? [],
    user: tokenUserOf(user, userId),
    ...(refreshTokenId || presentedSid ? { sessionId: refreshTokenId || presentedSid } : {}),
    authenticationType: 'JWT_SSO',
    authTime: typeof presented.auth_time === 'number' ? presented.auth_time : nowSeconds(clock),
    scopes: [],
    nowMs: clock.now(),
    lifetimeSeconds: settings.accessTokenTimeToLiveSeconds,
    // FusionAuth: the new token has the same expiration as the presented one.
    exp: Number(presented.exp),
  });
  const key = selectSigningKey(snapshot.keyring, tenant, { application: target });
  const token = await snapshot.keyring.sign(key.kid, claims);
  metrics.tokensIssued.inc({ rpc: 'IssueForApplication' });
  return { token, refreshToken, refreshTokenId, registered };
}

/** The session a refresh token belongs to, or undefined when it is unknown. */
function findSession(
  deps: SessionFlowDeps,
  tenantId: string,
  refreshToken: string,
  ctx: CallContext,
): Promise<sessionV1.RefreshToken | undefined> {
  return deps.session
    .get({ id: '', tenantId, token: refreshToken }, ctx.deadline)
    .then((response) => response.record)
    .catch((error: unknown) => {
      if (error instanceof TesseraError && error.code === 'REFRESH_TOKEN_NOT_FOUND')
        return undefined;
      throw error;
    });
}
