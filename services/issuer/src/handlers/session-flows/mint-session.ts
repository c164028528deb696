import type { ApplicationConfig, TenantConfig } from '@tessera/config';
import { effectiveJwtSettings } from '@tessera/config';
import type { commonV1, sessionV1 } from '@tessera/contracts';
import type { CallContext } from '@tessera/grpc-runtime';
import { type AuthenticationType, buildAccessTokenClaims } from '../../domain/access-token.js';
import { refreshPolicyOf } from '../../domain/refresh-policy.js';
import { selectSigningKey } from '../../domain/signing-key.js';
import type { IssuerSnapshot } from '../../issuer-state.js';
import type { SessionFlowDeps } from './deps.js';
import { nowSeconds, registrationOf, tokenUserOf } from './shared.js';

/** Who a new session is for and what it carries (StartSession and Reconcile). */
export interface MintInput {
  readonly snapshot: IssuerSnapshot;
  readonly tenant: TenantConfig;
  readonly application: ApplicationConfig;
  readonly user: sessionV1.User | undefined;
  readonly userId: string;
  readonly authenticationType: AuthenticationType;
  readonly presenter: commonV1.Presenter | undefined;
  readonly device: commonV1.DeviceInfo | undefined;
  readonly scopes: readonly string[];
  readonly dataJson: string;
  readonly ctx: CallContext;
}

/** A signed access token, and the refresh token of its session when one was started. */
export interface Minted {
  readonly token: string;
  readonly refreshToken: string;
  readonly refreshTokenId: string;
  /** The access token's `exp`, in seconds. */
  readonly exp: number;
}

/**
 * Signs an access token for a user of an application, and starts a session first when the
 * application has refresh tokens and the user is registered for it (or unknown to the
 * directory), so the token's `sid` names that session.
 */
export async function mintSession(deps: SessionFlowDeps, input: MintInput): Promise<Minted> {
  const { clock, session } = deps;
  const settings = effectiveJwtSettings(input.tenant, input.application);
  const registration = registrationOf(input.user, input.application.id);
  const registered = input.user === undefined || registration !== undefined;
  const authTime = nowSeconds(clock);
  const roles = registration?.roles ?? [];
  let refreshToken = '';
  let refreshTokenId = '';
  if (input.application.refreshTokensEnabled && registered) {
    const created = await session.create(
      {
        tenantId: input.tenant.id,
        applicationId: input.application.id,
        userId: input.userId,
        policy: refreshPolicyOf(settings.refreshToken),
        device: input.device,
        scopes: [...input.scopes],
        dataJson: input.dataJson,
        sessionClaimsJson: JSON.stringify({
          auth_time: authTime,
          authenticationType: input.authenticationType,
          roles,
          email: input.user?.email ?? '',
          email_verified: input.user?.verified ?? false,
          preferred_username: input.user?.username ?? '',
        }),
        startInstant: 0n,
        presenter: input.presenter,
        sourceId: '',
      },
      input.ctx.deadline,
    );
    refreshToken = created.refreshToken;
    refreshTokenId = created.record?.id ?? '';
  }
  const claims = buildAccessTokenClaims({
    tenant: input.tenant,
    application: input.application,
    registered,
    roles,
    user: tokenUserOf(input.user, input.userId),
    sessionId: refreshTokenId,
    authenticationType: input.authenticationType,
    authTime,
    scopes: input.scopes,
    nowMs: clock.now(),
    lifetimeSeconds: settings.accessTokenTimeToLiveSeconds,
  });
  const key = selectSigningKey(input.snapshot.keyring, input.tenant, {
    application: input.application,
  });
  const token = await input.snapshot.keyring.sign(key.kid, claims);
  return { token, refreshToken, refreshTokenId, exp: Number(claims.exp) };
}
