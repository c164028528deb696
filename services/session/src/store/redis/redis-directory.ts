import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { invalidArgument, TesseraError } from '@tessera/errors';
import { z } from 'zod';
import type {
  Directory,
  IdentityLink,
  Registration,
  User,
  UserSelector,
  UserUpsert,
} from '../directory.js';
import type { Closable } from '../session-store.js';
import { DIRECTORY_SCRIPTS, type DirectoryScriptName } from './directory-scripts.js';
import {
  bindScript,
  closeRedisClient,
  connectRedisClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type RedisClient,
  type RedisConnectionOptions,
  type ScriptCall,
} from './redis-client.js';
import { storeDeadlineMs, withDeadline } from './redis-deadline.js';
import { parseReply } from './redis-errors.js';

/** What the Redis directory needs besides a client. */
export interface RedisDirectorySettings {
  readonly clock: Clock;
  /** The client's command timeout; each call gets a deadline just above it. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Whether `close()` closes the client (true when the directory created it). */
  readonly ownsClient?: boolean;
}

/** Options of `createRedisDirectory`. */
export interface RedisDirectoryOptions {
  /** Standalone URL, Sentinel or Cluster. */
  readonly redis: RedisConnectionOptions;
  readonly clock: Clock;
  /** Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long creation waits for the first connection. Default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** Connection errors while the client reconnects by itself (for logs). */
  readonly onConnectionError?: (error: Error) => void;
}

/**
 * Key names. Every key of one tenant carries the hash tag `{dir:<tenant>}`: uniqueness of
 * email, username and identity link must be checked in the same script that writes the user,
 * so a tenant's users and its indexes share one Cluster slot. A whole tenant in one slot is acceptable
 * for this directory (the few users FusionAuth's issue and reconcile flows create, not a
 * user store); a tenant outgrowing a slot would need indexes of their own.
 * Ids are escaped so that no tenant or user id can forge another's key or break the tag.
 */
function escapeKeyPart(id: string): string {
  return id.replace(/[%{}:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
function tenantTag(tenantId: string): string {
  return `{dir:${escapeKeyPart(tenantId)}}`;
}
/** The user hash: email, username, ins, upd, doc (the other fields, JSON). */
function userKey(tenantId: string, userId: string): string {
  return `${tenantTag(tenantId)}:user:${escapeKeyPart(userId)}`;
}
/** The user's registrations hash: id:<app>, at:<app>, doc:<app> per application. */
function registrationsKey(tenantId: string, userId: string): string {
  return `${tenantTag(tenantId)}:reg:${escapeKeyPart(userId)}`;
}
/** Lower-cased email → user id. */
function emailIndexKey(tenantId: string): string {
  return `${tenantTag(tenantId)}:email`;
}
/** Username → user id. */
function usernameIndexKey(tenantId: string): string {
  return `${tenantTag(tenantId)}:username`;
}
/** Identity link (see {@link encodeLink}) → user id. */
function linkIndexKey(tenantId: string): string {
  return `${tenantTag(tenantId)}:link`;
}

/** The field prefix of a link in the user hash; the rest of the field is the encoded link. */
const LINK_FIELD = 'link:';

/** A link as one string: JSON, so no provider id or subject can make two links collide. */
function encodeLink(link: IdentityLink): string {
  return JSON.stringify([link.identityProviderId, link.subject]);
}

const encodedLink = z.tuple([z.string(), z.string()]);

const integerText = z
  .string()
  .regex(/^-?\d+$/)
  .transform(Number);
const jsonObject = z.record(z.string(), z.unknown());
const userDoc = z.object({
  verified: z.boolean(),
  active: z.boolean(),
  firstName: z.string(),
  lastName: z.string(),
  fullName: z.string(),
  data: jsonObject,
  lastLoginInstant: z.number(),
});
const userHash = z.object({
  email: z.string(),
  username: z.string(),
  ins: integerText,
  upd: integerText,
  doc: z.string(),
});
const registrationDoc = z.object({
  roles: z.array(z.string()),
  username: z.string(),
  data: jsonObject,
  lastLoginInstant: z.number(),
});
const pairs = z.array(z.string());
const upsertUserReply = z.union([
  z.tuple([z.enum(['email', 'username', 'link'])]),
  z.tuple([z.literal('ok'), integerText, pairs, pairs]),
]);
const readUserReply = z.tuple([pairs, pairs]);
const upsertRegistrationReply = z.union([
  z.tuple([z.literal('missing')]),
  z.tuple([z.literal('ok'), z.string(), integerText]),
]);

/** What `upsertRegistration` takes. */
type RegistrationInput = Parameters<Directory['upsertRegistration']>[1];

/**
 * The production directory: a hash per user and a hash of registrations per user, with a
 * tenant's email and username indexes, all in the tenant's slot. Upserts are single-slot
 * Lua scripts that check uniqueness and write in one step; instants come from the injected
 * clock. A user id names one user per tenant.
 */
export class RedisDirectory implements Directory, Closable {
  /** The client, shared with the other stores. */
  readonly client: RedisClient;
  readonly #clock: Clock;
  readonly #deadlineMs: number;
  readonly #ownsClient: boolean;
  readonly #scripts: Readonly<Record<DirectoryScriptName, ScriptCall>>;

  /**
   * Wraps a client created with `DIRECTORY_SCRIPTS` among its `scripts` (see
   * `createRedisClient`); use `createRedisDirectory` unless the client is shared.
   */
  constructor(client: RedisClient, settings: RedisDirectorySettings) {
    this.client = client;
    this.#clock = settings.clock;
    this.#deadlineMs = storeDeadlineMs(settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    this.#ownsClient = settings.ownsClient ?? false;
    this.#scripts = {
      directoryUpsertUser: bindScript(client, 'directoryUpsertUser'),
      directoryReadUser: bindScript(client, 'directoryReadUser'),
      directoryUpsertRegistration: bindScript(client, 'directoryUpsertRegistration'),
    };
  }

  async upsertUser(input: UserUpsert): Promise<User> {
    if (input.insertInstant !== undefined && !Number.isSafeInteger(input.insertInstant)) {
      throw invalidArgument('user.insert_instant', 'must be epoch milliseconds');
    }
    const { tenantId, id } = input;
    const email = input.email.toLowerCase();
    const now = this.#clock.now();
    const doc: z.infer<typeof userDoc> = {
      verified: input.verified,
      active: input.active,
      firstName: input.firstName,
      lastName: input.lastName,
      fullName: input.fullName,
      data: input.data,
      lastLoginInstant: input.lastLoginInstant,
    };
    const reply = await withDeadline(this.#deadlineMs, () =>
      this.#scripts.directoryUpsertUser(
        userKey(tenantId, id),
        emailIndexKey(tenantId),
        usernameIndexKey(tenantId),
        registrationsKey(tenantId, id),
        linkIndexKey(tenantId),
        id,
        email,
        input.username,
        input.insertInstant ?? '',
        now,
        JSON.stringify(doc),
        input.identityLink === undefined ? '' : encodeLink(input.identityLink),
      ),
    );
    const parsed = parseReply(upsertUserReply, reply, 'upsert user');
    if (parsed.length === 1) {
      const [taken] = parsed;
      throw new TesseraError(
        'ALREADY_EXISTS',
        `another user has this ${taken === 'link' ? 'identity link' : taken}`,
        { field: taken === 'link' ? 'identity_link' : `user.${taken}` },
      );
    }
    const [, insertInstant, registrations, fields] = parsed;
    return {
      id,
      tenantId,
      email,
      username: input.username,
      ...doc,
      insertInstant,
      lastUpdateInstant: now,
      registrations: decodeRegistrations(id, registrations),
      identityLinks: decodeLinks(fields),
    };
  }

  async getUser(tenantId: string, selector: UserSelector): Promise<User | undefined> {
    return withDeadline(this.#deadlineMs, async () => {
      switch (selector.kind) {
        case 'id':
          return this.#read(tenantId, selector.id);
        case 'email': {
          const email = selector.email.toLowerCase();
          if (email === '') return undefined;
          const id = await this.client.hget(emailIndexKey(tenantId), email);
          const user = id === null ? undefined : await this.#read(tenantId, id);
          // The user may have changed its email between the two reads.
          return user?.email === email ? user : undefined;
        }
        case 'username': {
          if (selector.username === '') return undefined;
          const id = await this.client.hget(usernameIndexKey(tenantId), selector.username);
          const user = id === null ? undefined : await this.#read(tenantId, id);
          return user?.username === selector.username ? user : undefined;
        }
        case 'identity': {
          const { link } = selector;
          const id = await this.client.hget(linkIndexKey(tenantId), encodeLink(link));
          const user = id === null ? undefined : await this.#read(tenantId, id);
          return user?.identityLinks.some(
            (held) =>
              held.identityProviderId === link.identityProviderId && held.subject === link.subject,
          )
            ? user
            : undefined;
        }
      }
    });
  }

  async upsertRegistration(tenantId: string, input: RegistrationInput): Promise<Registration> {
    const doc: z.infer<typeof registrationDoc> = {
      roles: [...input.roles],
      username: input.username,
      data: input.data,
      lastLoginInstant: input.lastLoginInstant,
    };
    const reply = await withDeadline(this.#deadlineMs, () =>
      this.#scripts.directoryUpsertRegistration(
        userKey(tenantId, input.userId),
        registrationsKey(tenantId, input.userId),
        input.applicationId,
        input.id ?? randomUUID(),
        this.#clock.now(),
        JSON.stringify(doc),
      ),
    );
    const parsed = parseReply(upsertRegistrationReply, reply, 'upsert registration');
    if (parsed.length === 1) {
      throw new TesseraError('USER_NOT_FOUND', `no user has id ${input.userId}`, {
        field: 'registration.user_id',
      });
    }
    const [, id, insertInstant] = parsed;
    return {
      id,
      userId: input.userId,
      applicationId: input.applicationId,
      ...doc,
      insertInstant,
    };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await closeRedisClient(this.client);
  }

  /** The user and its registrations, read together. */
  async #read(tenantId: string, id: string): Promise<User | undefined> {
    const reply = await this.#scripts.directoryReadUser(
      userKey(tenantId, id),
      registrationsKey(tenantId, id),
    );
    const [user, registrations] = parseReply(readUserReply, reply, 'read user');
    if (user.length === 0) return undefined;
    const fields = pairsToObject(user);
    const hash = parseReply(userHash, fields, 'user hash');
    return {
      id,
      tenantId,
      email: hash.email,
      username: hash.username,
      ...parseReply(userDoc, parseJson(hash.doc), 'user document'),
      insertInstant: hash.ins,
      lastUpdateInstant: hash.upd,
      registrations: decodeRegistrations(id, registrations),
      identityLinks: decodeLinks(Object.keys(fields)),
    };
  }
}

/** The `link:<link>` fields of a user hash, as links (in the order Redis returns them). */
function decodeLinks(fields: readonly string[]): IdentityLink[] {
  return fields
    .filter((field) => field.startsWith(LINK_FIELD))
    .map((field) => {
      const [identityProviderId, subject] = parseReply(
        encodedLink,
        parseJson(field.slice(LINK_FIELD.length)),
        'identity link',
      );
      return { identityProviderId, subject };
    });
}

function pairsToObject(flat: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i];
    const value = flat[i + 1];
    if (field !== undefined && value !== undefined) object[field] = value;
  }
  return object;
}

/**
 * The registrations hash (`id:<app>`, `at:<app>`, `doc:<app>` per application) as
 * registrations, oldest first (then by application, so the order is stable).
 */
function decodeRegistrations(userId: string, flat: readonly string[]): Registration[] {
  const byApplication = new Map<string, { id?: string; at?: string; doc?: string }>();
  for (const [field, value] of Object.entries(pairsToObject(flat))) {
    const colon = field.indexOf(':');
    const kind = field.slice(0, colon);
    const applicationId = field.slice(colon + 1);
    if (colon < 0 || (kind !== 'id' && kind !== 'at' && kind !== 'doc')) {
      throw new TesseraError('INTERNAL', 'unexpected registration field', {
        metadata: { field },
      });
    }
    const parts = byApplication.get(applicationId) ?? {};
    parts[kind] = value;
    byApplication.set(applicationId, parts);
  }
  const registrations = [...byApplication].map(([applicationId, parts]): Registration => {
    if (parts.id === undefined || parts.at === undefined || parts.doc === undefined) {
      throw new TesseraError('INTERNAL', 'a stored registration is incomplete', {
        metadata: { applicationId },
      });
    }
    return {
      id: parts.id,
      userId,
      applicationId,
      ...parseReply(registrationDoc, parseJson(parts.doc), 'registration document'),
      insertInstant: parseReply(integerText, parts.at, 'registration instant'),
    };
  });
  return registrations.sort(
    (a, b) =>
      a.insertInstant - b.insertInstant ||
      (a.applicationId < b.applicationId ? -1 : a.applicationId > b.applicationId ? 1 : 0),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TesseraError('INTERNAL', 'a stored directory document is not JSON', {
      cause: error,
    });
  }
}

/**
 * Connects to Redis (standalone URL, Sentinel or Cluster) with the fail-fast client
 * settings, registers the directory's scripts and waits for the first connection
 * (UNAVAILABLE if it does not come within `readyTimeoutMs`). To share one client with the
 * other stores, create it with every store's scripts and use the constructor instead.
 */
export async function createRedisDirectory(
  options: RedisDirectoryOptions,
): Promise<RedisDirectory> {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = await connectRedisClient(options, DIRECTORY_SCRIPTS);
  return new RedisDirectory(client, { clock: options.clock, commandTimeoutMs, ownsClient: true });
}
