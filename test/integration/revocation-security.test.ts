import { randomBytes } from 'node:crypto';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { loadRealmFile } from '@tessera/config';
import { commonV1, issuerV1, sessionV1 } from '@tessera/contracts';
import { credentialsMetadata, readErrorDetails, unaryCall } from '@tessera/grpc-runtime';
import { createLocalValidator } from '@tessera/local-validation';
import { RevocationSet } from '@tessera/revocation-set';
import { type RedisServer, startRedisServer, writeStandardRealm } from '@tessera/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsServing } from '../../services/gateway/src/backend-health.js';
import { createIssuerApp } from '../../services/issuer/src/app.js';
import type { SessionStores } from '../../services/session/src/app.js';
import { revocationOf } from '../../services/session/src/domain/revocation-of.js';
import { memorySessionStores, redisSessionStores } from '../../services/session/src/stores.js';
import {
  claimsOf,
  memoryStores,
  revocationApplied,
  type Stack,
  startSessionFor,
  startStack,
} from '../support/stack.js';

/**
 * The standard realm's tenant A: its longest access token is application A2's webMethods token
 * (60 min by default), tolerance 30 s.
 */
const TENANT_A_LIFETIME_MS = (60 * 60 + 30) * 1000;
const SKEW_MS = 5000;

describe('security finding 2 — the revocation set stays bounded', () => {
  let s: Stack;
  let stores: SessionStores | undefined;
  beforeAll(async () => {
    s = await startStack({
      stores: (clock) => {
        stores = memoryStores(clock);
        return stores;
      },
      realm: { revocationMaxLiveEntries: 3 },
    });
  });
  afterAll(() => s.close());

  const revoke = (selector: sessionV1.RevokeRequest['selector'], apiKey?: string) =>
    s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(
      s.sessionClient,
      'revoke',
      { tenantId: s.realm.tenantA, selector, ownerUserId: '' },
      apiKey,
    );
  const startSession = (userId: string) => startSessionFor(s, userId);
  const latest = () => {
    if (stores === undefined) throw new Error('no stores');
    return stores.revocations.latestSequence();
  };

  it('finding 2: a revoke that matches nothing publishes nothing', async () => {
    const before = await latest();
    for (let n = 0; n < 20; n++) {
      const user = await revoke({ $case: 'userId', value: `nobody-${n}` });
      expect(user).toMatchObject({ revokedCount: 0, revocation: undefined });
      await revoke({
        $case: 'userApplication',
        value: { userId: `nobody-${n}`, applicationId: s.realm.applicationA },
      });
      await revoke({
        $case: 'applicationId',
        value: `00000000-0000-4000-8000-00000000000${n % 10}`,
      });
      await revoke({ $case: 'id', value: `00000000-0000-4000-8000-0000000000${10 + n}` });
    }
    expect(await latest()).toBe(before);
  });

  it('finding 2: an entry lives an access token’s lifetime plus tolerance, not the maximum TTL', async () => {
    const started = await startSession('user-lifetime');
    const now = s.clock.now();
    const { revocation } = await revoke({ $case: 'userId', value: 'user-lifetime' });
    expect(revocation).toBeDefined();
    expect(Number(revocation?.expiresAt) - now).toBe(TENANT_A_LIFETIME_MS + SKEW_MS);
    // The tenant's maximum TTL (one day here) plays no part.
    expect(Number(revocation?.expiresAt) - now).toBeLessThan(86_400_000);
    expect(started.refreshTokenId).not.toBe('');
  });

  it('finding 2: a revoke past the tenant’s live-entry limit is RESOURCE_EXHAUSTED with its reason', async () => {
    // The limit is 3 here; the test above left one live entry.
    for (let n = 0; n < 2; n++) {
      const started = await startSession(`user-cap-${n}`);
      await revoke({ $case: 'id', value: started.refreshTokenId });
    }
    const over = await startSession('user-cap-over');
    const error = await s.fail(s.sessionClient, 'revoke', {
      tenantId: s.realm.tenantA,
      selector: { $case: 'id', value: over.refreshTokenId },
      ownerUserId: '',
    });
    expect(error).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'REVOCATION_LIMIT_REACHED',
    });
    // Entries free up as they expire.
    s.clock.advance(TENANT_A_LIFETIME_MS + SKEW_MS + 1);
    const later = await startSession('user-cap-later');
    expect(await revoke({ $case: 'id', value: later.refreshTokenId })).toMatchObject({
      revokedCount: 1,
    });
  });
});

describe('security finding 2 — validators are not ready before their first snapshot', () => {
  it('finding 2: the issuer reports NOT_SERVING and refuses Validate until revocations are loaded', async () => {
    const realm = await writeStandardRealm();
    const logger = pino({ level: 'silent' });
    // A session address nothing listens on: the first snapshot never comes.
    const issuer = await createIssuerApp({
      realmFile: realm.realmFile,
      logger,
      clock: new ManualClock(Date.now()),
      session: { address: '127.0.0.1:1', apiKey: realm.keys.admin, deadlineMs: 1000 },
    });
    const port = await issuer.grpc.listen('127.0.0.1:0');
    const client = new issuerV1.IssuerServiceClient(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    );
    try {
      expect(await backendsServing([client], 1000)).toBe(false);
      const metadata = new Metadata();
      metadata.set('authorization', realm.keys.admin);
      const error = await unaryCall(
        client.validate.bind(client),
        { tenantId: realm.tenantA, token: 'x.y.z', audience: '' },
        { deadlineMs: 5000, metadata },
      ).then(
        () => undefined,
        (failure: unknown) => readErrorDetails(failure),
      );
      expect(error).toMatchObject({ code: status.UNAVAILABLE, reason: 'UNAVAILABLE' });
      // Key publication rests on no revocation: validators elsewhere need it to get ready.
      const jwks = await unaryCall(
        client.getJwks.bind(client),
        { tenantId: '' },
        { deadlineMs: 5000 },
      );
      expect(JSON.parse(jwks.jwksJson).keys.length).toBeGreaterThan(0);
    } finally {
      client.close();
      await issuer.stop({ graceMs: 0 });
      realm.cleanup();
    }
  });

  it('finding 2: the local validator is not ready and refuses to validate without revocations', async () => {
    const s = await startStack();
    // Once its snapshot is applied the stack's issuer serves.
    expect(await backendsServing([s.issuerClient], 1000)).toBe(true);
    const deadSession = new sessionV1.SessionServiceClient(
      '127.0.0.1:1',
      credentials.createInsecure(),
    );
    const validator = createLocalValidator({
      issuer: s.issuerClient,
      session: deadSession,
      metadata: () => credentialsMetadata(s.realm.keys.plain),
      clock: s.clock,
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(validator.isReady()).toBe(false);
      await expect(validator.validate('x.y.z')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(() => validator.validateCached('x.y.z')).toThrow(
        expect.objectContaining({ code: 'UNAVAILABLE' }),
      );
    } finally {
      validator.stop();
      deadSession.close();
      await s.close();
    }
  });
});

/** As the session service sizes it from the realm: as long as an access token lives. */
const RETENTION_MS = 2 * 3_600_000;

describe.each([
  ['memory', () => Promise.resolve(undefined)],
  ['redis', () => startRedisServer()],
] as const)(
  'security finding 10 — revoking a session that just expired still reaches its tokens (%s)',
  (label, startRedis) => {
    let s: Stack;
    let redis: RedisServer | undefined;
    beforeAll(async () => {
      redis = await startRedis();
      const url = redis?.url;
      s = await startStack({
        stores: (clock) =>
          url === undefined
            ? memorySessionStores({
                pepper: randomBytes(32),
                clock,
                expiredRetentionMs: RETENTION_MS,
              })
            : redisSessionStores({
                url,
                pepper: randomBytes(32),
                clock,
                readyTimeoutMs: 5000,
                expiredRetentionMs: RETENTION_MS,
              }),
      });
    });
    afterAll(async () => {
      await s?.close();
      await redis?.stop();
    });
    void label;

    it('finding 10: a revoke by id of a just-expired family publishes, and its last access token is refused', async () => {
      const started = await s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
        s.issuerClient,
        'startSession',
        {
          tenantId: s.realm.tenantA,
          applicationId: s.realm.applicationA,
          userId: 'user-ended',
          authenticationType: 'PASSWORD',
          presenter: undefined,
          device: undefined,
          requestId: '',
          scopes: ['offline_access'],
          dataJson: '',
        },
      );
      // Refresh just before the family's end: the new access token outlives the family.
      const familyEnd = Number(claimsOf(started.token).iat) * 1000 + 43_200 * 60_000;
      s.clock.set(familyEnd - 10_000);
      const last = await s.call<issuerV1.RefreshRequest, issuerV1.RefreshResponse>(
        s.issuerClient,
        'refresh',
        {
          tenantId: s.realm.tenantA,
          refreshToken: started.refreshToken,
          timeToLiveSeconds: 0,
          presenter: undefined,
          requestId: '',
        },
      );
      s.clock.set(familyEnd + 1000);
      const validate = () =>
        s.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(s.issuerClient, 'validate', {
          tenantId: s.realm.tenantA,
          token: last.token,
          audience: '',
        });
      expect(await validate()).toMatchObject({ valid: true });

      const before = s.issuer.revocations.sequence;
      const response = await s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(
        s.sessionClient,
        'revoke',
        {
          tenantId: s.realm.tenantA,
          selector: { $case: 'id', value: started.refreshTokenId },
          ownerUserId: '',
        },
      );
      expect(response.revocation).toMatchObject({ sessionId: started.refreshTokenId });
      await revocationApplied(s, before + 1n);
      expect(await validate()).toMatchObject({
        valid: false,
        reason: commonV1.ValidationReason.VALIDATION_REASON_REVOKED,
      });
    });
  },
);

describe('security finding 9 — revocation timing across clocks', () => {
  it('finding 9: a session revocation covers every token of the family, whatever its iat', async () => {
    const realm = await writeStandardRealm();
    try {
      const loaded = loadRealmFile(realm.realmFile);
      const now = Date.UTC(2030, 0, 1, 12, 0, 0, 400);
      const [entry] = revocationOf(
        loaded,
        realm.tenantA,
        { kind: 'id', id: 'family-1' },
        { sessionIds: ['family-1'], subjectKnown: true },
        now,
      );
      if (entry === undefined) throw new Error('no entry');
      const set = new RevocationSet();
      set.replace([entry], 1n);
      // An issuer whose clock runs 20 s ahead stamped this token just before the revoke.
      const ahead = { sid: 'family-1', sub: 'u', iat: Math.floor((now + 20_000) / 1000) };
      expect(set.isRevoked(ahead, realm.tenantA, now)).toBe(true);
      // Same second as the revoke: whole-second iat versus a millisecond notBefore.
      const sameSecond = { sid: 'family-1', sub: 'u', iat: Math.floor(now / 1000) };
      expect(set.isRevoked(sameSecond, realm.tenantA, now)).toBe(true);
      expect(set.isRevoked({ sid: 'family-2', sub: 'u', iat: 1 }, realm.tenantA, now)).toBe(false);
    } finally {
      realm.cleanup();
    }
  });

  it('finding 9: a user revocation covers tokens stamped within the skew margin after it', async () => {
    const realm = await writeStandardRealm();
    try {
      const loaded = loadRealmFile(realm.realmFile);
      const now = Date.UTC(2030, 0, 1, 12, 0, 0, 900);
      const [entry] = revocationOf(
        loaded,
        realm.tenantA,
        { kind: 'user', userId: 'u' },
        { sessionIds: [], subjectKnown: true },
        now,
      );
      if (entry === undefined) throw new Error('no entry');
      const set = new RevocationSet();
      set.replace([entry], 1n);
      const iat = (ms: number) => ({ sub: 'u', iat: Math.floor(ms / 1000) });
      // Minted just before the revoke by an issuer 3 s ahead: covered.
      expect(set.isRevoked(iat(now + 3000), realm.tenantA, now)).toBe(true);
      // Minted well after the revoke (beyond the 5 s margin): a new login, valid.
      expect(set.isRevoked(iat(now + 7000), realm.tenantA, now)).toBe(false);
    } finally {
      realm.cleanup();
    }
  });
});
