import { Metadata, status } from '@grpc/grpc-js';
import { commonV1, type issuerV1, type sessionV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, register } from '../gateway/support-fusionauth.js';
import {
  claimsOf,
  revocationApplied,
  type Stack,
  type StackOptions,
  startStack,
} from '../support/stack.js';

/**
 * The session flows end to end (issuer → session → store), run once per store: the same
 * behaviour is required of the memory store and of Redis.
 */
export function describeSessionFlows(label: string, options: () => StackOptions): void {
  describe(`session flows (${label})`, () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack(options());
    });
    afterAll(() => s.close());

    const startSession = (userId: string, extra: Partial<issuerV1.StartSessionRequest> = {}) =>
      s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
        s.issuerClient,
        'startSession',
        {
          tenantId: s.realm.tenantA,
          applicationId: s.realm.applicationA,
          userId,
          authenticationType: 'PASSWORD',
          presenter: { ipAddress: '10.0.0.1', userAgent: 'test-agent' },
          device: undefined,
          scopes: ['offline_access'],
          dataJson: '',
          requestId: '',
          ...extra,
        },
      );

    const refresh = (refreshToken: string, extra: Partial<issuerV1.RefreshRequest> = {}) =>
      s.call<issuerV1.RefreshRequest, issuerV1.RefreshResponse>(s.issuerClient, 'refresh', {
        tenantId: '',
        refreshToken,
        timeToLiveSeconds: 0,
        presenter: { ipAddress: '10.0.0.2', userAgent: 'test-agent' },
        requestId: '',
        ...extra,
      });

    const validate = (token: string) =>
      s.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(s.issuerClient, 'validate', {
        tenantId: s.realm.tenantA,
        token,
        audience: '',
      });

    const revoke = (selector: sessionV1.RevokeRequest['selector']) =>
      s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
        tenantId: s.realm.tenantA,
        selector,
        ownerUserId: '',
      });

    describe('StartSession and Refresh', () => {
      it('mints an access token whose sid is the refresh-token id', async () => {
        const started = await startSession('user-start');
        const claims = claimsOf(started.token);
        expect(claims).toMatchObject({
          sub: 'user-start',
          sid: started.refreshTokenId,
          tid: s.realm.tenantA,
          authenticationType: 'PASSWORD',
          scope: 'offline_access',
          iss: s.realm.issuerA,
        });
        expect(started.refreshToken.length).toBeGreaterThanOrEqual(43);
        expect(started.tokenExpirationInstant).toBe(BigInt(Number(claims.exp)) * 1000n);
        expect(await validate(started.token)).toMatchObject({ valid: true });
      });

      it('refreshes with the same sid, the original auth_time and authenticationType REFRESH_TOKEN', async () => {
        const started = await startSession('user-refresh');
        const authTime = claimsOf(started.token).auth_time;
        s.clock.advance(60_000);
        const refreshed = await refresh(started.refreshToken);
        const claims = claimsOf(refreshed.token);
        expect(refreshed.refreshTokenId).toBe(started.refreshTokenId);
        expect(claims).toMatchObject({
          sid: started.refreshTokenId,
          auth_time: authTime,
          authenticationType: 'REFRESH_TOKEN',
        });
        expect(Number(claims.iat)).toBeGreaterThan(Number(authTime));
      });

      it('only shortens the access-token lifetime on request', async () => {
        const started = await startSession('user-ttl');
        const short = claimsOf(
          (await refresh(started.refreshToken, { timeToLiveSeconds: 30 })).token,
        );
        expect(Number(short.exp) - Number(short.iat)).toBe(30);
      });

      it('refuses an unknown refresh token with REFRESH_TOKEN_INVALID', async () => {
        const error = await s.fail(s.issuerClient, 'refresh', {
          tenantId: '',
          refreshToken: 'not-a-refresh-token',
          timeToLiveSeconds: 0,
          presenter: undefined,
          requestId: '',
        });
        expect(error).toMatchObject({
          code: status.FAILED_PRECONDITION,
          reason: 'REFRESH_TOKEN_INVALID',
        });
      });
    });

    describe('revocation reaches access tokens', () => {
      it('fails the access tokens of a revoked session at once, not at exp', async () => {
        const started = await startSession('user-revoke-session');
        expect(await validate(started.token)).toMatchObject({ valid: true });
        const before = s.issuer.revocations.sequence;
        const { revocation, revokedCount } = await revoke({
          $case: 'id',
          value: started.refreshTokenId,
        });
        expect(revokedCount).toBe(1);
        expect(revocation?.sessionId).toBe(started.refreshTokenId);
        await revocationApplied(s, before + 1n);
        expect(await validate(started.token)).toMatchObject({
          valid: false,
          reason: commonV1.ValidationReason.VALIDATION_REASON_REVOKED,
        });
        const error = await s.fail(s.issuerClient, 'refresh', {
          tenantId: '',
          refreshToken: started.refreshToken,
          timeToLiveSeconds: 0,
          presenter: undefined,
          requestId: '',
        });
        expect(error).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID' });
      });

      it('fails every token of a revoked user, but not tokens issued later', async () => {
        const first = await startSession('user-revoke-all');
        const second = await startSession('user-revoke-all');
        const before = s.issuer.revocations.sequence;
        await revoke({ $case: 'userId', value: 'user-revoke-all' });
        await revocationApplied(s, before + 1n);
        for (const token of [first.token, second.token]) {
          expect((await validate(token)).reason).toBe(
            commonV1.ValidationReason.VALIDATION_REASON_REVOKED,
          );
        }
        // A revocation by user also covers tokens issued within the tenant's clock-skew margin
        // after it (5 s by default), for issuers whose clock runs ahead; later ones are valid.
        s.clock.advance(6000);
        const later = await startSession('user-revoke-all');
        expect(await validate(later.token)).toMatchObject({ valid: true });
      });

      it('asks for a selector', async () => {
        const error = await s.fail(s.sessionClient, 'revoke', {
          tenantId: s.realm.tenantA,
          selector: undefined,
          ownerUserId: '',
        });
        expect(error).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'selector' });
      });
    });

    const issueFor = (token: string, refreshToken = '') =>
      s.call<issuerV1.IssueForApplicationRequest, issuerV1.IssueForApplicationResponse>(
        s.issuerClient,
        'issueForApplication',
        { tenantId: s.realm.tenantA, token, applicationId: s.realm.applicationA2, refreshToken },
      );

    const setActive = (userId: string, active: boolean) =>
      s.call<sessionV1.UpsertUserRequest, sessionV1.UpsertUserResponse>(
        s.sessionClient,
        'upsertUser',
        {
          user: {
            id: userId,
            tenantId: s.realm.tenantA,
            email: `${userId}@a.example`,
            username: '',
            verified: true,
            active,
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

    /** A directory user registered to both applications of tenant A, and a session of A. */
    const loginBoth = async () => {
      const userId = await createUser(s, {
        applicationIds: [s.realm.applicationA, s.realm.applicationA2],
        roles: ['admin'],
      });
      return { userId, ...(await startSession(userId)) };
    };

    const getById = (id: string) =>
      s.call<sessionV1.GetRequest, sessionV1.GetResponse>(s.sessionClient, 'get', {
        id,
        tenantId: s.realm.tenantA,
        token: '',
      });

    const revokedReason = commonV1.ValidationReason.VALIDATION_REASON_REVOKED;

    describe('security finding 5 — tokens issued for another application die with their source session', () => {
      it('finding 5: revoking the source reaches the derived tokens (with and without a refresh token) and the fork', async () => {
        const source = await loginBoth();
        const tokenOnly = await issueFor(source.token);
        const withFork = await issueFor(source.token, source.refreshToken);
        expect(claimsOf(tokenOnly.token).sid).toBe(source.refreshTokenId);
        expect(withFork.refreshToken).not.toBe('');
        expect(claimsOf(withFork.token).sid).toBe(withFork.refreshTokenId);
        const forkRecord = await getById(withFork.refreshTokenId);
        expect(forkRecord.record?.sourceId).toBe(source.refreshTokenId);
        for (const token of [source.token, tokenOnly.token, withFork.token]) {
          expect(await validate(token)).toMatchObject({ valid: true });
        }
        const before = s.issuer.revocations.sequence;
        const { revokedCount } = await revoke({ $case: 'id', value: source.refreshTokenId });
        expect(revokedCount).toBe(2);
        await revocationApplied(s, before + 2n);
        for (const token of [source.token, tokenOnly.token, withFork.token]) {
          expect((await validate(token)).reason).toBe(revokedReason);
        }
        expect(
          await s.fail(s.sessionClient, 'get', {
            id: withFork.refreshTokenId,
            tenantId: s.realm.tenantA,
            token: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_NOT_FOUND' });
        expect(
          await s.fail(s.issuerClient, 'refresh', {
            tenantId: '',
            refreshToken: withFork.refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID' });
      });

      it('finding 5: reuse of the source’s consumed refresh token (theft) revokes the fork and its access tokens', async () => {
        const oneTimeUse = {
          expiration: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
          usage: commonV1.UsagePolicy.USAGE_POLICY_ONE_TIME_USE,
          timeToLiveMinutes: 60,
          maximumTimeToLiveMinutes: 0,
          gracePeriodSeconds: 0,
          revokeFamilyOnReuse: true,
        };
        const create = (applicationId: string, sourceId: string) =>
          s.call<sessionV1.CreateRequest, sessionV1.CreateResponse>(s.sessionClient, 'create', {
            tenantId: s.realm.tenantA,
            applicationId,
            userId: 'user-theft-fork',
            policy: oneTimeUse,
            device: undefined,
            scopes: [],
            dataJson: '',
            sessionClaims: undefined,
            requestId: '',
            startInstant: 0n,
            presenter: undefined,
            sourceId,
          });
        const source = await create(s.realm.applicationA, '');
        const fork = await create(s.realm.applicationA2, source.record?.id ?? '');
        // An access token of the fork, from the issuer.
        const forkRefreshed = await refresh(fork.refreshToken);
        expect(claimsOf(forkRefreshed.token).sid).toBe(fork.record?.id);
        await refresh(source.refreshToken);
        const before = s.issuer.revocations.sequence;
        expect(
          await s.fail(s.issuerClient, 'refresh', {
            tenantId: '',
            refreshToken: source.refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID', metadata: { cause: 'reused' } });
        await revocationApplied(s, before + 2n);
        expect((await validate(forkRefreshed.token)).reason).toBe(revokedReason);
        expect(
          await s.fail(s.issuerClient, 'refresh', {
            tenantId: '',
            refreshToken: forkRefreshed.refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID' });
      });

      it('finding 5: a session has at most 10 forks by default: the 11th is FAILED_PRECONDITION SESSION_FORK_LIMIT', async () => {
        const source = await loginBoth();
        for (let i = 0; i < 10; i++) {
          expect((await issueFor(source.token, source.refreshToken)).refreshToken).not.toBe('');
        }
        const refused = await s.fail(s.issuerClient, 'issueForApplication', {
          tenantId: s.realm.tenantA,
          token: source.token,
          applicationId: s.realm.applicationA2,
          refreshToken: source.refreshToken,
        });
        expect(refused).toMatchObject({
          code: status.FAILED_PRECONDITION,
          reason: 'SESSION_FORK_LIMIT',
        });
        // Without a refresh token nothing is forked: still served.
        expect((await issueFor(source.token)).token).not.toBe('');
      });
    });

    describe('security finding 8 — a refresh reflects the user as the directory knows them now', () => {
      it('finding 8: a deactivated user’s refresh is refused and the session revoked, its access tokens too', async () => {
        const { userId, token, refreshToken, refreshTokenId } = await loginBoth();
        await setActive(userId, false);
        const before = s.issuer.revocations.sequence;
        expect(
          await s.fail(s.issuerClient, 'refresh', {
            tenantId: '',
            refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          }),
        ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'REFRESH_TOKEN_INVALID' });
        expect(
          await s.fail(s.sessionClient, 'get', {
            id: refreshTokenId,
            tenantId: s.realm.tenantA,
            token: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_NOT_FOUND' });
        await revocationApplied(s, before + 1n);
        expect((await validate(token)).reason).toBe(revokedReason);
        // Reactivated, the revoked session stays revoked.
        await setActive(userId, true);
        expect(
          await s.fail(s.issuerClient, 'refresh', {
            tenantId: '',
            refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          }),
        ).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID' });
      });

      it('finding 8: a refresh carries the roles the registration has now', async () => {
        const { userId, token, refreshToken } = await loginBoth();
        expect(claimsOf(token).roles).toEqual(['admin']);
        await register(s, userId, s.realm.applicationA, ['editor', 'viewer']);
        expect(claimsOf((await refresh(refreshToken)).token).roles).toEqual(['editor', 'viewer']);
      });

      it('finding 8: IssueForApplication and StartSession refuse a deactivated user', async () => {
        const { userId, token, refreshToken } = await loginBoth();
        await setActive(userId, false);
        expect(
          await s.fail(s.issuerClient, 'issueForApplication', {
            tenantId: s.realm.tenantA,
            token,
            applicationId: s.realm.applicationA2,
            refreshToken,
          }),
        ).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'UNAUTHENTICATED' });
        expect(
          await s.fail(s.issuerClient, 'startSession', {
            tenantId: s.realm.tenantA,
            applicationId: s.realm.applicationA,
            userId,
            authenticationType: 'PASSWORD',
            presenter: undefined,
            device: undefined,
            scopes: [],
            dataJson: '',
          }),
        ).toMatchObject({ code: status.UNAUTHENTICATED });
      });
    });

    describe('session RPCs', () => {
      it('gets and lists live refresh tokens, never their values', async () => {
        const started = await startSession('user-list');
        const { record } = await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(
          s.sessionClient,
          'get',
          {
            id: started.refreshTokenId,
            tenantId: s.realm.tenantA,
            token: '',
          },
        );
        expect(record).toMatchObject({
          id: started.refreshTokenId,
          userId: 'user-list',
          applicationId: s.realm.applicationA,
        });
        expect(
          JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        ).not.toContain(started.refreshToken);
        const { records } = await s.call<sessionV1.ListByUserRequest, sessionV1.ListByUserResponse>(
          s.sessionClient,
          'listByUser',
          { userId: 'user-list', applicationId: '', tenantId: s.realm.tenantA },
        );
        expect(records.map((r) => r.id)).toEqual([started.refreshTokenId]);
      });

      it('holds a tenant-locked key to its tenant', async () => {
        const denied = await s.fail(
          s.sessionClient,
          'listByUser',
          { userId: 'anyone', applicationId: '', tenantId: s.realm.tenantA },
          s.realm.keys.lockedToB,
        );
        expect(denied).toMatchObject({ code: status.PERMISSION_DENIED, field: 'tenant_id' });
        const implied = await s.call<sessionV1.ListByUserRequest, sessionV1.ListByUserResponse>(
          s.sessionClient,
          'listByUser',
          { userId: 'anyone', applicationId: '', tenantId: '' },
          s.realm.keys.lockedToB,
        );
        expect(implied.records).toEqual([]);
        const required = await s.fail(s.sessionClient, 'listByUser', {
          userId: 'x',
          applicationId: '',
          tenantId: '',
        });
        expect(required).toMatchObject({ reason: 'TENANT_ID_REQUIRED' });
      });

      it('holds a tenant-locked key to its tenant on refresh and on the revocation stream', async () => {
        const started = await startSession('user-locked-refresh');
        const refused = await s.fail(
          s.issuerClient,
          'refresh',
          {
            tenantId: '',
            refreshToken: started.refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          },
          s.realm.keys.lockedToB,
        );
        expect(refused).toMatchObject({ reason: 'REFRESH_TOKEN_INVALID' });
        const denied = await s.fail(
          s.issuerClient,
          'refresh',
          {
            tenantId: s.realm.tenantA,
            refreshToken: started.refreshToken,
            timeToLiveSeconds: 0,
            presenter: undefined,
            requestId: '',
          },
          s.realm.keys.lockedToB,
        );
        expect(denied).toMatchObject({ code: status.PERMISSION_DENIED });

        const metadata = new Metadata();
        metadata.set('authorization', s.realm.keys.lockedToB);
        const stream = s.sessionClient.watchRevocations({ afterSequence: 0n, epoch: '' }, metadata);
        const code = await new Promise<number | undefined>((resolve) => {
          stream.on('error', (error: Error & { code?: number }) => resolve(error.code));
          stream.on('data', () => resolve(undefined));
        });
        stream.cancel();
        expect(code).toBe(status.PERMISSION_DENIED);
      });

      it('bounds free-text input instead of storing it', async () => {
        const error = await s.fail(s.issuerClient, 'startSession', {
          tenantId: s.realm.tenantA,
          applicationId: s.realm.applicationA,
          userId: 'user-bounds',
          authenticationType: 'PASSWORD',
          presenter: { ipAddress: '10.0.0.1', userAgent: 'x'.repeat(5000) },
          device: undefined,
          scopes: [],
          dataJson: '',
        });
        expect(error).toMatchObject({
          code: status.INVALID_ARGUMENT,
          field: 'presenter.user_agent',
        });
      });

      it('authenticates its callers itself', async () => {
        const error = await s.fail(
          s.sessionClient,
          'get',
          { id: 'x', tenantId: '', token: '' },
          '',
        );
        expect(error).toMatchObject({ code: status.UNAUTHENTICATED });
      });

      it('streams revocations: a snapshot, then events with sequence numbers, then heartbeats', async () => {
        const metadata = new Metadata();
        metadata.set('authorization', s.realm.keys.admin);
        const call = s.sessionClient.watchRevocations({ afterSequence: 0n, epoch: '' }, metadata);
        const kinds: string[] = [];
        let eventSequence = 0n;
        let snapshotSeen: () => void = () => {};
        const snapshot = new Promise<void>((resolve) => {
          snapshotSeen = resolve;
        });
        const done = new Promise<void>((resolve, reject) => {
          call.on('data', (message: sessionV1.WatchRevocationsResponse) => {
            const kind = message.kind;
            if (kind === undefined) return;
            kinds.push(kind.$case);
            if (kind.$case === 'snapshotEnd') snapshotSeen();
            if (kind.$case === 'event') eventSequence = kind.value.sequence;
            if (
              kinds.includes('snapshot') &&
              kinds.includes('event') &&
              kinds.includes('heartbeat')
            )
              resolve();
          });
          call.on('error', (error: Error & { code?: number }) => {
            if (error.code !== status.CANCELLED) reject(error);
          });
        });
        await snapshot;
        const started = await startSession('user-stream');
        await revoke({ $case: 'id', value: started.refreshTokenId });
        await done;
        call.cancel();
        expect(kinds[0]).toBe('snapshot');
        expect(eventSequence).toBeGreaterThan(0n);
      });
    });
  });
}
