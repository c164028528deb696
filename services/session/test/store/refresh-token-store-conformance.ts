import { randomBytes, randomUUID } from 'node:crypto';
import type { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MINUTE_MS } from '../../src/domain/expiration.js';
import { DEFAULT_IDEMPOTENCY_WINDOW_MS } from '../../src/domain/idempotency.js';
import { DEFAULT_EXPIRED_RETENTION_MS } from '../../src/store/index.js';
import type {
  Closable,
  CreateInput,
  ExpirationPolicy,
  RefreshTokenRecord,
  RefreshTokenStore,
  RevokeSelector,
  RotateInput,
  RotateOutcome,
} from '../../src/store/session-store.js';
import {
  causeOf,
  createInput,
  type Principal,
  policy,
  presenter,
  principal,
  tokenOf,
} from './fixtures.js';
import type { RedisInspector } from './redis-inspector.js';

/**
 * The contract of `RefreshTokenStore` (session-store.ts), as one suite every implementation
 * runs: the memory store, Redis standalone and a real Redis Cluster. Each invariant of
 * services/session/README.md has its own test named after it. Tests share one store and one manual clock and
 * keep apart by using fresh tenant, user and application ids.
 */

/** A store under test with its clock, and, for Redis, a view of the server's contents. */
export interface StoreHarness {
  readonly store: RefreshTokenStore & Closable;
  readonly clock: ManualClock;
  readonly redis?: RedisInspector;
  close(): Promise<void>;
}

/** Options of the conformance suite. */
export interface ConformanceOptions {
  /**
   * Opens a fresh store: once per suite with the defaults, and (Redis) once with keys that
   * outlive the expiration by `expiredRetentionMs`.
   */
  readonly open: (settings?: { expiredRetentionMs?: number }) => Promise<StoreHarness>;
  /** Whether the store is Redis-backed (enables the key-level checks). */
  readonly redis: boolean;
  /** How many times the concurrency invariant is repeated within its test. */
  readonly rounds?: number;
}

const CONCURRENCY = 50;

/** Runs the conformance suite against the store `open` returns. */
export function refreshTokenStoreConformance(options: ConformanceOptions): void {
  const rounds = options.rounds ?? 20;
  let harness: StoreHarness;
  let store: RefreshTokenStore;
  let clock: ManualClock;
  /** Every token value the store handed out, to prove none of them is stored. */
  const issued = new Set<string>();

  beforeAll(async () => {
    harness = await options.open();
    clock = harness.clock;
    store = recording(harness.store, issued);
  });
  afterAll(async () => {
    await harness?.close();
  });

  const redis = (): RedisInspector => {
    if (harness.redis === undefined) throw new Error('not a Redis store');
    return harness.redis;
  };

  const start = async (
    who: Principal = principal(),
    refreshPolicy = policy(),
    overrides: Partial<CreateInput> = {},
  ) => ({ who, ...(await store.create(createInput(who, refreshPolicy, overrides))) });

  const rotate = (
    token: string,
    n = 2,
    requestId = '',
    tenantId?: string,
  ): Promise<RotateOutcome> =>
    store.rotate({
      token,
      presenter: presenter(n),
      requestId,
      ...(tenantId === undefined ? {} : { tenantId }),
    });

  describe('sessions', () => {
    it('creates a family: the token once, a record with the id as sid, found by id and token', async () => {
      const now = clock.now();
      const { who, token, record } = await start();
      expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
      expect(record).toMatchObject({
        ...who,
        insertInstant: now,
        startInstant: now,
        expirationInstant: now + 60 * MINUTE_MS,
        scopes: ['offline_access'],
        data: { note: 'kept as given' },
        sessionClaims: {
          authTime: 1_893_456_000,
          authenticationType: 'PASSWORD',
          roles: ['admin'],
          email: 'user@example.com',
          emailVerified: true,
          preferredUsername: 'user',
        },
        device: {
          description: 'test device',
          name: 'laptop',
          type: 'BROWSER',
          lastAccessedAddress: presenter(1).ipAddress,
          lastAccessedInstant: now,
        },
      });
      expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await store.get(record.id)).toEqual(record);
      expect(await store.get(record.id, who.tenantId)).toEqual(record);
      expect(await store.lookup(token)).toEqual(record);
      expect(await store.lookup(token, who.tenantId)).toEqual(record);
    });

    it('keeps a given start instant (FusionAuth issue) and computes the expiry from it', async () => {
      const startInstant = clock.now() - 10 * MINUTE_MS;
      const { record } = await start(principal(), policy({ expiration: 'Fixed' }), {
        startInstant,
      });
      expect(record.startInstant).toBe(startInstant);
      expect(record.expirationInstant).toBe(startInstant + 60 * MINUTE_MS);
    });

    it('refuses policies and start instants no session can run under, naming the field', async () => {
      const cases: [Partial<CreateInput>, string][] = [
        [{ policy: policy({ timeToLiveMinutes: 0 }) }, 'policy.timeToLiveMinutes'],
        [{ policy: policy({ timeToLiveMinutes: 1.5 }) }, 'policy.timeToLiveMinutes'],
        [
          {
            policy: policy({
              expiration: 'SlidingWindowWithMaximumLifetime',
              maximumTimeToLiveMinutes: 0,
            }),
          },
          'policy.maximumTimeToLiveMinutes',
        ],
        [{ policy: policy({ gracePeriodSeconds: 86_401 }) }, 'policy.gracePeriodSeconds'],
        [{ policy: policy({ gracePeriodSeconds: -1 }) }, 'policy.gracePeriodSeconds'],
        [{ startInstant: clock.now() + 1 }, 'startInstant'],
        [
          { policy: policy({ expiration: 'Fixed' }), startInstant: clock.now() - 60 * MINUTE_MS },
          'startInstant',
        ],
      ];
      for (const [overrides, field] of cases) {
        const error = await store
          .create(createInput(principal(), policy(), overrides))
          .catch((e: unknown) => e);
        expect(isTesseraError(error, 'INVALID_ARGUMENT'), field).toBe(true);
        expect(error).toMatchObject({ field });
      }
    });

    it('treats malformed tokens as unknown and never throws on them', async () => {
      const { token } = await start();
      const malformed = [
        '',
        'abc',
        `${token}A`,
        token.slice(1),
        `${token.slice(0, 62)}==`,
        `${token.slice(0, 63)}+`,
        `${token.slice(0, 63)}.`,
        'x'.repeat(10_000),
      ];
      for (const bad of malformed) {
        expect(await rotate(bad)).toEqual({ ok: false, cause: 'unknown' });
        expect(await store.lookup(bad)).toBeUndefined();
        expect(await store.revoke(principal().tenantId, { kind: 'token', token: bad })).toEqual([]);
      }
      expect(await store.get('not-a-uuid')).toBeUndefined();
      expect(await store.revoke(principal().tenantId, { kind: 'id', id: 'not-a-uuid' })).toEqual(
        [],
      );
    });

    it('a made-up token naming a real family is unknown and harms nothing (family ids are not secret)', async () => {
      const { who, token, record } = await start(
        principal(),
        policy({ revokeFamilyOnReuse: true }),
      );
      const forged = forge(token);
      expect(await rotate(forged)).toEqual({ ok: false, cause: 'unknown' });
      expect(await store.lookup(forged)).toBeUndefined();
      expect(await store.revoke(who.tenantId, { kind: 'token', token: forged })).toEqual([]);
      expect(await store.get(record.id)).toBeDefined();
      expect(await rotate(token)).toMatchObject({ ok: true, rotated: true });
    });

    it('keeps tenants apart: another tenant sees an unknown token and revokes nothing', async () => {
      const { who, token, record } = await start();
      const other = principal().tenantId;
      expect(await rotate(token, 2, '', other)).toEqual({ ok: false, cause: 'unknown' });
      expect(await store.get(record.id, other)).toBeUndefined();
      expect(await store.lookup(token, other)).toBeUndefined();
      expect(await store.revoke(other, { kind: 'id', id: record.id })).toEqual([]);
      expect(await store.revoke(other, { kind: 'token', token })).toEqual([]);
      expect(await store.listByUser(other, who.userId)).toEqual([]);
      expect(await rotate(token, 2, '', who.tenantId)).toMatchObject({ ok: true, rotated: true });
    });

    it('lists a user’s live families, optionally of one application, without revoked or expired ones', async () => {
      const who = principal();
      const otherApp = { ...who, applicationId: principal().applicationId };
      const a1 = await start(who);
      clock.advance(1);
      const a2 = await start(who);
      clock.advance(1);
      const b1 = await start(otherApp);
      const revoked = await start(who);
      await store.revoke(who.tenantId, { kind: 'id', id: revoked.record.id });
      const short = await start(who, policy({ expiration: 'Fixed', timeToLiveMinutes: 1 }), {
        startInstant: clock.now() - MINUTE_MS + 5,
      });
      expect((await store.listByUser(who.tenantId, who.userId)).map((r) => r.id)).toEqual([
        short.record.id,
        a1.record.id,
        a2.record.id,
        b1.record.id,
      ]);
      clock.advance(5);
      expect((await store.listByUser(who.tenantId, who.userId)).map((r) => r.id)).toEqual([
        a1.record.id,
        a2.record.id,
        b1.record.id,
      ]);
      expect(
        (await store.listByUser(who.tenantId, who.userId, who.applicationId)).map((r) => r.id),
      ).toEqual([a1.record.id, a2.record.id]);
      expect(await store.listByUser(who.tenantId, principal().userId)).toEqual([]);
    });

    it('records the device’s last access on every successful use', async () => {
      const { token, record } = await start();
      clock.advance(1234);
      const outcome = await rotate(token, 7);
      expect(outcome).toMatchObject({
        ok: true,
        record: {
          insertInstant: clock.now(),
          device: { lastAccessedAddress: presenter(7).ipAddress, lastAccessedInstant: clock.now() },
        },
      });
      expect((await store.get(record.id))?.device).toMatchObject({
        lastAccessedAddress: presenter(7).ipAddress,
        lastAccessedInstant: clock.now(),
      });
    });

    it('Reusable: every use returns the same token, rotates nothing and slides the expiry', async () => {
      const { token, record } = await start(principal(), policy({ usage: 'Reusable' }));
      clock.advance(10 * MINUTE_MS);
      const outcomes = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) => rotate(token, i + 2)),
      );
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          ok: true,
          token,
          rotated: false,
          record: {
            insertInstant: record.insertInstant,
            expirationInstant: clock.now() + 60 * MINUTE_MS,
          },
        });
      }
      expect(await store.lookup(token)).toBeDefined();
    });
  });

  describe('invariant 1: N concurrent rotations of one OneTimeUse token mint exactly one successor', () => {
    it(`grace 0, no revocation on reuse: 1 of ${CONCURRENCY} rotates, the others are reuses naming the winner (×${rounds})`, async () => {
      for (let round = 0; round < rounds; round++) {
        const { token } = await start(principal(), policy({ revokeFamilyOnReuse: false }));
        const outcomes = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) =>
            rotate(token, i + 2, `round-${round}-${i}`),
          ),
        );
        const winners = outcomes.flatMap((o, i) => (o.ok ? [{ o, i }] : []));
        expect(winners).toHaveLength(1);
        const [{ o: winner, i: winnerIndex }] = winners as [
          { o: RotateOutcome & { ok: true }; i: number },
        ];
        expect(winner.rotated).toBe(true);
        expect(winner.token).not.toBe(token);
        for (const loser of outcomes.filter((o) => !o.ok)) {
          expect(loser).toMatchObject({
            ok: false,
            cause: 'reused',
            theft: { familyRevoked: false, previousPresenter: presenter(winnerIndex + 2) },
          });
        }
        // The one successor is live and is the only next step.
        expect(await rotate(winner.token)).toMatchObject({ ok: true, rotated: true });
      }
    });

    it(`grace 0, revocation on reuse: 1 rotates, the first reuse revokes the family, the rest see it revoked (×${rounds})`, async () => {
      for (let round = 0; round < rounds; round++) {
        const { token, record } = await start(principal(), policy({ revokeFamilyOnReuse: true }));
        const outcomes = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) =>
            rotate(token, i + 2, `round-${round}-${i}`),
          ),
        );
        const counts = countBy(outcomes.map(causeOf));
        expect(counts).toEqual({ ok: 1, reused: 1, revoked: CONCURRENCY - 2 });
        const reuse = outcomes.find((o) => !o.ok && o.cause === 'reused');
        expect(reuse).toMatchObject({ theft: { familyId: record.id, familyRevoked: true } });
        const successor = tokenOf(outcomes.find((o) => o.ok) as RotateOutcome);
        expect(await rotate(successor)).toEqual({ ok: false, cause: 'revoked' });
        expect(await store.get(record.id)).toBeUndefined();
      }
    });

    it(`grace > 0: all ${CONCURRENCY} get the same successor, exactly one of them rotated (×${rounds})`, async () => {
      for (let round = 0; round < rounds; round++) {
        const { token } = await start(principal(), policy({ gracePeriodSeconds: 30 }));
        const outcomes = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) =>
            rotate(token, i + 2, `round-${round}-${i}`),
          ),
        );
        expect(outcomes.every((o) => o.ok)).toBe(true);
        expect(new Set(outcomes.map(tokenOf)).size).toBe(1);
        expect(outcomes.filter((o) => o.ok && o.rotated)).toHaveLength(1);
        const successor = tokenOf(outcomes[0] as RotateOutcome);
        expect(successor).not.toBe(token);
        const next = await rotate(successor);
        expect(next).toMatchObject({ ok: true, rotated: true });
        // Only one branch exists: the old token now replays to the one successor, not to a new one.
        expect(await rotate(token)).toEqual({
          ok: false,
          cause: 'reused',
          theft: expect.anything(),
        });
      }
    });
  });

  describe('invariant 2: once revoke has resolved, no rotation that starts later succeeds', () => {
    type Case = [kind: RevokeSelector['kind'], covers: (keyof Families)[]];
    interface Families {
      target: Started;
      sameUserOtherApp: Started;
      otherUserSameApp: Started;
    }
    interface Started {
      record: RefreshTokenRecord;
      parent: string;
      current: string;
    }
    const startRotated = async (who: Principal): Promise<Started> => {
      const created = await start(who, policy({ gracePeriodSeconds: 30 }));
      const current = tokenOf(await rotate(created.token));
      return { record: created.record, parent: created.token, current };
    };
    const cases: Case[] = [
      ['id', ['target']],
      ['token', ['target']],
      ['user', ['target', 'sameUserOtherApp']],
      ['application', ['target', 'otherUserSameApp']],
      ['user-application', ['target']],
    ];

    it.each(cases)(
      'by %s: covered families fail (current and in-grace parent), others live on',
      async (kind, covers) => {
        const who = principal();
        const families: Families = {
          target: await startRotated(who),
          sameUserOtherApp: await startRotated({
            ...who,
            applicationId: principal().applicationId,
          }),
          otherUserSameApp: await startRotated({ ...who, userId: principal().userId }),
        };
        const selector = selectorFor(kind, who, families.target);
        const revoked = await store.revoke(who.tenantId, selector);
        expect(revoked.map((r) => r.id).sort()).toEqual(
          covers.map((name) => families[name].record.id).sort(),
        );
        for (const [name, family] of Object.entries(families) as [keyof Families, Started][]) {
          if (covers.includes(name)) {
            expect(await rotate(family.current)).toEqual({ ok: false, cause: 'revoked' });
            expect(await rotate(family.parent)).toEqual({ ok: false, cause: 'revoked' });
            expect(await store.get(family.record.id)).toBeUndefined();
            expect(await store.lookup(family.current)).toBeUndefined();
          } else {
            expect(await rotate(family.current), name).toMatchObject({ ok: true, rotated: true });
          }
        }
        // Revoking again finds nothing live.
        expect(await store.revoke(who.tenantId, selector)).toEqual([]);
        expect((await store.listByUser(who.tenantId, who.userId)).map((r) => r.id)).not.toContain(
          families.target.record.id,
        );
      },
    );

    it('by token: any token the family issued (an old one too) revokes it', async () => {
      const who = principal();
      const { token: first } = await start(who, policy({ gracePeriodSeconds: 30 }));
      const second = tokenOf(await rotate(first));
      const third = tokenOf(await rotate(second));
      expect(await store.revoke(who.tenantId, { kind: 'token', token: first })).toHaveLength(1);
      expect(await rotate(third)).toEqual({ ok: false, cause: 'revoked' });
    });

    it.each(['id', 'user', 'application', 'user-application'] as const)(
      'by %s under concurrent rotation chains: every rotation that starts after revoke resolved fails',
      async (kind) => {
        const who = principal();
        const chains = kind === 'id' ? 1 : 8;
        const families = await Promise.all(
          Array.from({ length: chains }, () => start(who, policy({ gracePeriodSeconds: 0 }))),
        );
        let resolved = false;
        let rotations = 0;
        const violations: string[] = [];
        const run = async (token: string, chain: number) => {
          for (let step = 0; ; step++) {
            const startedAfterRevoke = resolved;
            const outcome = await rotate(token, chain + 2, `chain-${chain}-${step}`);
            if (!outcome.ok) {
              expect(outcome.cause).toBe('revoked');
              return;
            }
            if (startedAfterRevoke) violations.push(`chain ${chain} step ${step}`);
            rotations++;
            token = outcome.token;
            await new Promise((resolve) => setImmediate(resolve));
          }
        };
        const running = families.map((family, chain) => run(family.token, chain));
        while (rotations < chains * 3) await new Promise((resolve) => setImmediate(resolve));
        const selector = selectorFor(kind, who, { record: families[0]!.record });
        const revoked = await store.revoke(who.tenantId, selector);
        resolved = true;
        await Promise.all(running);
        expect(violations).toEqual([]);
        expect(revoked).toHaveLength(chains);
      },
    );
  });

  describe('security finding 10 — families that just expired are still known to revocation', () => {
    it('finding 10: names a just-expired family by id or last token, never a live, revoked, unknown or foreign one', async () => {
      const refreshPolicy = policy({ timeToLiveMinutes: 60, gracePeriodSeconds: 0 });
      const ended = await start(principal(), refreshPolicy);
      const revoked = await start(principal(), refreshPolicy);
      const { tenantId } = ended.who;
      const byId = (id: string) => ({ kind: 'id', id }) as const;
      // Live: there is a refresh token to revoke, so nothing is "ended".
      expect(await store.endedSessions(tenantId, byId(ended.record.id))).toEqual([]);
      await store.revoke(revoked.who.tenantId, byId(revoked.record.id));

      clock.set(ended.record.expirationInstant + 1000);
      expect(await store.endedSessions(tenantId, byId(ended.record.id))).toEqual([ended.record.id]);
      expect(await store.endedSessions(tenantId, byId(ended.record.id.toUpperCase()))).toEqual([
        ended.record.id,
      ]);
      expect(await store.endedSessions(tenantId, { kind: 'token', token: ended.token })).toEqual([
        ended.record.id,
      ]);
      expect(await store.endedSessions('another-tenant', byId(ended.record.id))).toEqual([]);
      expect(await store.endedSessions(revoked.who.tenantId, byId(revoked.record.id))).toEqual([]);
      expect(
        await store.endedSessions(tenantId, byId('00000000-0000-4000-8000-000000000000')),
      ).toEqual([]);
      expect(await store.endedSessions(tenantId, byId('not-a-uuid'))).toEqual([]);
      expect(
        await store.endedSessions(tenantId, { kind: 'user', userId: ended.who.userId }),
      ).toEqual([]);
    });
  });

  describe('invariant 3: a token is rejected at exactly its policy-computed expiration instant', () => {
    const expirations: ExpirationPolicy[] = [
      'Fixed',
      'SlidingWindow',
      'SlidingWindowWithMaximumLifetime',
    ];

    it.each(expirations)(
      '%s, OneTimeUse: accepted at exp − 1 ms, refused at exp',
      async (expiration) => {
        const refreshPolicy = policy({
          expiration,
          timeToLiveMinutes: 60,
          maximumTimeToLiveMinutes: 90,
          gracePeriodSeconds: 0,
        });
        const t0 = clock.now();
        const a = await start(principal(), refreshPolicy);
        const b = await start(principal(), refreshPolicy);
        expect(a.record.expirationInstant).toBe(t0 + 60 * MINUTE_MS);

        clock.set(t0 + 60 * MINUTE_MS - 1);
        expect(await store.lookup(b.token)).toBeDefined();
        const used = await rotate(a.token);
        expect(used).toMatchObject({ ok: true, rotated: true });
        const extended = {
          Fixed: t0 + 60 * MINUTE_MS,
          SlidingWindow: t0 + 120 * MINUTE_MS - 1,
          SlidingWindowWithMaximumLifetime: t0 + 90 * MINUTE_MS,
        }[expiration];
        expect(used.ok && used.record.expirationInstant).toBe(extended);

        clock.set(t0 + 60 * MINUTE_MS);
        expect(await rotate(b.token)).toEqual({ ok: false, cause: 'expired' });
        expect(await store.lookup(b.token)).toBeUndefined();
        expect(await store.get(b.record.id)).toBeUndefined();
        expect(await store.listByUser(b.who.tenantId, b.who.userId)).toEqual([]);
        expect(await store.revoke(b.who.tenantId, { kind: 'id', id: b.record.id })).toEqual([]);

        // The rotated family lives to its own new expiry, exactly.
        const successor = tokenOf(used);
        if (expiration === 'Fixed') {
          expect(await rotate(successor)).toEqual({ ok: false, cause: 'expired' });
          return;
        }
        clock.set(extended - 1);
        const next = await rotate(successor);
        expect(next).toMatchObject({ ok: true, rotated: true });
        if (expiration === 'SlidingWindowWithMaximumLifetime') {
          expect(next.ok && next.record.expirationInstant).toBe(extended);
          clock.set(extended);
          expect(await rotate(tokenOf(next))).toEqual({ ok: false, cause: 'expired' });
        } else {
          expect(next.ok && next.record.expirationInstant).toBe(extended - 1 + 60 * MINUTE_MS);
        }
      },
    );

    it.each(['Fixed', 'SlidingWindow'] as const)(
      '%s, Reusable: accepted at exp − 1 ms, refused at exp',
      async (expiration) => {
        const { token, record } = await start(
          principal(),
          policy({ expiration, usage: 'Reusable' }),
        );
        clock.set(record.expirationInstant - 1);
        const used = await rotate(token);
        expect(used).toMatchObject({ ok: true, token, rotated: false });
        const next =
          expiration === 'Fixed' ? record.expirationInstant : clock.now() + 60 * MINUTE_MS;
        expect(used.ok && used.record.expirationInstant).toBe(next);
        clock.set(next - 1);
        expect(await store.lookup(token)).toBeDefined();
        clock.set(next);
        expect(await store.lookup(token)).toBeUndefined();
        expect(await rotate(token)).toEqual({ ok: false, cause: 'expired' });
      },
    );
  });

  describe('reuse and replay', () => {
    it('reuse beyond the grace period revokes the family and reports a theft event naming both presenters', async () => {
      const { who, token, record } = await start(principal(), policy({ gracePeriodSeconds: 10 }));
      const successor = tokenOf(await rotate(token, 2, 'legit'));
      clock.advance(10_000);
      const outcome = await rotate(token, 3, 'thief');
      expect(outcome).toEqual({
        ok: false,
        cause: 'reused',
        theft: {
          familyId: record.id,
          tenantId: who.tenantId,
          userId: who.userId,
          applicationId: who.applicationId,
          previousPresenter: presenter(2),
          presenter: presenter(3),
          detectedAt: clock.now(),
          familyRevoked: true,
          revokedIds: [record.id],
        },
      });
      expect(await rotate(successor)).toEqual({ ok: false, cause: 'revoked' });
      expect(await store.listByUser(who.tenantId, who.userId)).toEqual([]);
    });

    it('reuse with revokeFamilyOnReuse off: reported, refused, and the family lives on', async () => {
      const { token } = await start(principal(), policy({ revokeFamilyOnReuse: false }));
      const successor = tokenOf(await rotate(token, 2));
      expect(await rotate(token, 3)).toMatchObject({
        ok: false,
        cause: 'reused',
        theft: { previousPresenter: presenter(2), presenter: presenter(3), familyRevoked: false },
      });
      expect(await rotate(successor, 2)).toMatchObject({ ok: true, rotated: true });
    });

    it('the grace period is [rotation, rotation + grace): the same successor inside, reuse from its end on', async () => {
      const { token } = await start(principal(), policy({ gracePeriodSeconds: 10 }));
      const first = await rotate(token, 2);
      const successor = tokenOf(first);
      clock.advance(10_000 - 1);
      expect(await store.lookup(token)).toBeDefined();
      const replay = await rotate(token, 3);
      expect(replay).toMatchObject({ ok: true, token: successor, rotated: false });
      expect(replay.ok && replay.record.insertInstant).toBe(first.ok && first.record.insertInstant);
      clock.advance(1);
      expect(await store.lookup(token)).toBeUndefined();
      expect(await rotate(token, 3)).toMatchObject({ ok: false, cause: 'reused' });
    });

    it('a grandparent token is never accepted, even inside the grace period or with its request id', async () => {
      const { token: t0 } = await start(principal(), policy({ gracePeriodSeconds: 60 }));
      const t1 = tokenOf(await rotate(t0, 2, 'r1'));
      const t2 = tokenOf(await rotate(t1, 2, 'r2'));
      expect(await rotate(t0, 2, 'r1')).toMatchObject({
        ok: false,
        cause: 'reused',
        theft: { familyRevoked: true },
      });
      expect(await rotate(t2)).toEqual({ ok: false, cause: 'revoked' });
    });

    it('an ancestor older than those remembered is still never accepted', async () => {
      const { token: first } = await start(principal(), policy({ revokeFamilyOnReuse: false }));
      let token = first;
      for (let i = 0; i < 40; i++) token = tokenOf(await rotate(token, 2, `r${i}`));
      expect((await rotate(first)).ok).toBe(false);
      expect(await rotate(token)).toMatchObject({ ok: true, rotated: true });
    });

    it('request-id idempotency: a resend after a lost reply returns the same successor and rotates once', async () => {
      const { token, record } = await start(principal(), policy({ gracePeriodSeconds: 0 }));
      const sent = await rotate(token, 2, 'request-1');
      const successor = tokenOf(sent);
      clock.advance(DEFAULT_IDEMPOTENCY_WINDOW_MS - 1);
      const resent = await rotate(token, 2, 'request-1');
      expect(resent).toMatchObject({ ok: true, token: successor, rotated: false });
      expect(resent.ok && resent.record.insertInstant).toBe(sent.ok && sent.record.insertInstant);
      expect(record.insertInstant).toBeLessThanOrEqual(clock.now());
      // Exactly one rotation happened: the successor is current and rotates normally.
      const next = tokenOf(await rotate(successor, 2, 'request-2'));
      expect(next).not.toBe(successor);
      // Once the successor is consumed, the old token with the old request id is a reuse.
      expect(await rotate(token, 2, 'request-1')).toMatchObject({ ok: false, cause: 'reused' });
    });

    it('invariant 8: a resent rotation after the idempotency window is a reuse like any other', async () => {
      const { token } = await start(principal(), policy({ gracePeriodSeconds: 0 }));
      const successor = tokenOf(await rotate(token, 2, 'request-1'));
      clock.advance(DEFAULT_IDEMPOTENCY_WINDOW_MS);
      // Whoever holds the consumed token and learnt its request id (ids are logged and
      // echoed) gets nothing once the window is over: the family is revoked.
      expect(await rotate(token, 3, 'request-1')).toMatchObject({ ok: false, cause: 'reused' });
      expect(await rotate(successor, 2)).toMatchObject({ ok: false, cause: 'revoked' });
    });

    it('invariant 8: a resent rotation never revives a revoked family', async () => {
      const { token, record, who } = await start(principal(), policy({ gracePeriodSeconds: 0 }));
      await rotate(token, 2, 'request-1');
      await store.revoke(who.tenantId, { kind: 'id', id: record.id });
      expect(await rotate(token, 3, 'request-1')).toMatchObject({ ok: false, cause: 'revoked' });
    });

    it('a different request id for a consumed token is a reuse (grace 0)', async () => {
      const { token } = await start(
        principal(),
        policy({ gracePeriodSeconds: 0, revokeFamilyOnReuse: false }),
      );
      await rotate(token, 2, 'request-1');
      expect(await rotate(token, 2, 'request-2')).toMatchObject({ ok: false, cause: 'reused' });
      expect(await rotate(token, 2, '')).toMatchObject({ ok: false, cause: 'reused' });
    });
  });

  describe('invariant 8 — a resent Create returns the same session, and nothing else', () => {
    const startWith = (requestId: string, who = principal(), refreshPolicy = policy()) =>
      start(who, refreshPolicy, { requestId });

    it('a resend with the same request id returns the same family and token, once', async () => {
      const first = await startWith('login-1');
      clock.advance(DEFAULT_IDEMPOTENCY_WINDOW_MS - 1);
      const resent = await startWith('login-1', first.who);
      expect(resent.token).toBe(first.token);
      expect(resent.record).toEqual(first.record);
      expect(await store.listByUser(first.who.tenantId, first.who.userId)).toHaveLength(1);
    });

    it('the request id is scoped to tenant, application and user', async () => {
      const first = await startWith('login-1');
      const otherUser = await startWith('login-1', { ...first.who, userId: randomUUID() });
      const otherApplication = await startWith('login-1', {
        ...first.who,
        applicationId: randomUUID(),
      });
      const ids = new Set([first, otherUser, otherApplication].map((s) => s.record.id));
      const tokens = new Set([first, otherUser, otherApplication].map((s) => s.token));
      expect(ids.size).toBe(3);
      expect(tokens.size).toBe(3);
    });

    it('a used, revoked or out-of-window first token is never handed out again', async () => {
      // Used: the resend gets a new family; the first one rotates on undisturbed.
      const used = await startWith('login-1');
      const next = tokenOf(await rotate(used.token, 2));
      const afterUse = await startWith('login-1', used.who);
      expect(afterUse.record.id).not.toBe(used.record.id);
      expect(afterUse.token).not.toBe(used.token);
      expect(await rotate(next, 2)).toMatchObject({ ok: true });
      // The id now names the new family: a further resend gets that one.
      expect((await startWith('login-1', used.who)).token).toBe(afterUse.token);

      // Revoked: the resend gets a new family; the revoked one stays revoked.
      const revoked = await startWith('login-2');
      await store.revoke(revoked.who.tenantId, { kind: 'id', id: revoked.record.id });
      const afterRevoke = await startWith('login-2', revoked.who);
      expect(afterRevoke.record.id).not.toBe(revoked.record.id);
      expect(await rotate(revoked.token, 2)).toMatchObject({ ok: false, cause: 'revoked' });

      // Out of the window: a new family, even though the first is live and unused.
      const old = await startWith('login-3');
      clock.advance(DEFAULT_IDEMPOTENCY_WINDOW_MS);
      const late = await startWith('login-3', old.who);
      expect(late.record.id).not.toBe(old.record.id);
      expect(late.token).not.toBe(old.token);
      // And a resend of the late one within its own window finds the late one.
      expect((await startWith('login-3', old.who)).token).toBe(late.token);
    });

    if (options.redis) {
      it('a request id costs one key that expires with the window and does not contain the id', async () => {
        const requestId = `login-${randomUUID()}`;
        const before = new Set(await redis().keys());
        await startWith(requestId);
        const added = (await redis().keys()).filter(
          (key) => !before.has(key) && key.startsWith('rt:r:'),
        );
        expect(added).toHaveLength(1);
        const [key = ''] = added;
        expect(key).not.toContain(requestId);
        expect(await redis().pttl(key)).toBeGreaterThan(0);
        expect(await redis().pttl(key)).toBeLessThanOrEqual(DEFAULT_IDEMPOTENCY_WINDOW_MS);
      });
    }
  });

  describe('security finding 5 — a fork lives and dies with its source session', () => {
    /** A fork of `source` for another application of the same user. */
    const fork = (
      source: { who: Principal; record: RefreshTokenRecord },
      maximumForks = 10,
      applicationId = randomUUID(),
    ) =>
      start({ ...source.who, applicationId }, source.record.policy, {
        startInstant: source.record.startInstant,
        fork: { sourceId: source.record.id, maximumForks },
      });

    const failureOf = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        if (isTesseraError(error)) return { code: error.code, cause: error.metadata.cause };
        throw error;
      }
      throw new Error('expected a failure');
    };

    it('finding 5: revoking the source revokes its forks (a fork of a fork too) and returns them all', async () => {
      const source = await start();
      const first = await fork(source);
      const second = await fork(first);
      expect(first.record.sourceId).toBe(source.record.id);
      // A fork of a fork is linked to the same root session.
      expect(second.record.sourceId).toBe(source.record.id);
      const revoked = await store.revoke(source.who.tenantId, { kind: 'id', id: source.record.id });
      expect(revoked.map((record) => record.id).sort()).toEqual(
        [source.record.id, first.record.id, second.record.id].sort(),
      );
      expect(await rotate(first.token)).toEqual({ ok: false, cause: 'revoked' });
      expect(await rotate(second.token)).toEqual({ ok: false, cause: 'revoked' });
      expect(await store.get(first.record.id)).toBeUndefined();
    });

    it('finding 5: a revocation by user or application that covers the source reaches forks of other applications', async () => {
      for (const kind of ['user', 'application', 'user-application'] as const) {
        const source = await start();
        const forked = await fork(source);
        const revoked = await store.revoke(
          source.who.tenantId,
          selectorFor(kind, source.who, source),
        );
        expect(revoked.map((record) => record.id)).toContain(forked.record.id);
        expect(await rotate(forked.token)).toEqual({ ok: false, cause: 'revoked' });
      }
    });

    it('finding 5: revoking a fork leaves its source and the other forks alive', async () => {
      const source = await start();
      const first = await fork(source);
      const second = await fork(source);
      const revoked = await store.revoke(source.who.tenantId, { kind: 'id', id: first.record.id });
      expect(revoked.map((record) => record.id)).toEqual([first.record.id]);
      expect(await rotate(source.token)).toMatchObject({ ok: true });
      expect(await rotate(second.token)).toMatchObject({ ok: true });
    });

    it('finding 5: reuse of the source’s consumed token (theft) revokes its forks and names them', async () => {
      const source = await start();
      const forked = await fork(source);
      tokenOf(await rotate(source.token, 2));
      const theft = await rotate(source.token, 3);
      expect(theft).toMatchObject({ ok: false, cause: 'reused', theft: { familyRevoked: true } });
      expect(!theft.ok && theft.theft?.revokedIds).toEqual([source.record.id, forked.record.id]);
      expect(await rotate(forked.token)).toEqual({ ok: false, cause: 'revoked' });
    });

    it('finding 5: a revoked, expired, unknown or other user’s source cannot be forked', async () => {
      const revoked = await start();
      await store.revoke(revoked.who.tenantId, { kind: 'id', id: revoked.record.id });
      expect(await failureOf(fork(revoked))).toEqual({
        code: 'REFRESH_TOKEN_INVALID',
        cause: 'revoked',
      });
      const other = await start();
      expect(
        await failureOf(
          start(principal(), other.record.policy, {
            fork: { sourceId: other.record.id, maximumForks: 10 },
          }),
        ),
      ).toEqual({ code: 'REFRESH_TOKEN_INVALID', cause: 'unknown' });
      expect(
        await failureOf(
          start(principal(), policy(), { fork: { sourceId: randomUUID(), maximumForks: 10 } }),
        ),
      ).toEqual({ code: 'REFRESH_TOKEN_INVALID', cause: 'unknown' });
      const expiring = await start(principal(), policy({ expiration: 'Fixed' }));
      clock.advance(60 * MINUTE_MS);
      expect(
        await failureOf(
          start({ ...expiring.who, applicationId: randomUUID() }, policy(), {
            fork: { sourceId: expiring.record.id, maximumForks: 10 },
          }),
        ),
      ).toEqual({
        code: 'REFRESH_TOKEN_INVALID',
        cause: 'expired',
      });
    });

    it('finding 5: a session has at most maximumForks live forks; a revoked fork frees its place', async () => {
      const source = await start();
      const forks = [];
      for (let i = 0; i < 10; i++) forks.push(await fork(source, 10));
      expect(await failureOf(fork(source, 10))).toEqual({
        code: 'SESSION_FORK_LIMIT',
        cause: undefined,
      });
      // Forks of forks count against the same session.
      expect(await failureOf(fork(forks[0]!, 10))).toMatchObject({ code: 'SESSION_FORK_LIMIT' });
      await store.revoke(source.who.tenantId, { kind: 'id', id: forks[3]!.record.id });
      expect((await fork(source, 10)).record.sourceId).toBe(source.record.id);
      expect(await failureOf(fork(source, 0))).toMatchObject({ code: 'SESSION_FORK_LIMIT' });
    });

    it(`finding 5: forks created concurrently with the source's revocation never outlive it (×${rounds})`, async () => {
      for (let round = 0; round < rounds; round++) {
        const source = await start();
        const attempts = Array.from({ length: 5 }, () =>
          fork(source).then(
            (created) => created,
            () => undefined,
          ),
        );
        await store.revoke(source.who.tenantId, { kind: 'id', id: source.record.id });
        for (const created of await Promise.all(attempts)) {
          if (created === undefined) continue;
          expect(await rotate(created.token)).toEqual({ ok: false, cause: 'revoked' });
        }
      }
    });
  });

  if (options.redis)
    describe('Redis keys', () => {
      it('invariant 3: every key of a family and its indexes carries a TTL equal to its remaining life (+ retention)', async () => {
        const retention = DEFAULT_EXPIRED_RETENTION_MS;
        const t0 = clock.now();
        const { who, token, record } = await start(
          principal(),
          policy({ expiration: 'SlidingWindowWithMaximumLifetime', maximumTimeToLiveMinutes: 90 }),
        );
        const famKey = `rt:{${record.id}}`;
        const indexes = [
          `rt:u:{${who.tenantId}:${who.userId}}`,
          `rt:a:{${who.tenantId}:${who.applicationId}}`,
        ];
        const ttl = 60 * MINUTE_MS + retention;
        expect(await redis().pttl(famKey)).toBeGreaterThan(ttl - 5000);
        expect(await redis().pttl(famKey)).toBeLessThanOrEqual(ttl);
        for (const key of indexes) {
          expect(await redis().pttl(key)).toBeGreaterThan(90 * MINUTE_MS + retention - 5000);
        }
        clock.set(t0 + 45 * MINUTE_MS);
        const next = tokenOf(await rotate(token));
        tokenOf(await rotate(next));
        // Slid to min(now + 60, start + 90) = start + 90: 45 minutes left, for every family key.
        for (const key of [famKey, `${famKey}:anc`]) {
          expect(await redis().pttl(key)).toBeGreaterThan(45 * MINUTE_MS + retention - 5000);
          expect(await redis().pttl(key)).toBeLessThanOrEqual(45 * MINUTE_MS + retention);
        }
      });

      it('invariant 3: dead sessions leave Redis on their own (TTL), indexes included', async () => {
        // A store whose keys go at the expiration instant, so the test need not wait a minute.
        const exact = await options.open({ expiredRetentionMs: 0 });
        try {
          const who = principal();
          const { record } = await exact.store.create(
            createInput(who, policy({ expiration: 'Fixed', timeToLiveMinutes: 1 }), {
              startInstant: exact.clock.now() - MINUTE_MS + 300,
            }),
          );
          const keys = [
            `rt:{${record.id}}`,
            `rt:u:{${who.tenantId}:${who.userId}}`,
            `rt:a:{${who.tenantId}:${who.applicationId}}`,
          ];
          for (const key of keys) expect(await redis().pttl(key)).toBeGreaterThan(0);
          await vi.waitFor(
            async () => {
              for (const key of keys) expect(await redis().pttl(key)).toBe(-2);
            },
            { timeout: 5000, interval: 50 },
          );
        } finally {
          await exact.close();
        }
      });

      it('a sliding session extends its indexes before they could expire under it', async () => {
        const { who, token, record } = await start(
          principal(),
          policy({ expiration: 'SlidingWindow', timeToLiveMinutes: 60 }),
        );
        const indexes = [
          `rt:u:{${who.tenantId}:${who.userId}}`,
          `rt:a:{${who.tenantId}:${who.applicationId}}`,
        ];
        // Shorten the indexes' real TTL: only an extension by the store can lift it again.
        for (const key of indexes) await redis().pexpire(key, MINUTE_MS);
        let current = token;
        for (let i = 0; i < 6; i++) {
          clock.advance(59 * MINUTE_MS);
          current = tokenOf(await rotate(current));
        }
        for (const key of indexes) expect(await redis().pttl(key)).toBeGreaterThan(60 * MINUTE_MS);
        const family = pairs(await redis().contents(`rt:{${record.id}}`));
        expect(Number(family.ixp)).toBeGreaterThanOrEqual(Number(family.exp));
        expect(await store.revoke(who.tenantId, { kind: 'user', userId: who.userId })).toHaveLength(
          1,
        );
      });
    });

  // Only Redis has keys to scan: for other stores the whole block is left out, not skipped.
  if (options.redis)
    describe('after everything above', () => {
      if (options.redis)
        it('invariant 3: every key SCAN finds has a TTL, and no live family outlives its indexes', async () => {
          // Fresh families of every policy (the clock has moved past the older ones).
          for (const expiration of [
            'Fixed',
            'SlidingWindow',
            'SlidingWindowWithMaximumLifetime',
          ] as const) {
            for (const usage of ['OneTimeUse', 'Reusable'] as const) {
              const refreshPolicy = policy({ expiration, usage, maximumTimeToLiveMinutes: 90 });
              const { token } = await start(principal(), refreshPolicy);
              await start(principal(), refreshPolicy);
              clock.advance(MINUTE_MS);
              tokenOf(await rotate(token));
            }
          }
          const keys = await redis().keys();
          expect(keys.length).toBeGreaterThan(100);
          for (const key of keys) {
            expect(await redis().pttl(key), key).toBeGreaterThan(0);
          }
          let live = 0;
          for (const key of keys) {
            const id = /^rt:\{([0-9a-f-]{36})\}$/.exec(key)?.[1];
            if (id === undefined) continue;
            const family = pairs(await redis().contents(key));
            if (family.rev !== '0' || Number(family.exp) <= clock.now()) continue;
            live++;
            const familyTtl = await redis().pttl(key);
            for (const index of [
              `rt:u:{${family.tid}:${family.uid}}`,
              `rt:a:{${family.tid}:${family.aid}}`,
            ]) {
              expect(await redis().contents(index), index).toContain(id);
              expect(await redis().pttl(index)).toBeGreaterThan(familyTtl - 10_000);
            }
          }
          expect(live).toBeGreaterThanOrEqual(12);
        });

      if (options.redis)
        it('invariant 6: a SCAN + DUMP of every key holds no token value, nor its secret part', async () => {
          expect(issued.size).toBeGreaterThan(100);
          const keys = await redis().keys();
          const blobs: Buffer[] = [];
          for (const key of keys) {
            const dump = await redis().dump(key);
            if (dump) blobs.push(dump);
            blobs.push(Buffer.from((await redis().contents(key)).join('\u0000'), 'utf8'));
            blobs.push(Buffer.from(key, 'utf8'));
          }
          const haystack = Buffer.concat(blobs);
          for (const token of issued) {
            const secret = Buffer.from(token, 'base64url').subarray(16);
            for (const needle of [
              Buffer.from(token, 'utf8'),
              Buffer.from(secret.toString('base64url'), 'utf8'),
              Buffer.from(secret.toString('hex'), 'utf8'),
              secret,
            ]) {
              expect(haystack.includes(needle)).toBe(false);
            }
          }
        });
    });
}

/** A store that remembers every token value it hands out. */
function recording(store: RefreshTokenStore, issued: Set<string>): RefreshTokenStore {
  return {
    async create(input) {
      const created = await store.create(input);
      issued.add(created.token);
      return created;
    },
    async rotate(input: RotateInput) {
      const outcome = await store.rotate(input);
      if (outcome.ok) issued.add(outcome.token);
      return outcome;
    },
    get: (id, tenantId) => store.get(id, tenantId),
    listByUser: (tenantId, userId, applicationId) =>
      store.listByUser(tenantId, userId, applicationId),
    revoke: (tenantId, selector) => store.revoke(tenantId, selector),
    endedSessions: (tenantId, selector) => store.endedSessions(tenantId, selector),
    lookup: (token, tenantId) => store.lookup(token, tenantId),
  };
}

function selectorFor(
  kind: RevokeSelector['kind'],
  who: Principal,
  target: { record: RefreshTokenRecord; current?: string },
): RevokeSelector {
  switch (kind) {
    case 'id':
      return { kind, id: target.record.id };
    case 'token':
      if (target.current === undefined) throw new Error('no token');
      return { kind, token: target.current };
    case 'user':
      return { kind, userId: who.userId };
    case 'application':
      return { kind, applicationId: who.applicationId };
    case 'user-application':
      return { kind, userId: who.userId, applicationId: who.applicationId };
  }
}

/** The token's family id with a different secret. */
function forge(token: string): string {
  const bytes = Buffer.from(token, 'base64url');
  randomBytes(32).copy(bytes, 16);
  return bytes.toString('base64url');
}

function pairs(flat: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[flat[i]!] = flat[i + 1]!;
  return object;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
