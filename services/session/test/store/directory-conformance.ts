import { randomUUID } from 'node:crypto';
import type { ManualClock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directory, Registration, User } from '../../src/store/directory.js';

/**
 * The contract of `Directory` (directory.ts), as one suite every implementation runs: the
 * memory directory, Redis standalone and a real Redis Cluster. Tests share one directory
 * and one manual clock and keep apart by using fresh tenant ids.
 */

/** A directory under test with its clock. */
export interface DirectoryHarness {
  readonly directory: Directory;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

/** Options of the conformance suite. */
export interface DirectoryConformanceOptions {
  /** Opens the directory (once per suite). */
  readonly open: () => Promise<DirectoryHarness>;
}

/** What `upsertUser` takes. */
export type UserInput = Parameters<Directory['upsertUser']>[0];
/** What `upsertRegistration` takes. */
export type RegistrationInput = Parameters<Directory['upsertRegistration']>[1];

/** A user of `tenantId` with recognisable fields; override freely. */
export function userInput(tenantId: string, overrides: Partial<UserInput> = {}): UserInput {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    tenantId,
    email: `${id}@example.com`,
    username: `user-${id}`,
    verified: true,
    active: true,
    firstName: 'Ada',
    lastName: 'Lovelace',
    fullName: 'Ada Lovelace',
    data: { team: 'engines', nested: { level: 2, tags: ['a', 'b'] }, none: null },
    lastLoginInstant: 0,
    ...overrides,
  };
}

/** A registration of `userId` to `applicationId`; override freely. */
export function registrationInput(
  userId: string,
  applicationId: string,
  overrides: Partial<RegistrationInput> = {},
): RegistrationInput {
  return {
    userId,
    applicationId,
    roles: ['viewer'],
    username: '',
    data: { source: 'test' },
    lastLoginInstant: 0,
    ...overrides,
  };
}

/** The rejection of `call`, or undefined when it resolved. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function sortLinks<T extends { identityProviderId: string }>(links: readonly T[]): T[] {
  return [...links].sort((a, b) => a.identityProviderId.localeCompare(b.identityProviderId));
}

function byApplication(registrations: readonly Registration[]): Registration[] {
  return [...registrations].sort((a, b) => a.applicationId.localeCompare(b.applicationId));
}

/** Runs the conformance suite against the directory `open` returns. */
export function directoryConformance(options: DirectoryConformanceOptions): void {
  let harness: DirectoryHarness;
  let directory: Directory;
  let clock: ManualClock;

  beforeAll(async () => {
    harness = await options.open();
    directory = harness.directory;
    clock = harness.clock;
  });
  afterAll(async () => {
    await harness?.close();
  });

  /** Expects `call` to fail ALREADY_EXISTS naming `field`. */
  const expectAlreadyExists = async (call: Promise<unknown>, field: string) => {
    const error = await rejection(call);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ code: 'ALREADY_EXISTS', field });
  };

  describe('users', () => {
    it('creates a user, found by id, by email in any case and by username', async () => {
      const tenantId = randomUUID();
      const now = clock.now();
      const input = userInput(tenantId, { email: 'Ada.Lovelace@Example.COM', username: 'ada' });
      const user = await directory.upsertUser(input);
      const expected: User = {
        ...input,
        email: 'ada.lovelace@example.com',
        insertInstant: now,
        lastUpdateInstant: now,
        registrations: [],
        identityLinks: [],
      };
      expect(user).toEqual(expected);
      expect(await directory.getUser(tenantId, { kind: 'id', id: input.id })).toEqual(expected);
      for (const email of ['ada.lovelace@example.com', 'ADA.LOVELACE@EXAMPLE.COM']) {
        expect(await directory.getUser(tenantId, { kind: 'email', email })).toEqual(expected);
      }
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'ada' })).toEqual(
        expected,
      );
    });

    it('finds nobody for unknown ids, emails, usernames, and for empty ones', async () => {
      const tenantId = randomUUID();
      await directory.upsertUser(userInput(tenantId, { email: '', username: '' }));
      expect(await directory.getUser(tenantId, { kind: 'id', id: randomUUID() })).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'nobody@example.com' }),
      ).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'username', username: 'nobody' }),
      ).toBeUndefined();
      expect(await directory.getUser(tenantId, { kind: 'email', email: '' })).toBeUndefined();
      expect(await directory.getUser(tenantId, { kind: 'username', username: '' })).toBeUndefined();
    });

    it('uses a given insert instant for a new user; a replace keeps it and sets lastUpdateInstant', async () => {
      const tenantId = randomUUID();
      const first = clock.now();
      const given = first - 86_400_000;
      const input = userInput(tenantId, { insertInstant: given });
      expect(await directory.upsertUser(input)).toMatchObject({
        insertInstant: given,
        lastUpdateInstant: first,
      });

      clock.advance(5000);
      const replaced = await directory.upsertUser({
        ...input,
        insertInstant: first + 1,
        firstName: 'Augusta',
        fullName: 'Augusta Ada King',
        verified: false,
        active: false,
        data: { replaced: true },
        lastLoginInstant: first + 10,
      });
      const expected: User = {
        ...input,
        email: input.email.toLowerCase(),
        firstName: 'Augusta',
        fullName: 'Augusta Ada King',
        verified: false,
        active: false,
        data: { replaced: true },
        lastLoginInstant: first + 10,
        insertInstant: given,
        lastUpdateInstant: first + 5000,
        registrations: [],
        identityLinks: [],
      };
      expect(replaced).toEqual(expected);
      expect(await directory.getUser(tenantId, { kind: 'id', id: input.id })).toEqual(expected);
    });

    it('replacing a user with its own email and username is no conflict', async () => {
      const tenantId = randomUUID();
      const input = userInput(tenantId, { email: 'same@example.com', username: 'same' });
      await directory.upsertUser(input);
      await directory.upsertUser({ ...input, email: 'SAME@example.com', lastName: 'Byron' });
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'same@example.com' }),
      ).toMatchObject({ id: input.id, lastName: 'Byron' });
    });
  });

  describe('uniqueness within a tenant', () => {
    it('rejects another user with the same email, in any case: ALREADY_EXISTS user.email', async () => {
      const tenantId = randomUUID();
      const holder = await directory.upsertUser(
        userInput(tenantId, { email: 'Taken@Example.com' }),
      );
      const other = userInput(tenantId, { email: 'TAKEN@example.COM' });
      await expectAlreadyExists(directory.upsertUser(other), 'user.email');
      // Nothing of the refused user was stored, and the holder is untouched.
      expect(await directory.getUser(tenantId, { kind: 'id', id: other.id })).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'username', username: other.username }),
      ).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'taken@example.com' }),
      ).toEqual(holder);
    });

    it('rejects another user with the same username: ALREADY_EXISTS user.username', async () => {
      const tenantId = randomUUID();
      const holder = await directory.upsertUser(userInput(tenantId, { username: 'grace' }));
      const existing = await directory.upsertUser(userInput(tenantId));
      // An existing user may not take it either, and keeps what it had.
      await expectAlreadyExists(
        directory.upsertUser({ ...existing, username: 'grace', email: 'new@example.com' }),
        'user.username',
      );
      expect(await directory.getUser(tenantId, { kind: 'id', id: existing.id })).toEqual(existing);
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'new@example.com' }),
      ).toBeUndefined();
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'grace' })).toEqual(
        holder,
      );
    });

    it('lets exactly one of many concurrent upserts claim an email', async () => {
      const tenantId = randomUUID();
      const inputs = Array.from({ length: 20 }, () =>
        userInput(tenantId, { email: 'race@example.com' }),
      );
      const outcomes = await Promise.allSettled(inputs.map((input) => directory.upsertUser(input)));
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({ code: 'ALREADY_EXISTS', field: 'user.email' });
        }
      }
      const winner = await directory.getUser(tenantId, {
        kind: 'email',
        email: 'race@example.com',
      });
      expect(winner).toEqual(won[0]?.status === 'fulfilled' ? won[0].value : undefined);
    });

    it('allows the same email and username in two tenants, each finding its own', async () => {
      const [first, second] = [randomUUID(), randomUUID()];
      const shared = { email: 'shared@example.com', username: 'shared' };
      const a = await directory.upsertUser(userInput(first, shared));
      const b = await directory.upsertUser(userInput(second, shared));
      expect(await directory.getUser(first, { kind: 'email', email: shared.email })).toEqual(a);
      expect(await directory.getUser(second, { kind: 'email', email: shared.email })).toEqual(b);
      expect(await directory.getUser(first, { kind: 'username', username: 'shared' })).toEqual(a);
      expect(await directory.getUser(second, { kind: 'username', username: 'shared' })).toEqual(b);
      // A user is found only in its own tenant.
      expect(await directory.getUser(second, { kind: 'id', id: a.id })).toBeUndefined();
    });

    it('frees the old email and username when a user changes them', async () => {
      const tenantId = randomUUID();
      const input = userInput(tenantId, { email: 'old@example.com', username: 'old-name' });
      await directory.upsertUser(input);
      const moved = await directory.upsertUser({
        ...input,
        email: 'New@Example.com',
        username: 'new-name',
      });
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'old@example.com' }),
      ).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'username', username: 'old-name' }),
      ).toBeUndefined();
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'new@example.com' }),
      ).toEqual(moved);
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'new-name' })).toEqual(
        moved,
      );

      const taker = await directory.upsertUser(
        userInput(tenantId, { email: 'OLD@example.com', username: 'old-name' }),
      );
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'old@example.com' }),
      ).toEqual(taker);
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'old-name' })).toEqual(
        taker,
      );
    });

    it('frees an email and a username that a user clears', async () => {
      const tenantId = randomUUID();
      const input = userInput(tenantId, { email: 'clear@example.com', username: 'clear' });
      await directory.upsertUser(input);
      await directory.upsertUser({ ...input, email: '', username: '' });
      expect(
        await directory.getUser(tenantId, { kind: 'email', email: 'clear@example.com' }),
      ).toBeUndefined();
      const taker = await directory.upsertUser(
        userInput(tenantId, { email: 'clear@example.com', username: 'clear' }),
      );
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'clear' })).toEqual(
        taker,
      );
      // Any number of users may have no email and no username.
      await directory.upsertUser(userInput(tenantId, { email: '', username: '' }));
    });

    it('keeps ids with braces, colons and percent signs apart', async () => {
      const tenantId = `t{${randomUUID()}}:x%7D`;
      const lookalike = `t{${randomUUID()}}:x}`;
      const user = await directory.upsertUser(
        userInput(tenantId, { id: 'u:{1}%3A', email: 'odd@example.com', username: 'o:d{d}' }),
      );
      expect(await directory.getUser(tenantId, { kind: 'id', id: 'u:{1}%3A' })).toEqual(user);
      expect(await directory.getUser(tenantId, { kind: 'username', username: 'o:d{d}' })).toEqual(
        user,
      );
      expect(await directory.getUser(lookalike, { kind: 'id', id: 'u:{1}%3A' })).toBeUndefined();
      expect(await directory.getUser(tenantId, { kind: 'id', id: 'u:{1}:' })).toBeUndefined();
    });
  });

  describe('identity links (security finding 7)', () => {
    const linkOf = (subject: string, identityProviderId = 'idp-a') => ({
      identityProviderId,
      subject,
    });

    it('finding 7: links an identity to a user, found by it, kept across replaces', async () => {
      const tenantId = randomUUID();
      const input = userInput(tenantId);
      const link = linkOf('ada@example.com');
      const user = await directory.upsertUser({ ...input, identityLink: link });
      expect(user.identityLinks).toEqual([link]);
      expect(await directory.getUser(tenantId, { kind: 'identity', link })).toEqual(user);
      // A replace without a link keeps it; another provider's link is added beside it.
      expect((await directory.upsertUser({ ...input, lastName: 'King' })).identityLinks).toEqual([
        link,
      ]);
      const second = linkOf('ada', 'idp-b');
      const both = await directory.upsertUser({ ...input, identityLink: second });
      expect(sortLinks(both.identityLinks)).toEqual(sortLinks([link, second]));
      const found = await directory.getUser(tenantId, { kind: 'identity', link: second });
      expect(found?.id).toBe(input.id);
      expect(sortLinks(found?.identityLinks ?? [])).toEqual(sortLinks([link, second]));
      // Linking again what the user already holds changes nothing.
      const again = await directory.upsertUser({ ...input, identityLink: link });
      expect(again.identityLinks).toHaveLength(2);
    });

    it('finding 7: finds nobody by another provider, subject or tenant', async () => {
      const tenantId = randomUUID();
      const link = linkOf('grace@example.com');
      await directory.upsertUser({ ...userInput(tenantId), identityLink: link });
      for (const [tenant, other] of [
        [tenantId, linkOf('grace@example.com', 'idp-b')],
        [tenantId, linkOf('Grace@example.com')],
        [randomUUID(), link],
      ] as const) {
        expect(await directory.getUser(tenant, { kind: 'identity', link: other })).toBeUndefined();
      }
    });

    it('finding 7: rejects a link another user holds: ALREADY_EXISTS identity_link, nothing written', async () => {
      const tenantId = randomUUID();
      const link = linkOf('alan@example.com');
      const holder = await directory.upsertUser({ ...userInput(tenantId), identityLink: link });
      const other = userInput(tenantId);
      await expectAlreadyExists(
        directory.upsertUser({ ...other, identityLink: link }),
        'identity_link',
      );
      expect(await directory.getUser(tenantId, { kind: 'id', id: other.id })).toBeUndefined();
      expect((await directory.getUser(tenantId, { kind: 'identity', link }))?.id).toBe(holder.id);
    });

    it('finding 7: lets exactly one of many concurrent upserts claim a link', async () => {
      const tenantId = randomUUID();
      const link = linkOf('race');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          directory.upsertUser({ ...userInput(tenantId), identityLink: link }),
        ),
      );
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const winner = await directory.getUser(tenantId, { kind: 'identity', link });
      expect(winner?.id).toBe(won[0]?.status === 'fulfilled' ? won[0].value.id : undefined);
    });

    it('finding 7: keeps links whose parts hold separators apart', async () => {
      const tenantId = randomUUID();
      const a = linkOf('b","c', 'a');
      const b = linkOf('c', 'a","b');
      const first = await directory.upsertUser({ ...userInput(tenantId), identityLink: a });
      const second = await directory.upsertUser({ ...userInput(tenantId), identityLink: b });
      expect((await directory.getUser(tenantId, { kind: 'identity', link: a }))?.id).toBe(first.id);
      expect((await directory.getUser(tenantId, { kind: 'identity', link: b }))?.id).toBe(
        second.id,
      );
    });
  });

  describe('registrations', () => {
    it('USER_NOT_FOUND for a user that does not exist in the tenant', async () => {
      const tenantId = randomUUID();
      const elsewhere = await directory.upsertUser(userInput(randomUUID()));
      for (const userId of [randomUUID(), elsewhere.id]) {
        const error = await rejection(
          directory.upsertRegistration(tenantId, registrationInput(userId, randomUUID())),
        );
        expect(error).toBeInstanceOf(TesseraError);
        expect(error).toMatchObject({ code: 'USER_NOT_FOUND' });
      }
      expect(
        (await directory.getUser(elsewhere.tenantId, { kind: 'id', id: elsewhere.id }))
          ?.registrations,
      ).toEqual([]);
    });

    it('creates a registration with a new UUID, or the id given, at the current instant', async () => {
      const tenantId = randomUUID();
      const user = await directory.upsertUser(userInput(tenantId));
      const now = clock.now();
      const generated = await directory.upsertRegistration(
        tenantId,
        registrationInput(user.id, 'app-1', { roles: ['admin', 'viewer'], username: 'ada-1' }),
      );
      expect(generated).toEqual({
        id: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        userId: user.id,
        applicationId: 'app-1',
        roles: ['admin', 'viewer'],
        username: 'ada-1',
        data: { source: 'test' },
        insertInstant: now,
        lastLoginInstant: 0,
      });
      const givenId = randomUUID();
      const given = await directory.upsertRegistration(
        tenantId,
        registrationInput(user.id, 'app-2', { id: givenId }),
      );
      expect(given).toMatchObject({ id: givenId, applicationId: 'app-2', insertInstant: now });
      expect(
        byApplication(
          (await directory.getUser(tenantId, { kind: 'id', id: user.id }))?.registrations ?? [],
        ),
      ).toEqual([generated, given]);
    });

    it('replaces the registration of an application, keeping its id and insert instant', async () => {
      const tenantId = randomUUID();
      const user = await directory.upsertUser(userInput(tenantId));
      const original = await directory.upsertRegistration(
        tenantId,
        registrationInput(user.id, 'app', { roles: ['viewer'] }),
      );
      clock.advance(60_000);
      const replaced = await directory.upsertRegistration(
        tenantId,
        registrationInput(user.id, 'app', {
          id: randomUUID(),
          roles: ['admin'],
          username: 'renamed',
          data: { replaced: true },
          lastLoginInstant: clock.now(),
        }),
      );
      expect(replaced).toEqual({
        id: original.id,
        userId: user.id,
        applicationId: 'app',
        roles: ['admin'],
        username: 'renamed',
        data: { replaced: true },
        insertInstant: original.insertInstant,
        lastLoginInstant: clock.now(),
      });
      expect(
        (await directory.getUser(tenantId, { kind: 'id', id: user.id }))?.registrations,
      ).toEqual([replaced]);
    });

    it('keeps registrations when the user is replaced, and returns them with it', async () => {
      const tenantId = randomUUID();
      const input = userInput(tenantId);
      await directory.upsertUser(input);
      const registrations = [
        await directory.upsertRegistration(tenantId, registrationInput(input.id, 'app-a')),
        await directory.upsertRegistration(tenantId, registrationInput(input.id, 'app-b')),
      ];
      const replaced = await directory.upsertUser({ ...input, firstName: 'Again' });
      expect(byApplication(replaced.registrations)).toEqual(registrations);
      const found = await directory.getUser(tenantId, { kind: 'email', email: input.email });
      expect(found?.firstName).toBe('Again');
      expect(byApplication(found?.registrations ?? [])).toEqual(registrations);
    });
  });
}
