import type { ManualClock } from '@tessera/clock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Revocation, RevocationLog } from '../../src/store/revocation-log.js';

/**
 * The contract of `RevocationLog` (revocation-log.ts), as one suite every implementation
 * runs: the memory log, Redis standalone and a real Redis Cluster. Each test opens a fresh,
 * empty log, so sequence numbers start at 1 in every test.
 */

/** A log under test with its clock. */
export interface RevocationLogHarness {
  readonly log: RevocationLog;
  readonly clock: ManualClock;
  /**
   * How many blocking reads the store is serving now (Redis `blocked_clients`), so a test
   * can append only once a wait is really blocked; absent where a wait registers at once.
   */
  readonly blockedReads?: () => Promise<number>;
  close(): Promise<void>;
}

/** Options of the conformance suite. */
export interface RevocationLogConformanceOptions {
  /** Opens a fresh, empty log keeping at least `capacity` entries for readers that resume. */
  readonly open: (settings: { capacity?: number }) => Promise<RevocationLogHarness>;
}

/** A wait no test may reach: a wait that does not wake fails by the test timeout instead. */
const NEVER_MS = 60_000;

/** A revocation of session `n`, live for an hour from `now`. */
export function revocation(
  n: number,
  now: number,
  overrides: Partial<Revocation> = {},
): Revocation {
  return {
    tenantId: 'tenant-1',
    sessionId: `session-${n}`,
    userId: `user-${n % 7}`,
    applicationId: n % 2 === 0 ? 'app-even' : '',
    notBefore: now,
    expiresAt: now + 3_600_000,
    ...overrides,
  };
}

/** Runs the conformance suite against the logs `open` returns. */
export function revocationLogConformance(options: RevocationLogConformanceOptions): void {
  const opened: RevocationLogHarness[] = [];
  const open = async (settings: { capacity?: number } = {}) => {
    const harness = await options.open(settings);
    opened.push(harness);
    return harness;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((harness) => harness.close()));
  });

  /** Resolves once `count` blocking reads are in progress (at once where none are tracked). */
  const untilBlocked = async (harness: RevocationLogHarness, count: number) => {
    const { blockedReads } = harness;
    if (blockedReads === undefined) return;
    await vi.waitFor(async () => expect(await blockedReads()).toBe(count), { timeout: 10_000 });
  };

  describe('append and read', () => {
    it('starts empty: sequence 0, an empty snapshot, nothing to read', async () => {
      const { log } = await open();
      expect(await log.latestSequence()).toBe(0n);
      expect(await log.snapshot()).toEqual({
        epoch: expect.any(String),
        sequence: 0n,
        revocations: [],
      });
      expect(await log.readAfter(0n, 10)).toEqual([]);
    });

    it('numbers appends 1, 2, 3 and reads them back in order, field for field', async () => {
      const { log, clock } = await open();
      const entries = [
        revocation(1, clock.now()),
        revocation(2, clock.now(), { sessionId: '', userId: 'user-x', applicationId: 'app-y' }),
        revocation(3, clock.now(), { tenantId: 'tenant-2', notBefore: clock.now() - 5 }),
      ];
      const sequences: bigint[] = [];
      for (const entry of entries) sequences.push(await log.append(entry));
      expect(sequences).toEqual([1n, 2n, 3n]);
      expect(await log.latestSequence()).toBe(3n);
      expect(await log.readAfter(0n, 10)).toEqual(
        entries.map((entry, i) => ({ sequence: BigInt(i + 1), revocation: entry })),
      );
    });

    it('reads the right slice: after a sequence, at most `limit`, nothing past the end', async () => {
      const { log, clock } = await open();
      for (let n = 1; n <= 10; n++) await log.append(revocation(n, clock.now()));
      const slice = await log.readAfter(3n, 4);
      expect(slice?.map((entry) => entry.sequence)).toEqual([4n, 5n, 6n, 7n]);
      expect(slice?.map((entry) => entry.revocation.sessionId)).toEqual([
        'session-4',
        'session-5',
        'session-6',
        'session-7',
      ]);
      expect((await log.readAfter(8n, 100))?.map((entry) => entry.sequence)).toEqual([9n, 10n]);
      expect(await log.readAfter(10n, 100)).toEqual([]);
      // A cursor past the end means the log lost entries its reader saw (security finding 3):
      // the reader must take a snapshot, not wait for sequence numbers that now mean others.
      expect(await log.readAfter(25n, 100)).toBeUndefined();
    });

    it('gives 200 concurrent appends the sequences 1..200, each exactly once, gap-free', async () => {
      const { log, clock } = await open();
      const sequences = await Promise.all(
        Array.from({ length: 200 }, (_, n) => log.append(revocation(n, clock.now()))),
      );
      const sorted = [...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(sorted).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
      expect(await log.latestSequence()).toBe(200n);
      // Each sequence names the revocation whose append returned it.
      const read = await log.readAfter(0n, 1000);
      expect(read).toHaveLength(200);
      for (const [n, sequence] of sequences.entries()) {
        expect(read?.[Number(sequence) - 1]).toEqual({
          sequence,
          revocation: revocation(n, clock.now()),
        });
      }
    });
  });

  describe('snapshots', () => {
    it('leaves out entries past their expiry by the injected clock, keeps the sequence', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      await log.append(revocation(1, now, { expiresAt: now + 1000 }));
      await log.append(revocation(2, now, { expiresAt: now + 5000 }));
      await log.append(revocation(3, now, { expiresAt: now + 1000 }));
      await log.append(revocation(4, now, { expiresAt: now + 3000 }));
      const all = await log.snapshot();
      expect(all.sequence).toBe(4n);
      expect(all.revocations.map((entry) => entry.sessionId)).toEqual([
        'session-1',
        'session-2',
        'session-3',
        'session-4',
      ]);

      // At the exact instant of expiry the entry is gone: every token it covered has expired.
      clock.advance(1000);
      const later = await log.snapshot();
      expect(later.sequence).toBe(4n);
      expect(later.revocations).toEqual([
        revocation(2, now, { expiresAt: now + 5000 }),
        revocation(4, now, { expiresAt: now + 3000 }),
      ]);

      clock.advance(4000);
      expect(await log.snapshot()).toEqual({
        epoch: expect.any(String),
        sequence: 4n,
        revocations: [],
      });
      // The log itself still holds them for readers that resume.
      expect(await log.readAfter(0n, 10)).toHaveLength(4);
    });

    it('keeps identical revocations appended twice as two entries', async () => {
      const { log, clock } = await open();
      const same = revocation(1, clock.now());
      await log.append(same);
      await log.append(same);
      expect(await log.snapshot()).toEqual({
        epoch: expect.any(String),
        sequence: 2n,
        revocations: [same, same],
      });
    });

    it('an entry appended already expired never shows in a snapshot, yet takes its sequence', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      expect(await log.append(revocation(1, now, { expiresAt: now - 1 }))).toBe(1n);
      expect(await log.snapshot()).toEqual({
        epoch: expect.any(String),
        sequence: 1n,
        revocations: [],
      });
      expect(await log.readAfter(0n, 10)).toHaveLength(1);
    });

    it('is consistent with its sequence while appends run: exactly the entries up to it', async () => {
      const { log, clock } = await open();
      const sessionOf = new Map<bigint, string>();
      const appends = Array.from({ length: 150 }, async (_, n) => {
        const entry = revocation(n, clock.now());
        sessionOf.set(await log.append(entry), entry.sessionId);
      });
      const snapshots = Array.from({ length: 30 }, () => log.snapshot());
      await Promise.all(appends);
      for (const snapshot of await Promise.all(snapshots)) {
        const expected: string[] = [];
        for (let s = 1n; s <= snapshot.sequence; s++) expected.push(sessionOf.get(s) ?? '?');
        expect(snapshot.revocations.map((entry) => entry.sessionId).sort()).toEqual(
          expected.sort(),
        );
      }
    });
  });

  describe('security finding 3 — epochs: a reader learns the log lost what it saw', () => {
    it('finding 3: keeps one epoch across appends, reads and snapshots', async () => {
      const { log, clock } = await open();
      const first = await log.position();
      expect(first).toEqual({ epoch: expect.any(String), sequence: 0n });
      expect(first.epoch).not.toBe('');
      await log.append(revocation(1, clock.now()));
      expect(await log.position()).toEqual({ epoch: first.epoch, sequence: 1n });
      expect((await log.snapshot()).epoch).toBe(first.epoch);
      expect(await log.readAfter(0n, 10, first.epoch)).toHaveLength(1);
      expect(await log.readAfter(1n, 10, first.epoch)).toEqual([]);
    });

    it('finding 3: answers undefined to a reader of another epoch or ahead of the log', async () => {
      const { log, clock } = await open();
      for (let n = 1; n <= 3; n++) await log.append(revocation(n, clock.now()));
      const never = new AbortController().signal;
      expect(await log.readAfter(1n, 10, 'another-epoch')).toBeUndefined();
      expect(await log.readAfter(3n, 10, 'another-epoch')).toBeUndefined();
      expect(await log.readAfter(7n, 10)).toBeUndefined();
      expect(await log.waitAfter(1n, 20, never, 'another-epoch')).toBeUndefined();
      expect(await log.waitAfter(3n, 20, never, 'another-epoch')).toBeUndefined();
      expect(await log.waitAfter(7n, 20, never)).toBeUndefined();
    });
  });

  describe('security finding 2 — a tenant’s live entries are capped', () => {
    it('finding 2: refuses an append past the limit with REVOCATION_LIMIT_REACHED, writing nothing', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const limits = { maxLivePerTenant: 3 };
      for (let n = 1; n <= 3; n++) {
        await log.append(revocation(n, now, { expiresAt: now + 1000 * n }), limits);
      }
      await expect(log.append(revocation(4, now), limits)).rejects.toMatchObject({
        code: 'REVOCATION_LIMIT_REACHED',
      });
      expect(await log.latestSequence()).toBe(3n);
      // Another tenant has a limit of its own.
      expect(await log.append(revocation(5, now, { tenantId: 'tenant-2' }), limits)).toBe(4n);
      // An entry past its expiry no longer counts.
      clock.advance(1000);
      expect(await log.append(revocation(6, now), limits)).toBe(5n);
    });
  });

  describe('security finding 2 — one user’s live entries are bounded', () => {
    /** Session `n` of `userId`, as an owner revoke publishes it. */
    const sessionOf = (userId: string, n: number, now: number, tenantId = 'tenant-1') =>
      revocation(n, now, {
        tenantId,
        sessionId: `${userId}-session-${n}`,
        userId: '',
        applicationId: '',
        notBefore: now + 3_600_000,
      });
    /** The revocation of every token of `userId` at `now`. */
    const wideOf = (userId: string, now: number, tenantId = 'tenant-1'): Revocation => ({
      tenantId,
      sessionId: '',
      userId,
      applicationId: '',
      notBefore: now + 5000,
      expiresAt: now + 5000 + 3_600_000,
    });
    const bounded = (userId: string, now: number, maxLive: number, tenantId = 'tenant-1') => ({
      maxLivePerTenant: 1000,
      perUser: { userId, maxLive, userWide: wideOf(userId, now, tenantId) },
    });
    const liveOf = async (log: RevocationLog, predicate: (entry: Revocation) => boolean) =>
      (await log.snapshot()).revocations.filter(predicate);

    it('finding 2: at the bound an append writes the user-wide revocation, which replaces the previous one', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const sessions = [1, 2, 3].map((n) => sessionOf('user-x', n, now));
      for (const entry of sessions) {
        expect(await log.appendBounded(entry, bounded('user-x', now, 3))).toEqual({
          sequence: expect.any(BigInt),
          revocation: entry,
        });
      }
      const first = await log.appendBounded(sessionOf('user-x', 4, now), bounded('user-x', now, 3));
      expect(first.revocation).toEqual(wideOf('user-x', now));
      clock.advance(1000);
      const later = clock.now();
      const second = await log.appendBounded(
        sessionOf('user-x', 5, later),
        bounded('user-x', later, 3),
      );
      expect(second).toEqual({ sequence: 5n, revocation: wideOf('user-x', later) });
      // The three session entries and the latest user-wide one: bound + 1.
      expect(await liveOf(log, (entry) => entry.tenantId === 'tenant-1')).toEqual([
        ...sessions,
        wideOf('user-x', later),
      ]);
      // Another user, the same user in another tenant, and ids that would collide if joined
      // with a colon are counted apart.
      const other = sessionOf('user-y', 6, later);
      expect((await log.appendBounded(other, bounded('user-y', later, 3))).revocation).toEqual(
        other,
      );
      const elsewhere = sessionOf('user-x', 7, later, 'tenant-2');
      expect(
        (await log.appendBounded(elsewhere, bounded('user-x', later, 3, 'tenant-2'))).revocation,
      ).toEqual(elsewhere);
      for (let n = 8; n <= 10; n++) {
        await log.appendBounded(sessionOf('b:c', n, later, 'a'), bounded('b:c', later, 3, 'a'));
      }
      const colon = sessionOf('c', 11, later, 'a:b');
      expect((await log.appendBounded(colon, bounded('c', later, 3, 'a:b'))).revocation).toEqual(
        colon,
      );
      // Entries appended without a bound count for no user.
      await log.append(sessionOf('user-z', 12, later));
      const z = sessionOf('user-z', 13, later);
      expect((await log.appendBounded(z, bounded('user-z', later, 1))).revocation).toEqual(z);
    });

    it('finding 2: a user-wide entry that replaces one is never refused by the tenant limit', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const limits = (userId: string) => ({ ...bounded(userId, now, 2), maxLivePerTenant: 3 });
      for (let n = 1; n <= 3; n++)
        await log.appendBounded(sessionOf('user-x', n, now), limits('user-x'));
      // The tenant is full: another user's entry is refused.
      await expect(
        log.appendBounded(sessionOf('user-y', 4, now), limits('user-y')),
      ).rejects.toMatchObject({ code: 'REVOCATION_LIMIT_REACHED' });
      // The user at their bound replaces their user-wide entry: nothing grows.
      clock.advance(1000);
      const later = clock.now();
      const outcome = await log.appendBounded(sessionOf('user-x', 5, later), {
        ...bounded('user-x', later, 2),
        maxLivePerTenant: 3,
      });
      expect(outcome).toEqual({ sequence: 4n, revocation: wideOf('user-x', later) });
      expect((await log.snapshot()).revocations).toHaveLength(3);
    });

    it('finding 2: entries past their expiry no longer count against the user', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const short = (n: number) => ({ ...sessionOf('user-x', n, now), expiresAt: now + 1000 });
      for (let n = 1; n <= 2; n++) await log.appendBounded(short(n), bounded('user-x', now, 2));
      clock.advance(1000);
      const later = clock.now();
      const entry = sessionOf('user-x', 3, later);
      expect((await log.appendBounded(entry, bounded('user-x', later, 2))).revocation).toEqual(
        entry,
      );
    });

    it('finding 2: concurrent appends of one user leave at most bound + 1 of their entries live', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, n) =>
          log.appendBounded(sessionOf('user-x', n, now), bounded('user-x', now, 5)),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.revocation.sessionId !== '')).toHaveLength(5);
      const live = await liveOf(log, () => true);
      expect(live).toHaveLength(6);
      expect(live.filter((entry) => entry.sessionId === '')).toEqual([wideOf('user-x', now)]);
    });

    it('finding 2: refuses a bound whose replacement is not a user-wide revocation of its user', async () => {
      const { log, clock } = await open();
      const now = clock.now();
      const entry = sessionOf('user-x', 1, now);
      for (const userWide of [
        { ...wideOf('user-x', now), userId: 'user-y' },
        { ...wideOf('user-x', now), tenantId: 'tenant-2' },
        { ...wideOf('user-x', now), sessionId: 'session-1' },
      ]) {
        await expect(
          log.appendBounded(entry, {
            maxLivePerTenant: 10,
            perUser: { userId: 'user-x', maxLive: 1, userWide },
          }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect(await log.latestSequence()).toBe(0n);
    });
  });

  describe('trimming', () => {
    it('answers undefined once `after + 1` is trimmed away; later entries stay readable', async () => {
      const { log, clock } = await open({ capacity: 10 });
      for (let n = 1; n <= 250; n++) await log.append(revocation(n, clock.now()));
      expect(await log.latestSequence()).toBe(250n);
      expect(await log.readAfter(0n, 10)).toBeUndefined();
      expect(await log.readAfter(1n, 10)).toBeUndefined();
      const tail = await log.readAfter(240n, 100);
      expect(tail?.map((entry) => entry.sequence)).toEqual(
        Array.from({ length: 10 }, (_, i) => BigInt(241 + i)),
      );
      expect(await log.readAfter(250n, 10)).toEqual([]);
      expect(await log.waitAfter(0n, 10, new AbortController().signal)).toBeUndefined();
      // Trimming bounds the log, not the live entries: a snapshot still has them all.
      const snapshot = await log.snapshot();
      expect(snapshot.sequence).toBe(250n);
      expect(snapshot.revocations).toHaveLength(250);
    });
  });

  describe('waiting', () => {
    it('returns what is already there at once', async () => {
      const { log, clock } = await open();
      for (let n = 1; n <= 3; n++) await log.append(revocation(n, clock.now()));
      const entries = await log.waitAfter(1n, NEVER_MS, new AbortController().signal);
      expect(entries?.map((entry) => entry.sequence)).toEqual([2n, 3n]);
    });

    it('wakes on a concurrent append with exactly that entry', async () => {
      const harness = await open();
      const { log, clock } = harness;
      await log.append(revocation(1, clock.now()));
      const waiting = log.waitAfter(1n, NEVER_MS, new AbortController().signal);
      await untilBlocked(harness, 1);
      const entry = revocation(2, clock.now());
      expect(await log.append(entry)).toBe(2n);
      expect(await waiting).toEqual([{ sequence: 2n, revocation: entry }]);
    });

    it('wakes every concurrent waiter', async () => {
      const harness = await open();
      const { log, clock } = harness;
      const waits = [0n, 0n, 0n].map((after) =>
        log.waitAfter(after, NEVER_MS, new AbortController().signal),
      );
      await untilBlocked(harness, 3);
      await log.append(revocation(1, clock.now()));
      for (const entries of await Promise.all(waits)) {
        expect(entries?.map((entry) => entry.sequence)).toEqual([1n]);
      }
    });

    it('returns [] after blockMs when nothing arrives', async () => {
      const { log, clock } = await open();
      expect(await log.waitAfter(0n, 20, new AbortController().signal)).toEqual([]);
      await log.append(revocation(1, clock.now()));
      expect(await log.waitAfter(1n, 20, new AbortController().signal)).toEqual([]);
    });

    it('stops when its signal aborts, and the next wait works', async () => {
      const harness = await open();
      const { log, clock } = harness;
      const controller = new AbortController();
      const waiting = log.waitAfter(0n, NEVER_MS, controller.signal);
      await untilBlocked(harness, 1);
      controller.abort();
      expect(await waiting).toEqual([]);
      await untilBlocked(harness, 0);

      const next = log.waitAfter(0n, NEVER_MS, new AbortController().signal);
      await untilBlocked(harness, 1);
      await log.append(revocation(1, clock.now()));
      expect((await next)?.map((entry) => entry.sequence)).toEqual([1n]);
    });
  });
}
