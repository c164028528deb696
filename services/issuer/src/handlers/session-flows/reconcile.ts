import { randomUUID } from 'node:crypto';
import { callerOf, resolveTenant } from '@tessera/access';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import type { CallContext } from '@tessera/grpc-runtime';
import {
  identityProviderKeys,
  mayLinkByEmail,
  verifyExternalJwt,
} from '../../domain/identity-provider.js';
import type { SessionFlowDeps } from './deps.js';
import { fusionAuthUser } from './fusionauth-user.js';
import { mapClaims } from './mapped-claims.js';
import { mintSession } from './mint-session.js';
import { applicationOf, registrationOf } from './shared.js';

/**
 * Reconcile: an external identity provider's JWT → the user it names, and tokens.
 * Resolve the provider and application → verify the external JWT → find the user by the
 * provider's link (or a verified managed email) → upsert the user and their registration →
 * start a session and sign.
 */
export async function reconcile(
  deps: SessionFlowDeps,
  request: issuerV1.ReconcileRequest,
  ctx: CallContext,
): Promise<issuerV1.ReconcileResponse> {
  const { state, clock, session, metrics } = deps;
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
  if (provider.applicationIds !== undefined && !provider.applicationIds.includes(application.id)) {
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
  if (existing === undefined && email !== undefined && mayLinkByEmail(external, provider, email)) {
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
  if (upserted === undefined) throw new TesseraError('INTERNAL', 'the directory returned no user');
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

  const minted = await mintSession(deps, {
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
}
