import { randomUUID } from 'node:crypto';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, type Stack, startSessionFor, startStack } from '../support/stack.js';

/**
 * Session claims travel as the typed SessionClaims message from the issuer to the session
 * service and back (no JSON blob re-parsed at each hop), and the answers carry what callers
 * need: the refresh token's expiry and the application (StartSession, Refresh), the user
 * (UpsertRegistration, UpsertUser with a registration).
 */

let s: Stack;
beforeAll(async () => {
  s = await startStack({ realm: { refreshTokenUsagePolicy: 'OneTimeUse' } });
});
afterAll(() => s.close());

const upsertUser = (id: string, registration?: Partial<sessionV1.Registration>) =>
  s.call<sessionV1.UpsertUserRequest, sessionV1.UpsertUserResponse>(s.sessionClient, 'upsertUser', {
    user: {
      id,
      tenantId: s.realm.tenantA,
      email: `${id}@example.com`,
      username: `user-${id}`,
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
    registration:
      registration === undefined
        ? undefined
        : {
            id: '',
            userId: '',
            applicationId: s.realm.applicationA,
            roles: [],
            username: '',
            dataJson: '',
            insertInstant: 0n,
            lastLoginInstant: 0n,
            ...registration,
          },
  });

const getRecord = async (id: string) =>
  (
    await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(s.sessionClient, 'get', {
      id,
      tenantId: s.realm.tenantA,
      token: '',
    })
  ).record;

describe('session claims, typed end to end', () => {
  it('StartSession stores them as a SessionClaims message; Refresh signs from them', async () => {
    const userId = randomUUID();
    const { user } = await upsertUser(userId, { roles: ['admin'] });
    // UpsertUser with a registration answers the user with it: no second call, no re-read.
    expect(user?.registrations).toEqual([
      expect.objectContaining({ applicationId: s.realm.applicationA, roles: ['admin'] }),
    ]);

    const started = await startSessionFor(s, userId, { authenticationType: 'PASSWORD' });
    const authTime = claimsOf(started.token).auth_time;
    const record = await getRecord(started.refreshTokenId);
    expect(record?.sessionClaims).toEqual({
      authTime: BigInt(Number(authTime)),
      authenticationType: 'PASSWORD',
      roles: ['admin'],
      email: `${userId}@example.com`,
      emailVerified: true,
      preferredUsername: `user-${userId}`,
    });
    expect(started.applicationId).toBe(s.realm.applicationA);
    expect(started.refreshTokenExpirationInstant).toBe(record?.expirationInstant);

    s.clock.advance(60_000);
    const refreshed = await s.call<issuerV1.RefreshRequest, issuerV1.RefreshResponse>(
      s.issuerClient,
      'refresh',
      {
        tenantId: '',
        refreshToken: started.refreshToken,
        timeToLiveSeconds: 0,
        presenter: undefined,
        requestId: '',
      },
    );
    const claims = claimsOf(refreshed.token);
    expect(claims).toMatchObject({
      auth_time: authTime,
      authenticationType: 'REFRESH_TOKEN',
      roles: ['admin'],
      sid: started.refreshTokenId,
      applicationId: s.realm.applicationA,
    });
    expect(refreshed.applicationId).toBe(s.realm.applicationA);
    expect(refreshed.refreshTokenExpirationInstant).toBe(
      (await getRecord(started.refreshTokenId))?.expirationInstant,
    );
  });

  it('a user the directory does not hold keeps the claims the session started with', async () => {
    const started = await startSessionFor(s, randomUUID());
    const record = await getRecord(started.refreshTokenId);
    expect(record?.sessionClaims).toMatchObject({ authenticationType: 'PASSWORD', roles: [] });
    expect(record?.sessionClaims?.authTime).toBeGreaterThan(0n);
  });

  it('UpsertRegistration answers the user as it now is', async () => {
    const userId = randomUUID();
    await upsertUser(userId);
    const answer = await s.call<
      sessionV1.UpsertRegistrationRequest,
      sessionV1.UpsertRegistrationResponse
    >(s.sessionClient, 'upsertRegistration', {
      tenantId: s.realm.tenantA,
      registration: {
        id: '',
        userId,
        applicationId: s.realm.applicationA2,
        roles: ['viewer'],
        username: '',
        dataJson: '',
        insertInstant: 0n,
        lastLoginInstant: 0n,
      },
    });
    expect(answer.user?.id).toBe(userId);
    expect(answer.user?.registrations).toEqual([
      expect.objectContaining({ applicationId: s.realm.applicationA2, roles: ['viewer'] }),
    ]);
  });

  it('UpsertUser refuses a registration of another user', async () => {
    const failure = await s.fail(s.sessionClient, 'upsertUser', {
      user: {
        id: randomUUID(),
        tenantId: s.realm.tenantA,
        email: '',
        username: '',
        verified: false,
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
      registration: {
        id: '',
        userId: randomUUID(),
        applicationId: s.realm.applicationA,
        roles: [],
        username: '',
        dataJson: '',
        insertInstant: 0n,
        lastLoginInstant: 0n,
      },
    });
    expect(failure).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'registration.user_id' });
  });

  it('a request_id that is not at most 128 characters of [A-Za-z0-9._:-] is INVALID_ARGUMENT', async () => {
    for (const requestId of ['has space', 'a'.repeat(129), 'r\u00e9']) {
      const failure = await s.fail(s.issuerClient, 'startSession', {
        tenantId: s.realm.tenantA,
        applicationId: s.realm.applicationA,
        userId: randomUUID(),
        authenticationType: 'PASSWORD',
        presenter: undefined,
        device: undefined,
        scopes: [],
        dataJson: '',
        requestId,
      });
      expect(failure).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'request_id' });
    }
  });

  it('bounds what a Create may store: too many roles is INVALID_ARGUMENT', async () => {
    const failure = await s.fail(s.sessionClient, 'create', {
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      userId: randomUUID(),
      policy: {
        expiration: 'EXPIRATION_POLICY_FIXED',
        usage: 'USAGE_POLICY_ONE_TIME_USE',
        timeToLiveMinutes: 10,
        maximumTimeToLiveMinutes: 0,
        gracePeriodSeconds: 0,
        revokeFamilyOnReuse: true,
      },
      device: undefined,
      scopes: [],
      dataJson: '',
      startInstant: 0n,
      presenter: undefined,
      sourceId: '',
      sessionClaims: {
        authTime: 0n,
        authenticationType: 'PASSWORD',
        roles: Array.from({ length: 1025 }, (_, i) => `role-${i}`),
        email: '',
        emailVerified: false,
        preferredUsername: '',
      },
      requestId: '',
    });
    expect(failure).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'session_claims.roles' });
  });
});
