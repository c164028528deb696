import { randomUUID } from 'node:crypto';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { redisStores, startSessionFor } from '../support/stack.js';

/**
 * A client whose reply was lost resends with the same X-Request-Id, through the REST gateway,
 * the issuer and the session service, on both stores: a refresh rotates once and answers the
 * same refresh token; a sign-in (reconcile) starts one session. The refresh cookie's Max-Age
 * is what the session service says the token has left.
 */

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Tenant A's sessions rotate on every use, so a resend of a consumed token is what is tested. */
const realm = { refreshTokenUsagePolicy: 'OneTimeUse' } as const;
const stores = [
  ['memory', () => ({ realm })],
  [
    'redis',
    () => ({
      realm,
      stores: (clock: Parameters<typeof redisStores>[0]) => redisStores(clock, redis.url),
    }),
  ],
] as const;

describe.each(stores)('idempotent retries through the gateway (%s store)', (_name, options) => {
  let s: GatewayStack;
  beforeAll(async () => {
    s = await startGatewayStack(options());
  });
  afterAll(() => s?.close());

  const refresh = (refreshToken: string, requestId?: string) =>
    fetch(`${s.baseUrl}/api/jwt/refresh`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
      },
      body: JSON.stringify({ refreshToken }),
    });

  const record = async (id: string): Promise<sessionV1.RefreshToken | undefined> =>
    (
      await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(s.sessionClient, 'get', {
        id,
        tenantId: s.realm.tenantA,
        token: '',
      })
    ).record;

  it('a refresh resent with the same X-Request-Id rotates once and answers the same token', async () => {
    const started = await startSessionFor(s, randomUUID());
    const requestId = `refresh-${randomUUID()}`;
    const first = await refresh(started.refreshToken, requestId);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-request-id')).toBe(requestId);
    const answer = (await first.json()) as { refreshToken: string; refreshTokenId: string };
    expect(answer.refreshToken).not.toBe(started.refreshToken);

    const resent = await refresh(started.refreshToken, requestId);
    expect(resent.status).toBe(200);
    expect(await resent.json()).toMatchObject({
      refreshToken: answer.refreshToken,
      refreshTokenId: started.refreshTokenId,
    });

    // One rotation happened: the answered token is current and rotates normally; once it has,
    // the first token with the same request id is a reuse like any other.
    const next = await refresh(answer.refreshToken, `refresh-${randomUUID()}`);
    expect(next.status).toBe(200);
    expect((await refresh(started.refreshToken, requestId)).status).toBe(400);
  });

  it('without the same request id, a resent refresh is a reuse and ends the session', async () => {
    const started = await startSessionFor(s, randomUUID());
    expect((await refresh(started.refreshToken)).status).toBe(200);
    expect((await refresh(started.refreshToken)).status).toBe(400);
    expect(await record(started.refreshTokenId).catch(() => undefined)).toBeUndefined();
  });

  it("the refresh cookie's Max-Age is the refresh token's remaining lifetime", async () => {
    const started = await startSessionFor(s, randomUUID());
    const response = await refresh(started.refreshToken, `refresh-${randomUUID()}`);
    const stored = await record(started.refreshTokenId);
    const seconds = Math.ceil((Number(stored?.expirationInstant) - s.clock.now()) / 1000);
    expect(seconds).toBeGreaterThan(0);
    expect(response.headers.getSetCookie()).toContain(
      `refresh_token=${((await response.json()) as { refreshToken: string }).refreshToken}; Max-Age=${seconds}; Path=/; HttpOnly; SameSite=Lax`,
    );
  });

  it('a sign-in (reconcile) resent with the same X-Request-Id starts one session', async () => {
    const key = await importJWK({ ...s.realm.identityProvider.privateKey.jwk }, 'ES256');
    const now = Math.floor(s.clock.now() / 1000);
    const jwt = await new SignJWT({ email: `${randomUUID()}@partner.example` })
      .setProtectedHeader({ alg: 'ES256', kid: s.realm.identityProvider.kid })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
    const reconcile = (requestId: string) =>
      fetch(`${s.baseUrl}/api/jwt/reconcile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({
          applicationId: s.realm.applicationA,
          identityProviderId: s.realm.identityProvider.id,
          data: { token: jwt },
        }),
      }).then(async (response) => {
        expect(response.status).toBe(200);
        return (await response.json()) as {
          user: { id: string };
          refreshToken: string;
          refreshTokenId: string;
        };
      });
    const requestId = `login-${randomUUID()}`;
    const first = await reconcile(requestId);
    const resent = await reconcile(requestId);
    expect(resent.refreshToken).toBe(first.refreshToken);
    expect(resent.refreshTokenId).toBe(first.refreshTokenId);
    const other = await reconcile(`login-${randomUUID()}`);
    expect(other.refreshTokenId).not.toBe(first.refreshTokenId);
    const sessions = await s.call<sessionV1.ListByUserRequest, sessionV1.ListByUserResponse>(
      s.sessionClient,
      'listByUser',
      { userId: first.user.id, applicationId: '', tenantId: s.realm.tenantA },
    );
    expect(sessions.records).toHaveLength(2);
  });

  it('StartSession resent with the same request_id answers the same refresh token', async () => {
    const userId = randomUUID();
    const requestId = `start-${randomUUID()}`;
    const first: issuerV1.StartSessionResponse = await startSessionFor(s, userId, { requestId });
    const resent = await startSessionFor(s, userId, { requestId });
    expect(resent.refreshToken).toBe(first.refreshToken);
    expect(resent.refreshTokenId).toBe(first.refreshTokenId);
    expect(first.refreshTokenExpirationInstant).toBeGreaterThan(0n);
    expect(first.applicationId).toBe(s.realm.applicationA);
    // Another user with the same request id gets a session of their own.
    const other = await startSessionFor(s, randomUUID(), { requestId });
    expect(other.refreshTokenId).not.toBe(first.refreshTokenId);
  });
});
