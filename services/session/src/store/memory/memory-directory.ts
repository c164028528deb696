import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import type { Directory, Registration, User, UserSelector } from '../directory.js';

type StoredUser = Omit<User, 'registrations'>;

/** The user directory in process memory, for `npm start` without Redis. */
export class MemoryDirectory implements Directory {
  readonly #clock: Clock;
  /** Users by `tenantId/userId`: a user id is unique within its tenant, as in Redis. */
  readonly #users = new Map<string, StoredUser>();
  readonly #registrations = new Map<string, Map<string, Registration>>();

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  async upsertUser(
    input: Omit<User, 'registrations' | 'insertInstant' | 'lastUpdateInstant'> & {
      insertInstant?: number;
    },
  ): Promise<User> {
    const email = input.email.toLowerCase();
    for (const other of this.#users.values()) {
      if (other.tenantId !== input.tenantId || other.id === input.id) continue;
      if (email !== '' && other.email === email) {
        throw new TesseraError('ALREADY_EXISTS', 'another user has this email', {
          field: 'user.email',
        });
      }
      if (input.username !== '' && other.username === input.username) {
        throw new TesseraError('ALREADY_EXISTS', 'another user has this username', {
          field: 'user.username',
        });
      }
    }
    const key = userKey(input.tenantId, input.id);
    const existing = this.#users.get(key);
    const now = this.#clock.now();
    const stored: StoredUser = {
      ...input,
      email,
      insertInstant: existing?.insertInstant ?? input.insertInstant ?? now,
      lastUpdateInstant: now,
    };
    this.#users.set(key, stored);
    return this.#withRegistrations(stored);
  }

  async getUser(tenantId: string, selector: UserSelector): Promise<User | undefined> {
    const match = (user: StoredUser) => {
      if (user.tenantId !== tenantId) return false;
      switch (selector.kind) {
        case 'id':
          return user.id === selector.id;
        case 'email':
          return user.email !== '' && user.email === selector.email.toLowerCase();
        case 'username':
          return user.username !== '' && user.username === selector.username;
      }
    };
    const user =
      selector.kind === 'id'
        ? this.#users.get(userKey(tenantId, selector.id))
        : [...this.#users.values()].find(match);
    return user !== undefined && match(user) ? this.#withRegistrations(user) : undefined;
  }

  async upsertRegistration(
    tenantId: string,
    input: Omit<Registration, 'id' | 'insertInstant'> & { id?: string },
  ): Promise<Registration> {
    const key = userKey(tenantId, input.userId);
    if (!this.#users.has(key)) {
      throw new TesseraError('USER_NOT_FOUND', `no user has id ${input.userId}`, {
        field: 'registration.user_id',
      });
    }
    const byApp = this.#registrations.get(key) ?? new Map<string, Registration>();
    const existing = byApp.get(input.applicationId);
    const registration: Registration = {
      ...input,
      id: existing?.id ?? input.id ?? randomUUID(),
      insertInstant: existing?.insertInstant ?? this.#clock.now(),
    };
    byApp.set(input.applicationId, registration);
    this.#registrations.set(key, byApp);
    return registration;
  }

  #withRegistrations(user: StoredUser): User {
    const registrations = [
      ...(this.#registrations.get(userKey(user.tenantId, user.id))?.values() ?? []),
    ];
    return { ...user, registrations };
  }
}

function userKey(tenantId: string, userId: string): string {
  return `${tenantId}/${userId}`;
}
