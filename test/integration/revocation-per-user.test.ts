import type { issuerV1 } from '@tessera/contracts';
import { RevocationSet } from '@tessera/revocation-set';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStores } from '../../services/session/src/app.js';
import { createUser, eventually, startSession } from '../gateway/support-fusionauth.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { claimsOf, memoryStores, redisStores, revocationApplied } from '../support/stack.js';

/** Tenant A's bound on one user's live revocations, and its cap on all of them, here. */
const PER_USER = 3;
const TENANT_CAP = 10;
/** More loops than the tenant cap: without a per-user bound the last ones are refused. */
const LOOPS = 14;
/** The standard realm's skew margin: a user-wide revocation also covers this much after it. */
const SKEW_MS = 5000;

describe.each([
  ['memory', undefined],
  ['redis', () => startRedisServer()],
] as const)(
  'security finding 2 — one end user cannot exhaust the tenant’s revocations (%s)',
  (_name, startRedis) => {
    let s: GatewayStack;
    let redis: RedisServer | undefined;
    let stores: SessionStores | undefined;
    beforeAll(async () => {
      redis = startRedis === undefined ? undefined : await startRedis();
      s = await startGatewayStack({
        stores: async (clock) => {
          stores = redis === undefined ? memoryStores(clock) : await redisStores(clock, redis.url);
          return stores;
        },
        realm: { revocationMaxLiveEntries: TENANT_CAP, revocationMaxLiveEntriesPerUser: PER_USER },
      });
    });
    afterAll(async () => {
      await s?.close();
      await redis?.stop();
    });

    /** A REST call as an end user: no API key, the user's JWT when given. */
    const rest = (method: string, path: string, jwt?: string, body?: unknown) =>
      fetch(`${s.baseUrl}${path}`, {
        method,
        headers: {
          ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const isRejected = async (token: string) =>
      (await rest('GET', '/api/jwt/validate', token)).status === 401;

    /** A login of `userId` at A with a refresh token; a later one once the clock has moved. */
    const login = async (userId: string) => {
      const started = await startSession(s, userId);
      return { token: started.token, refreshToken: started.refreshToken };
    };

    /**
     * One turn of the loop: a fork of the session for A2 (`GET /api/jwt/issue`), refreshed
     * once, then revoked by its owner (`DELETE /api/jwt/refresh/{forkId}` with the user's
     * JWT). Answers the fork's id and its access token.
     */
    const forkAndRevoke = async (session: { token: string; refreshToken: string }) => {
      const issued = await rest(
        'GET',
        `/api/jwt/issue?applicationId=${s.realm.applicationA2}&refreshToken=${encodeURIComponent(session.refreshToken)}`,
        session.token,
      );
      expect(issued.status).toBe(200);
      const fork = (await issued.json()) as { refreshToken?: string };
      const refreshed = await rest('POST', '/api/jwt/refresh', undefined, {
        refreshToken: fork.refreshToken,
      });
      expect(refreshed.status).toBe(200);
      const { token, refreshTokenId } = (await refreshed.json()) as {
        token: string;
        refreshTokenId: string;
      };
      const revoked = await rest('DELETE', `/api/jwt/refresh/${refreshTokenId}`, session.token);
      expect(revoked.status).toBe(200);
      return { forkId: refreshTokenId, token };
    };

    it('finding 2: an end user looping fork, refresh and revoke holds at most bound + 1 entries; every revoked token stays refused; another user still revokes', async () => {
      const userId = await createUser(s, {
        applicationIds: [s.realm.applicationA, s.realm.applicationA2],
      });
      let session = await login(userId);
      const sessionIds = new Set<string>([String(claimsOf(session.token).sid)]);
      const revokedTokens: string[] = [];
      for (let n = 0; n < LOOPS; n++) {
        // Past the bound the user is revoked wholesale, their own JWT too: they log in again,
        // once the skew margin of that revocation has passed, and go on.
        if (await isRejected(session.token)) {
          s.clock.advance(SKEW_MS + 1000);
          session = await login(userId);
          sessionIds.add(String(claimsOf(session.token).sid));
        }
        const { forkId, token } = await forkAndRevoke(session);
        sessionIds.add(forkId);
        revokedTokens.push(token);
        // Revocations reach validators asynchronously: wait until both hold this one (the
        // gateway applies events in order, so it then holds every earlier one too).
        if (stores === undefined) throw new Error('no stores');
        await revocationApplied(s, await stores.revocations.latestSequence());
        await eventually(() => isRejected(token));
      }

      if (stores === undefined) throw new Error('no stores');
      const live = (await stores.revocations.snapshot()).revocations.filter(
        (entry) => entry.tenantId === s.realm.tenantA,
      );
      const users = live.filter(
        (entry) => entry.userId === userId || sessionIds.has(entry.sessionId),
      );
      expect(users.length).toBeLessThanOrEqual(PER_USER + 1);
      // The user was revoked wholesale at least once, and holds one such entry at most.
      expect(users.filter((entry) => entry.sessionId === '')).toHaveLength(1);

      // Every revoked fork's access token is refused, by the gateway and the issuer alike.
      for (const token of revokedTokens) await eventually(() => isRejected(token));
      for (const token of revokedTokens) {
        const answer = await s.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(
          s.issuerClient,
          'validate',
          { tenantId: s.realm.tenantA, token, audience: '' },
        );
        expect(answer.valid).toBe(false);
      }

      // Another user of the tenant still revokes their session, and its token is refused.
      const other = await createUser(s, { applicationIds: [s.realm.applicationA] });
      const started = await startSession(s, other);
      const revoked = await rest(
        'DELETE',
        `/api/jwt/refresh/${started.refreshTokenId}`,
        started.token,
      );
      expect(revoked.status).toBe(200);
      await eventually(() => isRejected(started.token));
    });
  },
);

describe('security finding 2 — validators keep one user-wide revocation per user', () => {
  it('finding 2: a later user-wide revocation replaces the ones it covers, and refuses what they did', () => {
    const now = Date.UTC(2030, 0, 1, 12);
    const wide = (at: number, overrides: Partial<Parameters<RevocationSet['add']>[0]> = {}) => ({
      tenantId: 't',
      sessionId: '',
      userId: 'u',
      applicationId: '',
      notBefore: at + SKEW_MS,
      expiresAt: at + SKEW_MS + 3_600_000,
      ...overrides,
    });
    const set = new RevocationSet();
    set.add(wide(now), 1n);
    // Narrower or other entries are kept: of another tenant, for one application, a session.
    set.add(wide(now, { tenantId: 't2' }), 2n);
    set.add(wide(now, { applicationId: 'app' }), 3n);
    set.add(wide(now, { sessionId: 's', userId: '' }), 4n);
    // One that ends later but starts earlier does not cover the first: both stay.
    set.add(wide(now - 1000, { expiresAt: now + SKEW_MS + 3_700_000 }), 5n);
    expect(set.size).toBe(5);
    for (let n = 1; n <= 50; n++) set.add(wide(now + 1000 * n), BigInt(5 + n));
    // The first is gone, so are the 49 after it; the four others and the latest stay.
    expect(set.size).toBe(5);
    const iat = Math.floor((now + 50_000) / 1000);
    expect(set.isRevoked({ sub: 'u', iat }, 't', now)).toBe(true);
    expect(set.isRevoked({ sub: 'u', iat: iat + 10 }, 't', now)).toBe(false);
    expect(set.isRevoked({ sid: 's', sub: 'x', iat: 1 }, 't', now)).toBe(true);
  });
});
