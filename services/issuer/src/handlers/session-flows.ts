import { randomUUID } from 'node:crypto';
import {
  apiKeyOf,
  assertMayGrantScopes,
  callerOf,
  findTenant,
  resolveTenant,
} from '@tessera/access';
import type { Clock } from '@tessera/clock';
import { type ApplicationConfig, effectiveJwtSettings, type TenantConfig } from '@tessera/config';
import type { commonV1, issuerV1, sessionV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import type { CallContext, UnaryHandler } from '@tessera/grpc-runtime';
import type { TokenVerifier } from '@tessera/jwt-core';
import {
  type AuthenticationType,
  buildAccessTokenClaims,
  type TokenUser,
} from '../domain/access-token.js';
import {
  identityProviderKeys,
  mayLinkByEmail,
  verifyExternalJwt,
} from '../domain/identity-provider.js';
import { refreshPolicyOf } from '../domain/refresh-policy.js';
import { selectSigningKey } from '../domain/signing-key.js';
import { verificationProfileOf } from '../domain/verification-profile.js';
import type { IssuerMetrics } from '../issuer-metrics.js';
import type { IssuerSnapshot, IssuerState } from '../issuer-state.js';
import type { SessionGateway } from '../session-client/session-gateway.js';

/** What the session-backed flows need. */
export interface SessionFlowDeps {
  readonly state: IssuerState;
  readonly clock: Clock;
  readonly session: SessionGateway;
  readonly verifierFor: (snapshot: IssuerSnapshot) => TokenVerifier;
  readonly metrics: IssuerMetrics;
}

/** The issuer RPCs that need the session service. */
export interface SessionFlowHandlers {
  readonly startSession: UnaryHandler<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>;
  readonly refresh: UnaryHandler<issuerV1.RefreshRequest, issuerV1.RefreshResponse>;
  readonly issueForApplication: UnaryHandler<
    issuerV1.IssueForApplicationRequest,
    issuerV1.IssueForApplicationResponse
  >;
  readonly reconcile: UnaryHandler<issuerV1.ReconcileRequest, issuerV1.ReconcileResponse>;
}

function applicationOf(
  snapshot: IssuerSnapshot,
  tenant: TenantConfig,
  applicationId: string,
  field: string,
): ApplicationConfig {
  const application = snapshot.realm.applications.get(applicationId);
  if (application === undefined || application.tenantId !== tenant.id) {
    throw new TesseraError(
      'APPLICATION_NOT_FOUND',
      `no application ${applicationId} in the tenant`,
      { field },
    );
  }
  return application;
}

function tokenUserOf(user: sessionV1.User | undefined, userId: string): TokenUser {
  return {
    id: userId,
    email: user?.email ?? '',
    verified: user?.verified ?? false,
    username: user?.username ?? '',
  };
}

function registrationOf(
  user: sessionV1.User | undefined,
  applicationId: string,
): sessionV1.Registration | undefined {
  return user?.registrations.find((registration) => registration.applicationId === applicationId);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const nowSeconds = (clock: Clock) => Math.floor(clock.now() / 1000);

/** A deactivated user gets no new token, whatever they present. */
function requireActive(user: sessionV1.User | undefined, field: string): void {
  if (user !== undefined && !user.active) {
    throw new TesseraError('UNAUTHENTICATED', 'the user is deactivated', {
      field,
      metadata: { cause: 'user-deactivated' },
    });
  }
}

/** Why a refresh no longer reflects a user who may have tokens: the session must end. */
function endedSessionCause(
  user: sessionV1.User | undefined,
  applicationId: string,
): string | undefined {
  if (user === undefined) return undefined;
  if (!user.active) return 'user-deactivated';
  return registrationOf(user, applicationId) === undefined ? 'registration-removed' : undefined;
}

/**
 * StartSession, Refresh, IssueForApplication and Reconcile: the flows that pair an access
 * token with a refresh token kept by the session service. Each access token of a session
 * carries `sid` = the refresh-token id, so revoking the session reaches them.
 */
export function createSessionFlows(deps: SessionFlowDeps): SessionFlowHandlers {
  const { state, clock, session, metrics } = deps;

  /** Signs an access token for a user of an application, and starts a session when enabled. */
  const mint = async (input: {
    snapshot: IssuerSnapshot;
    tenant: TenantConfig;
    application: ApplicationConfig;
    user: sessionV1.User | undefined;
    userId: string;
    authenticationType: AuthenticationType;
    presenter: commonV1.Presenter | undefined;
    device: commonV1.DeviceInfo | undefined;
    scopes: readonly string[];
    dataJson: string;
    ctx: CallContext;
  }) => {
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
  };

  return {
    async startSession(request, ctx) {
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
      const minted = await mint({
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
    },

    async refresh(request, ctx) {
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
          requestId: request.requestId,
          tenantId: named?.id ?? '',
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
      const user = await session.findUser(tenant.id, record.userId, ctx.deadline);
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
      const carried = parseObject(record.sessionClaimsJson);
      const carriedRoles = Array.isArray(carried.roles)
        ? carried.roles.filter((r): r is string => typeof r === 'string')
        : [];
      const claims = buildAccessTokenClaims({
        tenant,
        application,
        registered: true,
        roles: user ? (registrationOf(user, application.id)?.roles ?? []) : carriedRoles,
        user: user
          ? tokenUserOf(user, record.userId)
          : {
              id: record.userId,
              email: typeof carried.email === 'string' ? carried.email : '',
              verified: carried.email_verified === true,
              username:
                typeof carried.preferred_username === 'string' ? carried.preferred_username : '',
            },
        sessionId: record.id,
        authenticationType: 'REFRESH_TOKEN',
        authTime:
          typeof carried.auth_time === 'number'
            ? carried.auth_time
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
      };
    },

    async issueForApplication(request, ctx) {
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
        const source = await session
          .get({ id: '', tenantId: tenant.id, token: request.refreshToken }, ctx.deadline)
          .then((response) => response.record)
          .catch((error: unknown) => {
            if (error instanceof TesseraError && error.code === 'REFRESH_TOKEN_NOT_FOUND')
              return undefined;
            throw error;
          });
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
    },

    async reconcile(request, ctx) {
      const snapshot = state.current;
      const tenant = resolveTenant(snapshot.realm, {
        tenantId: request.tenantId,
        caller: callerOf(ctx),
        applicationId: request.applicationId,
      });
      const provider = snapshot.realm.identityProviders.get(request.identityProviderId);
      if (
        provider === undefined ||
        (provider.tenantIds !== undefined && !provider.tenantIds.includes(tenant.id))
      ) {
        throw new TesseraError(
          'IDENTITY_PROVIDER_NOT_FOUND',
          `no identity provider ${request.identityProviderId}`,
          {
            field: 'identity_provider_id',
          },
        );
      }
      const application = applicationOf(snapshot, tenant, request.applicationId, 'application_id');
      if (
        provider.applicationIds !== undefined &&
        !provider.applicationIds.includes(application.id)
      ) {
        throw new TesseraError(
          'APPLICATION_NOT_FOUND',
          'the identity provider is not enabled for this application',
          {
            field: 'application_id',
          },
        );
      }
      const external = await verifyExternalJwt(
        request.encodedJwt,
        provider,
        identityProviderKeys(provider, snapshot.realm.source),
        {
          nowMs: clock.now(),
          clockToleranceSeconds: tenant.jwt.clockToleranceSeconds,
          maxTokenLength: snapshot.realm.document.limits.maxTokenLength,
        },
      );
      const identity = String(external[provider.uniqueIdentityClaim]);
      const byEmail = provider.uniqueIdentityClaim === 'email';
      const mapped = mapClaims(external, provider.claimMap);
      // Users are the provider's by (provider, identity): one provider never finds another's
      // users by their identity. An email is compared as the directory stores it.
      const link: sessionV1.IdentityLink = {
        identityProviderId: provider.id,
        subject: byEmail ? identity.toLowerCase() : identity,
      };
      const email = byEmail ? link.subject : mapped.email?.toLowerCase();
      const lookUp = (selector: sessionV1.GetUserRequest['selector']) =>
        session
          .getUser({ tenantId: tenant.id, selector }, ctx.deadline)
          .then((response) => response.user)
          .catch((error: unknown) => {
            if (error instanceof TesseraError && error.code === 'USER_NOT_FOUND') return undefined;
            throw error;
          });
      let existing = await lookUp({ $case: 'identityLink', value: link });
      if (
        existing === undefined &&
        email !== undefined &&
        mayLinkByEmail(external, provider, email)
      ) {
        existing = await lookUp({ $case: 'email', value: email });
      }
      const now = BigInt(clock.now());
      const { user: upserted } = await session
        .upsertUser(
          {
            user: {
              id: existing?.id ?? randomUUID(),
              tenantId: tenant.id,
              email: email ?? existing?.email ?? '',
              username: mapped.username ?? existing?.username ?? (byEmail ? '' : identity),
              // Verified only when the provider says so, on every sign-in.
              verified: external.email_verified === true,
              // A deactivated user stays deactivated (and is refused below).
              active: existing?.active ?? true,
              firstName: mapped.firstName ?? existing?.firstName ?? '',
              lastName: mapped.lastName ?? existing?.lastName ?? '',
              fullName: mapped.fullName ?? existing?.fullName ?? '',
              dataJson: existing?.dataJson ?? '',
              insertInstant: existing?.insertInstant ?? now,
              lastUpdateInstant: now,
              lastLoginInstant: now,
              registrations: [],
              identityLinks: [],
            },
            identityLink: link,
          },
          ctx.deadline,
        )
        .catch((error: unknown) => {
          // The email or username belongs to a user this provider may not sign in.
          if (error instanceof TesseraError && error.code === 'ALREADY_EXISTS') {
            throw new TesseraError(
              'UNAUTHENTICATED',
              'another user of the tenant holds this identity; the identity provider may sign in a user it did not create only with a verified email in one of its managed domains',
              { field: 'encoded_jwt', metadata: { conflict: error.field ?? '' } },
            );
          }
          throw error;
        });
      if (upserted === undefined)
        throw new TesseraError('INTERNAL', 'the directory returned no user');
      if (!upserted.active) {
        throw new TesseraError('UNAUTHENTICATED', 'the user is deactivated', {
          field: 'encoded_jwt',
        });
      }
      const current = registrationOf(upserted, application.id);
      await session.upsertRegistration(
        {
          tenantId: tenant.id,
          registration: {
            id: current?.id ?? '',
            userId: upserted.id,
            applicationId: application.id,
            roles: mapped.roles ?? current?.roles ?? [],
            username: current?.username ?? '',
            dataJson: current?.dataJson ?? '',
            insertInstant: current?.insertInstant ?? now,
            lastLoginInstant: now,
          },
        },
        ctx.deadline,
      );
      const user = await session.findUser(tenant.id, upserted.id, ctx.deadline);
      const minted = await mint({
        snapshot,
        tenant,
        application,
        user,
        userId: upserted.id,
        authenticationType: 'FEDERATED_JWT',
        presenter: request.presenter,
        device: request.device,
        scopes: [],
        dataJson: '',
        ctx,
      });
      metrics.tokensIssued.inc({ rpc: 'Reconcile' });
      return {
        userJson: JSON.stringify(fusionAuthUser(user ?? upserted)),
        token: minted.token,
        refreshToken: minted.refreshToken,
        refreshTokenId: minted.refreshTokenId,
        tokenExpirationInstant: BigInt(minted.exp) * 1000n,
      };
    },
  };
}

interface MappedClaims {
  email?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  fullName?: string;
  roles?: string[];
}

function mapClaims(
  claims: Record<string, unknown>,
  map: Readonly<Record<string, string>>,
): MappedClaims {
  const mapped: MappedClaims = {};
  for (const [claim, target] of Object.entries(map)) {
    const value = claims[claim];
    if (target === 'registration.roles') {
      if (Array.isArray(value))
        mapped.roles = value.filter((v): v is string => typeof v === 'string');
      else if (typeof value === 'string') mapped.roles = [value];
    } else if (typeof value === 'string') {
      mapped[target as Exclude<keyof MappedClaims, 'roles'>] = value;
    }
  }
  return mapped;
}

/** The FusionAuth user object of the reconcile response (instants in epoch ms). */
function fusionAuthUser(user: sessionV1.User): Record<string, unknown> {
  const optional = (name: string, value: string) => (value === '' ? {} : { [name]: value });
  return {
    id: user.id,
    tenantId: user.tenantId,
    active: user.active,
    verified: user.verified,
    ...optional('email', user.email),
    ...optional('username', user.username),
    ...optional('firstName', user.firstName),
    ...optional('lastName', user.lastName),
    ...optional('fullName', user.fullName),
    data: parseObject(user.dataJson),
    insertInstant: Number(user.insertInstant),
    lastLoginInstant: Number(user.lastLoginInstant),
    lastUpdateInstant: Number(user.lastUpdateInstant),
    registrations: user.registrations.map((registration) => ({
      id: registration.id,
      applicationId: registration.applicationId,
      roles: registration.roles,
      ...optional('username', registration.username),
      data: parseObject(registration.dataJson),
      insertInstant: Number(registration.insertInstant),
      lastLoginInstant: Number(registration.lastLoginInstant),
    })),
  };
}
