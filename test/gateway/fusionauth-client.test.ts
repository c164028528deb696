import { FusionAuthClient } from '@fusionauth/typescript-client';
import type { sessionV1 } from '@tessera/contracts';
import { TRANSPORT_KINDS } from '@tessera/grpc-runtime';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { claimsOf } from '../support/stack.js';
import { createUser, eventually, register, startSession } from './support-fusionauth.js';

// The gateway reaches the issuer and the session service over each transport in turn.
describe.each(TRANSPORT_KINDS)('%s transport', (transport) => {
  /**
   * FusionAuth's official TypeScript client, unchanged, against the real stack (issuer +
   * session + gateway): every JWT and refresh-token method it has.
   */

  let s: GatewayStack;
  /** API-key client scoped to tenant A (the realm has three tenants). */
  let client: FusionAuthClient;
  /** The same key, no tenant: for the anonymous and self-scoping methods. */
  let anonymous: FusionAuthClient;

  beforeAll(async () => {
    s = await startGatewayStack({ transport });
    client = new FusionAuthClient(s.realm.keys.admin, s.baseUrl, s.realm.tenantA);
    anonymous = new FusionAuthClient(s.realm.keys.admin, s.baseUrl);
  });
  afterAll(() => s.close());

  // The client's own documentation calls `revokeRefreshToken(null, userId)`; its types say string.
  const ABSENT = null as unknown as string;

  /** What a failed call of the client rejects with: its ClientResponse, errors JSON in `exception`. */
  interface ClientFailure {
    readonly statusCode: number;
    readonly exception: unknown;
  }

  async function failure(promise: Promise<unknown>): Promise<ClientFailure> {
    try {
      await promise;
    } catch (error) {
      return error as ClientFailure;
    }
    throw new Error('expected the call to fail');
  }

  async function isRejected(token: string): Promise<boolean> {
    const result = await client.validateJWT(token).catch((error: ClientFailure) => error);
    return result.statusCode === 401;
  }

  async function refreshFails(refreshToken: string): Promise<boolean> {
    const result = await client
      .exchangeRefreshTokenForJWT({ refreshToken })
      .catch((error: ClientFailure) => error);
    return result.statusCode === 400;
  }

  async function login(applicationIds: readonly string[] = [s.realm.applicationA]) {
    const userId = await createUser(s, { applicationIds, roles: ['admin'] });
    return { userId, ...(await startSession(s, userId)) };
  }

  describe('validateJWT', () => {
    it('answers the decoded payload of a valid token, 401 otherwise', async () => {
      const { userId, token } = await login();
      const valid = await anonymous.validateJWT(token);
      expect(valid.statusCode).toBe(200);
      expect(valid.response.jwt).toMatchObject({
        sub: userId,
        applicationId: s.realm.applicationA,
        iss: s.realm.issuerA,
      });
      expect(typeof valid.response.jwt?.exp).toBe('number');
      expect((await failure(anonymous.validateJWT('not.a.jwt'))).statusCode).toBe(401);
    });
  });

  describe('issueJWT', () => {
    it('answers 202 with no application claims when the user is not registered', async () => {
      const { token, refreshToken } = await login();
      const issued = await anonymous.issueJWT(s.realm.applicationA2, token, refreshToken);
      expect(issued.statusCode).toBe(202);
      expect(issued.response.refreshToken).toBeUndefined();
      const claims = claimsOf(issued.response.token ?? '');
      expect(claims).not.toHaveProperty('applicationId');
      expect(claims.exp).toBe(claimsOf(token).exp);
    });

    it('answers 200 with a refresh token once the user is registered', async () => {
      const { userId, token, refreshToken } = await login();
      await register(s, userId, s.realm.applicationA2, ['viewer']);
      const issued = await anonymous.issueJWT(s.realm.applicationA2, token, refreshToken);
      expect(issued.statusCode).toBe(200);
      expect(issued.response.refreshToken).toEqual(expect.any(String));
      expect(claimsOf(issued.response.token ?? '')).toMatchObject({
        applicationId: s.realm.applicationA2,
        roles: ['viewer'],
        authenticationType: 'JWT_SSO',
      });
      // Without a refresh token (the client sends `refreshToken=null`), only the access token.
      const tokenOnly = await anonymous.issueJWT(s.realm.applicationA2, token, ABSENT);
      expect(tokenOnly.statusCode).toBe(200);
      expect(tokenOnly.response.refreshToken).toBeUndefined();
    });

    it('answers 401 for an invalid JWT', async () => {
      expect(
        (await failure(anonymous.issueJWT(s.realm.applicationA2, 'x.y.z', ABSENT))).statusCode,
      ).toBe(401);
    });
  });

  describe('security finding 5 — issueJWT tokens die with their source session', () => {
    it('finding 5: once the source session is revoked, /api/jwt/validate refuses the issued tokens and the fork’s refresh token is refused', async () => {
      const { token, refreshToken, refreshTokenId } = await login([
        s.realm.applicationA,
        s.realm.applicationA2,
      ]);
      const tokenOnly = await anonymous.issueJWT(s.realm.applicationA2, token, ABSENT);
      const withFork = await anonymous.issueJWT(s.realm.applicationA2, token, refreshToken);
      const forkRefreshToken = withFork.response.refreshToken ?? '';
      expect(forkRefreshToken).not.toBe('');
      const derived = [tokenOnly.response.token ?? '', withFork.response.token ?? ''];
      for (const issued of derived) expect(await isRejected(issued)).toBe(false);
      await client.revokeRefreshTokenById(refreshTokenId);
      for (const issued of [token, ...derived]) await eventually(() => isRejected(issued));
      expect(await refreshFails(forkRefreshToken)).toBe(true);
    });
    it('finding 5: the 11th refresh token issued from one session is refused with 400 [forkLimit]refreshToken', async () => {
      const { token, refreshToken } = await login([s.realm.applicationA, s.realm.applicationA2]);
      for (let i = 0; i < 10; i++) {
        const issued = await anonymous.issueJWT(s.realm.applicationA2, token, refreshToken);
        expect(issued.response.refreshToken).toEqual(expect.any(String));
      }
      const refused = await failure(anonymous.issueJWT(s.realm.applicationA2, token, refreshToken));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception).toMatchObject({
        fieldErrors: {
          refreshToken: [expect.objectContaining({ code: '[forkLimit]refreshToken' })],
        },
      });
    });
  });

  describe('security finding 8 — a refresh reflects the user as they are now', () => {
    it('finding 8: a deactivated user’s refresh is refused (400) and their access token refused (401)', async () => {
      const { userId, token, refreshToken } = await login();
      await s.call<sessionV1.UpsertUserRequest, sessionV1.UpsertUserResponse>(
        s.sessionClient,
        'upsertUser',
        {
          user: {
            id: userId,
            tenantId: s.realm.tenantA,
            email: `${userId}@a.example`,
            username: '',
            verified: true,
            active: false,
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
      expect(await refreshFails(refreshToken)).toBe(true);
      await eventually(() => isRejected(token));
    });
  });

  describe('exchangeRefreshTokenForJWT', () => {
    it('refreshes: same refreshTokenId (= sid), REFRESH_TOKEN authentication', async () => {
      const { userId, refreshToken, refreshTokenId } = await login();
      const refreshed = await anonymous.exchangeRefreshTokenForJWT({ refreshToken });
      expect(refreshed.statusCode).toBe(200);
      expect(refreshed.response).toMatchObject({ refreshToken, refreshTokenId });
      expect(claimsOf(refreshed.response.token ?? '')).toMatchObject({
        sub: userId,
        sid: refreshTokenId,
        authenticationType: 'REFRESH_TOKEN',
      });
    });

    it('refuses an unknown refresh token with [invalid]refreshToken', async () => {
      const refused = await failure(anonymous.exchangeRefreshTokenForJWT({ refreshToken: 'nope' }));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception).toMatchObject({
        fieldErrors: { refreshToken: [expect.objectContaining({ code: '[invalid]refreshToken' })] },
      });
    });
  });

  describe('retrieveRefreshTokenById and retrieveRefreshTokens', () => {
    it('shows the session in FusionAuth shape; lists the user\u2019s sessions', async () => {
      const { userId, refreshTokenId } = await login();
      const one = await client.retrieveRefreshTokenById(refreshTokenId);
      expect(one.statusCode).toBe(200);
      expect(one.response.refreshToken).toMatchObject({
        id: refreshTokenId,
        userId,
        applicationId: s.realm.applicationA,
        tenantId: s.realm.tenantA,
        startInstant: expect.any(Number),
        insertInstant: expect.any(Number),
        metaData: {
          device: { name: 'Phone', type: 'MOBILE', description: 'Work phone' },
          scopes: ['offline_access'],
        },
      });
      expect(one.response.refreshToken).not.toHaveProperty('token');

      const second = await startSession(s, userId);
      const all = await client.retrieveRefreshTokens(userId);
      expect(all.response.refreshTokens?.map((token) => token.id).sort()).toEqual(
        [refreshTokenId, second.refreshTokenId].sort(),
      );
      expect(
        (await failure(client.retrieveRefreshTokenById('6b0a2b8e-0000-4000-8000-000000000000')))
          .statusCode,
      ).toBe(404);
    });

    it('needs a tenant when the key is not locked and several tenants exist', async () => {
      const { userId } = await login();
      const refused = await failure(anonymous.retrieveRefreshTokens(userId));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception).toMatchObject({
        generalErrors: [expect.objectContaining({ code: '[TenantIdRequired]' })],
      });
    });

    it('answers 401 for an unknown API key', async () => {
      const stranger = new FusionAuthClient('not-a-key', s.baseUrl, s.realm.tenantA);
      expect((await failure(stranger.retrieveRefreshTokens(s.realm.applicationA))).statusCode).toBe(
        401,
      );
    });
  });

  describe('revoking refresh tokens', () => {
    it('revokeRefreshTokenById: the session, then its refresh and access tokens, are gone', async () => {
      const { token, refreshToken, refreshTokenId } = await login();
      const revoked = await client.revokeRefreshTokenById(refreshTokenId);
      expect(revoked.statusCode).toBe(200);
      expect(revoked.response).toBeUndefined();
      expect((await failure(client.retrieveRefreshTokenById(refreshTokenId))).statusCode).toBe(404);
      expect(await refreshFails(refreshToken)).toBe(true);
      await eventually(() => isRejected(token));
    });

    it('revokeRefreshTokenByToken and revokeRefreshToken(token, null, null)', async () => {
      const first = await login();
      await client.revokeRefreshTokenByToken(first.refreshToken);
      expect(await refreshFails(first.refreshToken)).toBe(true);

      const second = await login();
      await client.revokeRefreshToken(second.refreshToken, ABSENT, ABSENT);
      expect(await refreshFails(second.refreshToken)).toBe(true);
    });

    it('revokeRefreshTokensByUserId and revokeRefreshToken(null, userId, null)', async () => {
      const { userId, refreshToken } = await login();
      const other = await startSession(s, userId);
      await client.revokeRefreshTokensByUserId(userId);
      expect(await refreshFails(refreshToken)).toBe(true);
      expect(await refreshFails(other.refreshToken)).toBe(true);

      const again = await startSession(s, userId);
      await client.revokeRefreshToken(ABSENT, userId, ABSENT);
      expect(await refreshFails(again.refreshToken)).toBe(true);
    });

    it('revokeRefreshTokensByUserIdForApplication and revokeRefreshToken(null, userId, applicationId)', async () => {
      const { userId, refreshToken } = await login([s.realm.applicationA, s.realm.applicationA2]);
      const inA2 = await startSession(s, userId, s.realm.applicationA2);
      await client.revokeRefreshTokensByUserIdForApplication(userId, s.realm.applicationA2);
      expect(await refreshFails(inA2.refreshToken)).toBe(true);
      expect(await refreshFails(refreshToken)).toBe(false);

      await client.revokeRefreshToken(ABSENT, userId, s.realm.applicationA);
      expect(await refreshFails(refreshToken)).toBe(true);
    });

    it('revokeRefreshTokensByApplicationId and revokeRefreshToken(null, null, applicationId)', async () => {
      const userId = await createUser(s, { applicationIds: [s.realm.applicationA2] });
      const first = await startSession(s, userId, s.realm.applicationA2);
      await client.revokeRefreshTokensByApplicationId(s.realm.applicationA2);
      expect(await refreshFails(first.refreshToken)).toBe(true);

      const second = await startSession(s, userId, s.realm.applicationA2);
      await client.revokeRefreshToken(ABSENT, ABSENT, s.realm.applicationA2);
      expect(await refreshFails(second.refreshToken)).toBe(true);
    });

    it('revokeRefreshTokensWithRequest: the selectors in a JSON body', async () => {
      const { userId, refreshToken } = await login();
      const revoked = await client.revokeRefreshTokensWithRequest({ userId });
      expect(revoked.statusCode).toBe(200);
      expect(await refreshFails(refreshToken)).toBe(true);

      const byToken = await login();
      await client.revokeRefreshTokensWithRequest({ token: byToken.refreshToken });
      expect(await refreshFails(byToken.refreshToken)).toBe(true);
    });

    it('with JWT authentication, only the owner of the token may revoke it', async () => {
      const owner = await login();
      const intruder = await login();
      const asIntruder = new FusionAuthClient(`Bearer ${intruder.token}`, s.baseUrl);
      expect(
        (await failure(asIntruder.revokeRefreshTokenById(owner.refreshTokenId))).statusCode,
      ).toBe(404);
      expect((await failure(asIntruder.revokeRefreshTokensByUserId(owner.userId))).statusCode).toBe(
        401,
      );
      expect(await refreshFails(owner.refreshToken)).toBe(false);

      const asOwner = new FusionAuthClient(`Bearer ${owner.token}`, s.baseUrl);
      expect((await asOwner.revokeRefreshTokenById(owner.refreshTokenId)).statusCode).toBe(200);
      expect(await refreshFails(owner.refreshToken)).toBe(true);
    });

    it('with no selector: 400 [invalid]', async () => {
      const refused = await failure(client.revokeRefreshToken(ABSENT, ABSENT, ABSENT));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception).toMatchObject({
        generalErrors: [expect.objectContaining({ code: '[invalid]' })],
      });
    });
  });

  describe('vendJWT', () => {
    it('signs the caller\u2019s claims, ignoring the reserved ones', async () => {
      const vended = await client.vendJWT({
        claims: { role: 'robot', exp: 1, iat: 1 },
        timeToLiveInSeconds: 120,
      });
      expect(vended.statusCode).toBe(200);
      const claims = claimsOf(vended.response.token ?? '');
      expect(claims).toMatchObject({ role: 'robot', iss: s.realm.issuerA, amr: ['none'] });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
      expect((await anonymous.validateJWT(vended.response.token ?? '')).statusCode).toBe(200);
    });

    it('a tenant-locked key needs no tenant; an unknown key id is [invalid]keyId', async () => {
      const lockedToB = new FusionAuthClient(s.realm.keys.lockedToB, s.baseUrl);
      const vended = await lockedToB.vendJWT({ claims: { a: 1 } });
      expect(claimsOf(vended.response.token ?? '').iss).toBe(s.realm.issuerB);
      const refused = await failure(client.vendJWT({ claims: {}, keyId: 'no-such-key' }));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception).toMatchObject({
        fieldErrors: { keyId: [expect.objectContaining({ code: '[invalid]keyId' })] },
      });
    });

    it('answers 401 to a key without the permission, or locked to another tenant', async () => {
      const vendOnly = new FusionAuthClient(s.realm.keys.vendOnly, s.baseUrl, s.realm.tenantA);
      expect((await vendOnly.vendJWT({ claims: {} })).statusCode).toBe(200);
      expect((await failure(vendOnly.retrieveRefreshTokens(s.realm.applicationA))).statusCode).toBe(
        401,
      );
      const lockedToB = new FusionAuthClient(s.realm.keys.lockedToB, s.baseUrl, s.realm.tenantA);
      expect((await failure(lockedToB.vendJWT({ claims: {} }))).statusCode).toBe(401);
    });
  });

  describe('public keys', () => {
    it('retrieveJWTPublicKeys, retrieveJWTPublicKey, retrieveJWTPublicKeyByApplicationId', async () => {
      const all = await anonymous.retrieveJWTPublicKeys();
      expect(Object.keys(all.response.publicKeys ?? {}).sort()).toEqual([
        'a-eddsa',
        'a-es256',
        'a-rs256',
        'b-es256',
      ]);
      const one = await anonymous.retrieveJWTPublicKey('a-es256');
      expect(one.response.publicKey).toBe(all.response.publicKeys?.['a-es256']);
      expect(one.response.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      const byApplication = await anonymous.retrieveJWTPublicKeyByApplicationId(
        s.realm.applicationA,
      );
      expect(byApplication.response.publicKey).toBe(all.response.publicKeys?.['a-es256']);
      expect((await failure(anonymous.retrieveJWTPublicKey('h-hs256'))).statusCode).toBe(404);
      expect((await failure(anonymous.retrieveJWTPublicKey('nope'))).statusCode).toBe(404);
    });

    it('retrieveJsonWebKeySet serves the same keys as a JWKS', async () => {
      const jwks = await anonymous.retrieveJsonWebKeySet();
      expect(jwks.response.keys?.map((key) => key.kid).sort()).toEqual([
        'a-eddsa',
        'a-es256',
        'a-rs256',
        'b-es256',
      ]);
    });
  });

  describe('reconcileJWT', () => {
    async function externalJwt(claims: Record<string, unknown>): Promise<string> {
      const key = await importJWK({ ...s.realm.identityProvider.privateKey.jwk }, 'ES256');
      const now = Math.floor(s.clock.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: s.realm.identityProvider.kid })
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(key);
    }

    it('logs the external user in: user, tokens, and the session is a refresh token like any other', async () => {
      const reconciled = await anonymous.reconcileJWT({
        applicationId: s.realm.applicationA,
        identityProviderId: s.realm.identityProvider.id,
        data: {
          token: await externalJwt({
            email: 'ada@partner.example',
            given_name: 'Ada',
            groups: ['admin'],
          }),
        },
        ipAddress: '192.168.1.42',
        metaData: { device: { name: 'Laptop', type: 'LAPTOP' } },
      });
      expect(reconciled.statusCode).toBe(200);
      const { user, token, refreshToken, refreshTokenId, tokenExpirationInstant } =
        reconciled.response;
      expect(user).toMatchObject({
        email: 'ada@partner.example',
        firstName: 'Ada',
        tenantId: s.realm.tenantA,
      });
      expect(user?.registrations).toEqual([
        expect.objectContaining({ applicationId: s.realm.applicationA, roles: ['admin'] }),
      ]);
      expect(claimsOf(token ?? '')).toMatchObject({
        sub: user?.id,
        authenticationType: 'FEDERATED_JWT',
        sid: refreshTokenId,
      });
      expect(tokenExpirationInstant).toBe(Number(claimsOf(token ?? '').exp) * 1000);
      const session = await client.retrieveRefreshTokenById(refreshTokenId ?? '');
      expect(session.response.refreshToken?.metaData?.device).toMatchObject({
        name: 'Laptop',
        type: 'LAPTOP',
      });
      expect((await anonymous.exchangeRefreshTokenForJWT({ refreshToken })).statusCode).toBe(200);
    });

    it('the deprecated encodedJWT works too; an untrusted JWT or unknown provider is 401', async () => {
      const viaEncodedJwt = await anonymous.reconcileJWT({
        applicationId: s.realm.applicationA,
        identityProviderId: s.realm.identityProvider.id,
        encodedJWT: await externalJwt({ email: 'grace@partner.example' }),
      });
      expect(viaEncodedJwt.response.user?.email).toBe('grace@partner.example');
      const untrusted = await failure(
        anonymous.reconcileJWT({
          applicationId: s.realm.applicationA,
          identityProviderId: s.realm.identityProvider.id,
          data: { token: await externalJwt({ email: 'x@elsewhere.example' }) },
        }),
      );
      expect(untrusted.statusCode).toBe(401);
      const unknownProvider = await failure(
        anonymous.reconcileJWT({
          applicationId: s.realm.applicationA,
          identityProviderId: '00000000-0000-4000-8000-000000000000',
          data: { token: await externalJwt({ email: 'x@partner.example' }) },
        }),
      );
      expect(unknownProvider.statusCode).toBe(401);
    });

    it('security finding 7: a JWT without exp, and another provider asserting a user’s email, are 401', async () => {
      const key = await importJWK({ ...s.realm.identityProvider.privateKey.jwk }, 'ES256');
      const forever = await new SignJWT({ email: 'forever@partner.example' })
        .setProtectedHeader({ alg: 'ES256', kid: s.realm.identityProvider.kid })
        .setIssuedAt(Math.floor(s.clock.now() / 1000))
        .sign(key);
      const noExp = await failure(
        anonymous.reconcileJWT({
          applicationId: s.realm.applicationA,
          identityProviderId: s.realm.identityProvider.id,
          data: { token: forever },
        }),
      );
      expect(noExp.statusCode).toBe(401);

      const email = 'linus@partner.example';
      const owner = await anonymous.reconcileJWT({
        applicationId: s.realm.applicationA,
        identityProviderId: s.realm.identityProvider.id,
        data: { token: await externalJwt({ email, email_verified: true, groups: ['admin'] }) },
      });
      expect(owner.statusCode).toBe(200);
      const open = s.realm.openIdentityProvider;
      const now = Math.floor(s.clock.now() / 1000);
      const takeover = await new SignJWT({ email, email_verified: true, groups: ['admin'] })
        .setProtectedHeader({ alg: 'ES256', kid: open.kid })
        .setIssuer(open.issuer)
        .setAudience(open.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(await importJWK({ ...open.privateKey.jwk }, 'ES256'));
      const refused = await failure(
        anonymous.reconcileJWT({
          applicationId: s.realm.applicationA,
          identityProviderId: open.id,
          data: { token: takeover },
        }),
      );
      expect(refused.statusCode).toBe(401);
    });
  });
});
