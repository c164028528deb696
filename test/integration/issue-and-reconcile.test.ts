import { randomUUID } from 'node:crypto';
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
    requestId: '',
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

describe('security finding 7 — Reconcile trusts only what it can bind', () => {
  type Provider = { id: string; kid: string; privateKey: { jwk: Record<string, unknown> } };
  const partner = (): Provider => s.realm.identityProvider;
  const open = (): Provider => s.realm.openIdentityProvider;

  /** An external JWT of `provider`; `exp` in 300 s unless `null`, `iss`/`aud` as given. */
  async function signedBy(
    provider: Provider,
    claims: Record<string, unknown>,
    options: { exp?: number | null } = {},
  ): Promise<string> {
    const key = await importJWK({ ...provider.privateKey.jwk }, 'ES256');
    const now = Math.floor(s.clock.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: provider.kid })
      .setIssuedAt(now);
    if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 300);
    return jwt.sign(key);
  }

  /** A JWT of the open provider with its configured iss and aud. */
  const openJwt = (claims: Record<string, unknown>) =>
    signedBy(open(), {
      iss: s.realm.openIdentityProvider.issuer,
      aud: s.realm.openIdentityProvider.audience,
      ...claims,
    });

  const reconcileWith = (provider: Provider, encodedJwt: string) =>
    s.call<issuerV1.ReconcileRequest, issuerV1.ReconcileResponse>(s.issuerClient, 'reconcile', {
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      identityProviderId: provider.id,
      encodedJwt,
      presenter: undefined,
      device: undefined,
      requestId: '',
    });

  const failWith = (provider: Provider, encodedJwt: string) =>
    s.fail(s.issuerClient, 'reconcile', {
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      identityProviderId: provider.id,
      encodedJwt,
      presenter: undefined,
      device: undefined,
    });

  const UNAUTHENTICATED = { code: status.UNAUTHENTICATED, reason: 'UNAUTHENTICATED' };

  /** A user of tenant A created directly in the directory, registered with `roles`. */
  async function directoryUser(email: string, roles: string[]): Promise<string> {
    const id = randomUUID();
    await s.call<sessionV1.UpsertUserRequest, sessionV1.UpsertUserResponse>(
      s.sessionClient,
      'upsertUser',
      {
        user: {
          id,
          tenantId: s.realm.tenantA,
          email,
          username: '',
          verified: true,
          active: true,
          firstName: '',
          lastName: '',
          fullName: '',
          dataJson: '',
          insertInstant: 0n,
          lastUpdateInstant: 0n,
          lastLoginInstant: 0n,
          registrations: [],
          identityLinks: [],
        },
        identityLink: undefined,
        registration: undefined,
      },
    );
    await s.call<sessionV1.UpsertRegistrationRequest, sessionV1.UpsertRegistrationResponse>(
      s.sessionClient,
      'upsertRegistration',
      {
        tenantId: s.realm.tenantA,
        registration: {
          id: '',
          userId: id,
          applicationId: s.realm.applicationA,
          roles,
          username: '',
          dataJson: '',
          insertInstant: 0n,
          lastLoginInstant: 0n,
        },
      },
    );
    return id;
  }

  it('finding 7: a JWT without exp is refused', async () => {
    const forever = await signedBy(partner(), { email: 'forever@partner.example' }, { exp: null });
    expect(await failWith(partner(), forever)).toMatchObject(UNAUTHENTICATED);
    const openForever = await signedBy(
      open(),
      {
        email: 'forever@open.example',
        iss: s.realm.openIdentityProvider.issuer,
        aud: s.realm.openIdentityProvider.audience,
      },
      { exp: null },
    );
    expect(await failWith(open(), openForever)).toMatchObject(UNAUTHENTICATED);
  });

  it('finding 7: a wrong or missing iss or aud is refused when the provider configures them', async () => {
    const { issuer, audience } = s.realm.openIdentityProvider;
    const email = 'bound@open.example';
    for (const claims of [
      { iss: 'https://elsewhere.example', aud: audience },
      { aud: audience },
      { iss: issuer, aud: 'another-service' },
      { iss: issuer, aud: ['another-service'] },
      { iss: issuer },
    ]) {
      const jwt = await signedBy(open(), { email, ...claims });
      expect(await failWith(open(), jwt)).toMatchObject(UNAUTHENTICATED);
    }
    const bound = await reconcileWith(open(), await openJwt({ email, aud: [audience, 'x'] }));
    expect(JSON.parse(bound.userJson)).toMatchObject({ email });
  });

  it('finding 7: a provider without managed domains never gets another provider’s user with the same email', async () => {
    const email = 'victim@partner.example';
    const victim = JSON.parse(
      (
        await reconcileWith(
          partner(),
          await signedBy(partner(), { email, email_verified: true, groups: ['admin'] }),
        )
      ).userJson,
    );
    // The open provider asserts the victim's (verified) address: refused, nothing changes.
    const takeover = await openJwt({ email, email_verified: true, groups: ['admin'] });
    expect(await failWith(open(), takeover)).toMatchObject({
      ...UNAUTHENTICATED,
      field: 'encoded_jwt',
    });
    const again = JSON.parse(
      (await reconcileWith(partner(), await signedBy(partner(), { email, email_verified: true })))
        .userJson,
    );
    expect(again).toMatchObject({ id: victim.id, email });
    // Its own users it signs in, by its own identity, again and again.
    const own = JSON.parse(
      (await reconcileWith(open(), await openJwt({ email: 'own@open.example' }))).userJson,
    );
    const ownAgain = JSON.parse(
      (await reconcileWith(open(), await openJwt({ email: 'OWN@open.example' }))).userJson,
    );
    expect(ownAgain.id).toBe(own.id);
    expect(own.id).not.toBe(victim.id);
  });

  it('finding 7: email_verified false → no email link, and the user is stored unverified', async () => {
    // A new user: stored and announced unverified.
    const fresh = await reconcileWith(
      partner(),
      await signedBy(partner(), { email: 'fresh@partner.example', email_verified: false }),
    );
    expect(JSON.parse(fresh.userJson)).toMatchObject({ verified: false });
    expect(claimsOf(fresh.token)).toMatchObject({ email_verified: false });
    const absent = await reconcileWith(
      partner(),
      await signedBy(partner(), { email: 'absent@partner.example' }),
    );
    expect(JSON.parse(absent.userJson)).toMatchObject({ verified: false });

    // A user the provider did not create, in its managed domain: an unverified email does
    // not link to it; a verified one does, and the user is then verified.
    const email = 'existing@partner.example';
    const existing = await directoryUser(email, ['admin']);
    expect(
      await failWith(partner(), await signedBy(partner(), { email, email_verified: false })),
    ).toMatchObject(UNAUTHENTICATED);
    const linked = await reconcileWith(
      partner(),
      await signedBy(partner(), { email, email_verified: true }),
    );
    expect(JSON.parse(linked.userJson)).toMatchObject({ id: existing, verified: true });
    expect(claimsOf(linked.token)).toMatchObject({ sub: existing, roles: ['admin'] });
    // Once linked, the provider's identity finds the user; it reports the email unverified now.
    const later = await reconcileWith(
      partner(),
      await signedBy(partner(), { email, email_verified: false }),
    );
    expect(JSON.parse(later.userJson)).toMatchObject({ id: existing, verified: false });
  });
});
