import { status } from '@grpc/grpc-js';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, type Stack, startStack } from '../support/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s.close());

async function externalJwt(
  claims: Record<string, unknown>,
  options: { kid?: string; expiresIn?: string } = {},
) {
  const key = await importJWK({ ...s.realm.identityProvider.privateKey.jwk }, 'ES256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? s.realm.identityProvider.kid })
    .setIssuedAt(Math.floor(s.clock.now() / 1000))
    .setExpirationTime(Math.floor(s.clock.now() / 1000) + 300)
    .sign(key);
}

const reconcile = (encodedJwt: string, applicationId = s.realm.applicationA) =>
  s.call<issuerV1.ReconcileRequest, issuerV1.ReconcileResponse>(s.issuerClient, 'reconcile', {
    tenantId: s.realm.tenantA,
    applicationId,
    identityProviderId: s.realm.identityProvider.id,
    encodedJwt,
    presenter: { ipAddress: '192.168.1.42', userAgent: 'ua' },
    device: undefined,
  });

const failReconcile = (encodedJwt: string) =>
  s.fail(s.issuerClient, 'reconcile', {
    tenantId: s.realm.tenantA,
    applicationId: s.realm.applicationA,
    identityProviderId: s.realm.identityProvider.id,
    encodedJwt,
    presenter: undefined,
    device: undefined,
  });

describe('Reconcile', () => {
  it('creates the user and registration from the external JWT and returns tokens', async () => {
    const jwt = await externalJwt({
      email: 'Ada@Partner.example',
      given_name: 'Ada',
      family_name: 'Lovelace',
      groups: ['admin'],
    });
    const result = await reconcile(jwt);
    const user = JSON.parse(result.userJson);
    expect(user).toMatchObject({
      email: 'ada@partner.example',
      firstName: 'Ada',
      lastName: 'Lovelace',
      active: true,
    });
    expect(user.registrations).toEqual([
      expect.objectContaining({ applicationId: s.realm.applicationA, roles: ['admin'] }),
    ]);
    expect(claimsOf(result.token)).toMatchObject({
      sub: user.id,
      applicationId: s.realm.applicationA,
      roles: ['admin'],
      authenticationType: 'FEDERATED_JWT',
      email: 'ada@partner.example',
      sid: result.refreshTokenId,
    });
    expect(result.refreshToken).not.toBe('');

    // A second reconcile finds the same user.
    const again = await reconcile(await externalJwt({ email: 'ada@partner.example' }));
    expect(JSON.parse(again.userJson).id).toBe(user.id);
  });

  it('refuses JWTs it cannot trust, with UNAUTHENTICATED', async () => {
    const otherKey = await new SignJWT({ email: 'x@partner.example' })
      .setProtectedHeader({ alg: 'HS256', kid: s.realm.identityProvider.kid })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('k'.repeat(32)));
    for (const jwt of [
      otherKey,
      await externalJwt({ email: 'x@elsewhere.example' }),
      await externalJwt({ name: 'no email' }),
      'not.a.jwt',
    ]) {
      expect(await failReconcile(jwt)).toMatchObject({
        code: status.UNAUTHENTICATED,
        reason: 'UNAUTHENTICATED',
      });
    }
  });

  it('refuses an unknown identity provider', async () => {
    const error = await s.fail(s.issuerClient, 'reconcile', {
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      identityProviderId: '00000000-0000-4000-8000-000000000000',
      encodedJwt: await externalJwt({ email: 'a@partner.example' }),
      presenter: undefined,
      device: undefined,
    });
    expect(error).toMatchObject({
      reason: 'IDENTITY_PROVIDER_NOT_FOUND',
      field: 'identity_provider_id',
    });
  });
});

describe('IssueForApplication', () => {
  it('issues for another application with the same exp; not registered means no application claims', async () => {
    const login = await reconcile(
      await externalJwt({ email: 'grace@partner.example', groups: ['admin'] }),
    );
    const original = claimsOf(login.token);
    const result = await s.call<
      issuerV1.IssueForApplicationRequest,
      issuerV1.IssueForApplicationResponse
    >(s.issuerClient, 'issueForApplication', {
      tenantId: s.realm.tenantA,
      token: login.token,
      applicationId: s.realm.applicationA2,
      refreshToken: login.refreshToken,
    });
    expect(result.registered).toBe(false);
    expect(result.refreshToken).toBe('');
    const claims = claimsOf(result.token);
    expect(claims.exp).toBe(original.exp);
    expect(claims).not.toHaveProperty('applicationId');
    expect(claims).not.toHaveProperty('roles');
  });

  it('carries a refresh token over when the user is registered and the policy matches', async () => {
    const login = await reconcile(await externalJwt({ email: 'alan@partner.example' }));
    await s.call<sessionV1.UpsertRegistrationRequest, sessionV1.UpsertRegistrationResponse>(
      s.sessionClient,
      'upsertRegistration',
      {
        tenantId: s.realm.tenantA,
        registration: {
          id: '',
          userId: String(claimsOf(login.token).sub),
          applicationId: s.realm.applicationA2,
          roles: ['viewer'],
          username: '',
          dataJson: '',
          insertInstant: 0n,
          lastLoginInstant: 0n,
        },
      },
    );
    const result = await s.call<
      issuerV1.IssueForApplicationRequest,
      issuerV1.IssueForApplicationResponse
    >(s.issuerClient, 'issueForApplication', {
      tenantId: s.realm.tenantA,
      token: login.token,
      applicationId: s.realm.applicationA2,
      refreshToken: login.refreshToken,
    });
    expect(result.registered).toBe(true);
    expect(result.refreshToken).not.toBe('');
    expect(claimsOf(result.token)).toMatchObject({
      applicationId: s.realm.applicationA2,
      roles: ['viewer'],
      authenticationType: 'JWT_SSO',
      sid: result.refreshTokenId,
    });
    const source = await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(
      s.sessionClient,
      'get',
      {
        id: login.refreshTokenId,
        tenantId: '',
        token: '',
      },
    );
    const carried = await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(
      s.sessionClient,
      'get',
      {
        id: result.refreshTokenId,
        tenantId: '',
        token: '',
      },
    );
    expect(carried.record?.startInstant).toBe(source.record?.startInstant);
  });

  it('refuses a token no user authenticated for (vended), whatever its claims say', async () => {
    const vendRequest = (claims: Record<string, unknown>) => ({
      tenantId: s.realm.tenantA,
      claimsJson: JSON.stringify(claims),
      keyId: '',
      timeToLiveSeconds: 0,
    });
    // Vend does not let the caller claim how a user authenticated, or a session.
    expect(
      await s.fail(
        s.issuerClient,
        'vend',
        vendRequest({ sub: 'victim', authenticationType: 'PASSWORD', sid: 'x' }),
      ),
    ).toMatchObject({ reason: 'INVALID_ARGUMENT', metadata: { claim: 'authenticationType' } });
    const { token } = await s.call<issuerV1.VendRequest, issuerV1.VendResponse>(
      s.issuerClient,
      'vend',
      vendRequest({ sub: 'victim' }),
    );
    const error = await s.fail(s.issuerClient, 'issueForApplication', {
      tenantId: s.realm.tenantA,
      token,
      applicationId: s.realm.applicationA2,
      refreshToken: '',
    });
    expect(error).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
  });

  it('refuses an invalid presented token', async () => {
    const error = await s.fail(s.issuerClient, 'issueForApplication', {
      tenantId: s.realm.tenantA,
      token: 'x.y.z',
      applicationId: s.realm.applicationA2,
      refreshToken: '',
    });
    expect(error).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
  });
});
