import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import type {
  Directory,
  IdentityLink,
  Registration,
  User,
  UserSelector,
  UserUpsert,
} from '../directory.js';

type StoredUser = Omit<User, 'registrations'>;

/** The user directory in process memory, for `npm start` without Redis. */
export class MemoryDirectory implements Directory {
  readonly #clock: Clock;
  /** Users by `tenantId/userId`: a user id is unique within its tenant, as in Redis. */
  readonly #users = new Map<string, StoredUser>();
  readonly #registrations = new Map<string, Map<string, Registration>>();
  /** User ids by `tenantId` and identity link (see {@link linkKey}). */
  readonly #links = new Map<string, string>();

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  async upsertUser(input: UserUpsert): Promise<User> {
    const { identityLink, ...fields } = input;
    const email = fields.email.toLowerCase();
    for (const other of this.#users.values()) {
      if (other.tenantId !== fields.tenantId || other.id === fields.id) continue;
      if (email !== '' && other.email === email) {
        throw new TesseraError('ALREADY_EXISTS', 'another user has this email', {
          field: 'user.email',
        });
      }
      if (fields.username !== '' && other.username === fields.username) {
        throw new TesseraError('ALREADY_EXISTS', 'another user has this username', {
          field: 'user.username',
        });
      }
    }
    const link = identityLink === undefined ? undefined : linkKey(fields.tenantId, identityLink);
    const holder = link === undefined ? undefined : this.#links.get(link);
    if (holder !== undefined && holder !== fields.id) {
      throw new TesseraError('ALREADY_EXISTS', 'another user has this identity link', {
        field: 'identity_link',
      });
    }
    const key = userKey(fields.tenantId, fields.id);
    const existing = this.#users.get(key);
    const now = this.#clock.now();
    const links = existing?.identityLinks ?? [];
    const stored: StoredUser = {
      ...fields,
      email,
      insertInstant: existing?.insertInstant ?? fields.insertInstant ?? now,
      lastUpdateInstant: now,
      identityLinks:
        identityLink === undefined || holder !== undefined
          ? links
          : [...links, { ...identityLink }],
    };
    this.#users.set(key, stored);
    if (link !== undefined) this.#links.set(link, fields.id);
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
        case 'identity':
          return user.identityLinks.some((link) => sameLink(link, selector.link));
      }
    };
    const linked =
      selector.kind === 'identity' ? this.#links.get(linkKey(tenantId, selector.link)) : undefined;
    const user =
      selector.kind === 'id'
        ? this.#users.get(userKey(tenantId, selector.id))
        : linked !== undefined
          ? this.#users.get(userKey(tenantId, linked))
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

/** JSON, so no provider id or subject can make two different links collide. */
function linkKey(tenantId: string, link: IdentityLink): string {
  return JSON.stringify([tenantId, link.identityProviderId, link.subject]);
}

function sameLink(a: IdentityLink, b: IdentityLink): boolean {
  return a.identityProviderId === b.identityProviderId && a.subject === b.subject;
}
