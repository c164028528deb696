import {
  apiKeyOf,
  assertMayGrantScopes,
  authorizeApiKey,
  callerOf,
  findTenant,
  resolveTenant,
  SESSION_REQUIREMENTS,
} from '@tessera/access';
import type { Clock } from '@tessera/clock';
import type { Realm } from '@tessera/config';
import { sessionV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import type { AsyncServiceHandlers, CallContext } from '@tessera/grpc-runtime';
import type { RevocationFeed } from '../domain/revocation-feed.js';
import {
  ownerOf,
  type RevokeFindings,
  revocationOf,
  userBoundOf,
} from '../domain/revocation-of.js';
import type { SessionMetrics } from '../session-metrics.js';
import type { Directory, IdentityLink, UserSelector } from '../store/directory.js';
import { isUserWide, type Revocation, type RevocationLog } from '../store/revocation-log.js';
import type {
  RefreshTokenRecord,
  RefreshTokenStore,
  RevokeSelector,
} from '../store/session-store.js';
import {
  deviceFromProto,
  jsonObjectField,
  policyFromProto,
  presenterFromProto,
  recordToProto,
  registrationToProto,
  revocationToProto,
  scopesFromProto,
  sessionClaimsFromProto,
  toMs,
  userToProto,
} from './convert.js';
import { snapshotMessages } from './snapshot-pages.js';

/** What the session handlers are built from; injected by the composition root. */
export interface SessionHandlerDeps {
  readonly realm: () => Realm;
  readonly tokens: RefreshTokenStore;
  readonly revocations: RevocationLog;
  readonly feed: RevocationFeed;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly metrics: SessionMetrics;
  /** Idle interval after which WatchRevocations sends a heartbeat. */
  readonly heartbeatMs: number;
}

type Handlers = AsyncServiceHandlers<typeof sessionV1.SessionServiceService>;

const MAX_TOKEN_LENGTH = 512;

/** GetUser as the access rules name it (`package.Service/Method`). */
const GET_USER_METHOD = sessionV1.SessionServiceService.getUser.path.slice(1);

/** The tenant a request is about (see `resolveTenant` of @tessera/access), by id. */
function requireTenant(
  realm: Realm,
  query: { tenantId: string; applicationId?: string },
  ctx: CallContext,
): string {
  return resolveTenant(realm, { ...query, caller: callerOf(ctx) }).id;
}

/**
 * The tenant a request names or its key is locked to, by id; undefined when the request
 * may concern any tenant (a refresh token is looked up by itself).
 */
function namedTenant(realm: Realm, tenantId: string, ctx: CallContext): string | undefined {
  return findTenant(realm, { tenantId, caller: callerOf(ctx) })?.id;
}

function requireText(value: string, field: string, max = 256): string {
  if (value === '') throw invalidArgument(field, `${field} is required`);
  if (value.length > max) throw invalidArgument(field, `${field} is longer than ${max} characters`);
  return value;
}

/** The longest identity-provider subject (an email address fits many times over). */
const MAX_SUBJECT_LENGTH = 1024;

function identityLinkFromProto(link: sessionV1.IdentityLink, field: string): IdentityLink {
  return {
    identityProviderId: requireText(link.identityProviderId, `${field}.identity_provider_id`),
    subject: requireText(link.subject, `${field}.subject`, MAX_SUBJECT_LENGTH),
  };
}

function selectorFromProto(selector: sessionV1.RevokeRequest['selector']): RevokeSelector {
  switch (selector?.$case) {
    case 'id':
      return { kind: 'id', id: requireText(selector.value, 'id') };
    case 'token':
      return { kind: 'token', token: requireText(selector.value, 'token', MAX_TOKEN_LENGTH) };
    case 'userId':
      return { kind: 'user', userId: requireText(selector.value, 'user_id') };
    case 'applicationId':
      return { kind: 'application', applicationId: requireText(selector.value, 'application_id') };
    case 'userApplication':
      return {
        kind: 'user-application',
        userId: requireText(selector.value.userId, 'user_application.user_id'),
        applicationId: requireText(selector.value.applicationId, 'user_application.application_id'),
      };
    case undefined:
      throw invalidArgument(
        'selector',
        'name what to revoke: id, token, user_id, application_id or user_application',
      );
  }
}

/**
 * Whether the revocation event of `selector` reaches the access tokens of `record` by itself
 * (id and token selectors publish one event per revoked session). An application-wide event
 * does not reach tokens issued from its sessions for other applications; publishing every
 * session of an application would count against the tenant's live-entry limit.
 */
function selectorNames(selector: RevokeSelector, record: RefreshTokenRecord): boolean {
  switch (selector.kind) {
    case 'id':
    case 'token':
      return true;
    case 'user':
      return record.userId === selector.userId;
    case 'application':
      return record.applicationId === selector.applicationId;
    case 'user-application':
      // Tokens issued from the session for another application (IssueForApplication) carry
      // its sid but not this application, so each session is published as well: a bounded
      // set, one user's sessions of one application.
      return false;
  }
}

/** The session service's RPCs: proto ↔ store, and the revocation events revokes imply. */
export function createSessionHandlers(deps: SessionHandlerDeps): Handlers {
  const { tokens, directory, clock, metrics } = deps;

  /**
   * Publishes what a revoke implies for access tokens; nothing when it covered nothing. Each
   * append is checked against the tenant's live-entry limit (REVOCATION_LIMIT_REACHED), and
   * each entry with a user against that user's bound: past it the user is revoked wholesale
   * instead, which also covers the rest of that user's entries of this revoke.
   */
  const publish = async (tenantId: string, selector: RevokeSelector, found: RevokeFindings) => {
    const realm = deps.realm();
    const now = clock.now();
    const revocations = revocationOf(realm, tenantId, selector, found, now);
    const published: Revocation[] = [];
    const maxLivePerTenant = realm.tenants.get(tenantId)?.revocation.maxLiveEntries ?? 0;
    /** Users revoked wholesale by this publication. */
    const revokedWholesale = new Set<string>();
    try {
      for (const revocation of revocations) {
        const userId = ownerOf(revocation, found);
        if (userId === '') {
          await deps.revocations.append(revocation, { maxLivePerTenant });
          published.push(revocation);
          continue;
        }
        if (revokedWholesale.has(userId)) continue;
        const outcome = await deps.revocations.appendBounded(revocation, {
          maxLivePerTenant,
          perUser: userBoundOf(realm, tenantId, userId, now),
        });
        if (isUserWide(outcome.revocation)) revokedWholesale.add(userId);
        published.push(outcome.revocation);
      }
    } finally {
      if (revocations.length > 0) deps.feed.notifyAppended();
    }
    return published;
  };

  /**
   * Whether a revocation by user or application may cover tokens still out there although no
   * live family matched: the user is known to the tenant's directory, or the application is
   * the tenant's. An id nobody knows publishes nothing.
   */
  const subjectKnown = async (tenantId: string, selector: RevokeSelector): Promise<boolean> => {
    const realm = deps.realm();
    const applicationKnown = (applicationId: string) =>
      realm.applications.get(applicationId)?.tenantId === tenantId;
    const userKnown = async (userId: string) =>
      (await directory.getUser(tenantId, { kind: 'id', id: userId })) !== undefined;
    switch (selector.kind) {
      case 'user':
        return userKnown(selector.userId);
      case 'application':
        return applicationKnown(selector.applicationId);
      case 'user-application':
        return applicationKnown(selector.applicationId) && (await userKnown(selector.userId));
      case 'id':
      case 'token':
        return false;
    }
  };

  /**
   * Rotate's include_user: the session's user as GetUser by id would answer it, read only
   * for a key GetUser would serve and through the same tenant rule. Anything that keeps it
   * from being read (the permission, the tenant, the directory) leaves it out rather than
   * failing a rotation already made: the caller then calls GetUser, which reports it.
   */
  const readUserOf = async (
    record: RefreshTokenRecord,
    ctx: CallContext,
  ): Promise<{ user: sessionV1.User | undefined; userIncluded: boolean }> => {
    try {
      const key = apiKeyOf(callerOf(ctx));
      if (key === undefined) return { user: undefined, userIncluded: false };
      authorizeApiKey(key, GET_USER_METHOD, SESSION_REQUIREMENTS.getUser);
      const tenantId = requireTenant(deps.realm(), { tenantId: record.tenantId }, ctx);
      const user = await directory.getUser(tenantId, { kind: 'id', id: record.userId });
      return { user: user && userToProto(user), userIncluded: true };
    } catch (error) {
      ctx.log.debug({ err: error }, 'the user was left out of a rotation');
      return { user: undefined, userIncluded: false };
    }
  };

  return {
    async create(request, ctx) {
      const realm = deps.realm();
      const tenantId = requireTenant(
        realm,
        { tenantId: request.tenantId, applicationId: request.applicationId },
        ctx,
      );
      const application = realm.applications.get(request.applicationId);
      if (application === undefined || application.tenantId !== tenantId) {
        throw new TesseraError(
          'APPLICATION_NOT_FOUND',
          `no application ${request.applicationId} in the tenant`,
          {
            field: 'application_id',
          },
        );
      }
      const scopes = scopesFromProto(request.scopes);
      assertMayGrantScopes(apiKeyOf(callerOf(ctx)), scopes);
      const { token, record } = await tokens.create({
        tenantId,
        applicationId: application.id,
        userId: requireText(request.userId, 'user_id'),
        policy: policyFromProto(request.policy),
        device: deviceFromProto(request.device),
        scopes,
        data: jsonObjectField(request.dataJson, 'data_json'),
        sessionClaims: sessionClaimsFromProto(request.sessionClaims),
        ...(request.startInstant > 0n ? { startInstant: toMs(request.startInstant) } : {}),
        presenter: presenterFromProto(request.presenter),
        requestId: request.requestId,
        ...(request.sourceId === ''
          ? {}
          : {
              fork: {
                sourceId: requireText(request.sourceId, 'source_id'),
                maximumForks: realm.tenants.get(tenantId)?.maximumSessionForks ?? 0,
              },
            }),
      });
      metrics.sessions.inc({ outcome: 'created' });
      return { refreshToken: token, record: recordToProto(record) };
    },

    async rotate(request, ctx) {
      const tenantId = namedTenant(deps.realm(), request.tenantId, ctx);
      const outcome = await tokens.rotate({
        token: requireText(request.refreshToken, 'refresh_token', MAX_TOKEN_LENGTH),
        presenter: presenterFromProto(request.presenter),
        requestId: request.requestId.slice(0, 128),
        ...(tenantId === undefined ? {} : { tenantId }),
      });
      if (outcome.ok) {
        metrics.rotations.inc({ outcome: outcome.rotated ? 'rotated' : 'reused-allowed' });
        const read = request.includeUser
          ? await readUserOf(outcome.record, ctx)
          : { user: undefined, userIncluded: false };
        return {
          refreshToken: outcome.token,
          record: recordToProto(outcome.record),
          rotated: outcome.rotated,
          ...read,
        };
      }
      metrics.rotations.inc({ outcome: outcome.cause });
      if (outcome.theft !== undefined) {
        const theft = outcome.theft;
        ctx.log.warn(
          {
            event: 'refresh-token.theft',
            sid: theft.familyId,
            tenantId: theft.tenantId,
            userId: theft.userId,
            applicationId: theft.applicationId,
            previousPresenter: theft.previousPresenter,
            presenter: theft.presenter,
            familyRevoked: theft.familyRevoked,
          },
          'refresh token reused outside its grace period',
        );
        // The family and the forks revoked with it: one session revocation each.
        if (theft.revokedIds.length > 0) {
          try {
            await publish(
              theft.tenantId,
              { kind: 'id', id: theft.familyId },
              {
                sessionIds: theft.revokedIds,
                subjectKnown: true,
                // A fork belongs to its source's user: the whole family is the thief's victim's.
                owners: new Map(theft.revokedIds.map((id) => [id, theft.userId])),
              },
            );
          } catch (error) {
            // The family is revoked either way; the caller learns that its token is invalid.
            ctx.log.error(
              { err: error, sid: theft.familyId, tenantId: theft.tenantId },
              'the revocation of a stolen family could not be published',
            );
          }
        }
      }
      throw new TesseraError('REFRESH_TOKEN_INVALID', `the refresh token is ${outcome.cause}`, {
        field: 'refresh_token',
        metadata: { cause: outcome.cause },
      });
    },

    async get(request, ctx) {
      const tenantId = namedTenant(deps.realm(), request.tenantId, ctx);
      if ((request.id === '') === (request.token === '')) {
        throw invalidArgument('id', 'give exactly one of id and token');
      }
      const record =
        request.id !== ''
          ? await tokens.get(requireText(request.id, 'id'), tenantId)
          : await tokens.lookup(requireText(request.token, 'token', MAX_TOKEN_LENGTH), tenantId);
      if (record === undefined) {
        throw new TesseraError('REFRESH_TOKEN_NOT_FOUND', 'no live refresh token matches', {
          field: request.id !== '' ? 'id' : 'token',
        });
      }
      return { record: recordToProto(record) };
    },

    async listByUser(request, ctx) {
      const tenantId = requireTenant(deps.realm(), { tenantId: request.tenantId }, ctx);
      const records = await tokens.listByUser(
        tenantId,
        requireText(request.userId, 'user_id'),
        request.applicationId || undefined,
      );
      return { records: records.map(recordToProto) };
    },

    async revoke(request, ctx) {
      const tenantId = requireTenant(deps.realm(), { tenantId: request.tenantId }, ctx);
      const selector = selectorFromProto(request.selector);
      if (request.ownerUserId !== '') {
        if (selector.kind !== 'id' && selector.kind !== 'token') {
          throw invalidArgument(
            'owner_user_id',
            'owner_user_id applies to revoking by id or token',
          );
        }
        const record =
          selector.kind === 'id'
            ? await tokens.get(selector.id, tenantId)
            : await tokens.lookup(selector.token, tenantId);
        if (record === undefined || record.userId !== request.ownerUserId) {
          throw new TesseraError(
            'REFRESH_TOKEN_NOT_FOUND',
            'no live refresh token of this user matches',
            {
              field: selector.kind,
            },
          );
        }
      }
      // A family that just expired has no refresh token left to revoke, but its last access
      // tokens live on: publish for it too. The owner check above refuses it for end users
      // (it is no longer live), so only a key entitled to revoke in the tenant reaches this.
      // Asked before the revoke, which marks such a family revoked in passing.
      const ended =
        request.ownerUserId === '' ? await tokens.endedSessions(tenantId, selector) : [];
      const revoked = await tokens.revoke(tenantId, selector);
      metrics.sessions.inc({ outcome: 'revoked' }, revoked.length);
      const owners = new Map(revoked.map((record) => [record.id, record.userId]));
      const revocations = await publish(tenantId, selector, {
        sessionIds: [...revoked.map((record) => record.id), ...ended],
        subjectKnown: revoked.length > 0 || (await subjectKnown(tenantId, selector)),
        owners,
      });
      // Forks revoked with a covered session may belong to users or applications the
      // selector does not name: their access tokens are reached by their session ids.
      const uncovered = revoked.filter((record) => !selectorNames(selector, record));
      if (uncovered.length > 0) {
        await publish(
          tenantId,
          { kind: 'id', id: '' },
          { sessionIds: uncovered.map((record) => record.id), subjectKnown: true, owners },
        );
      }
      const [first] = revocations;
      return {
        revokedCount: revoked.length,
        revocation: first ? revocationToProto(first) : undefined,
      };
    },

    async *watchRevocations(request, ctx) {
      // A tenant-locked key never gets here: the stream spans every tenant (see the
      // `allTenants` requirement of WatchRevocations in @tessera/access).
      for await (const message of deps.feed.subscribe(
        request.afterSequence,
        request.epoch.slice(0, 64),
        deps.heartbeatMs,
        ctx.signal,
      )) {
        switch (message.kind) {
          case 'snapshot':
            yield* snapshotMessages(message.snapshot);
            break;
          case 'event':
            yield {
              kind: {
                $case: 'event',
                value: {
                  sequence: message.entry.sequence,
                  revocation: revocationToProto(message.entry.revocation),
                },
              },
            };
            break;
          case 'heartbeat':
            yield {
              kind: {
                $case: 'heartbeat',
                value: {
                  sequence: message.position.sequence,
                  epoch: message.position.epoch,
                  instant: BigInt(clock.now()),
                },
              },
            };
            break;
        }
      }
    },

    async upsertUser(request, ctx) {
      const input = request.user;
      if (input === undefined) throw invalidArgument('user', 'user is required');
      const realm = deps.realm();
      const registration = request.registration;
      if (
        registration !== undefined &&
        registration.userId !== '' &&
        registration.userId !== input.id
      ) {
        throw invalidArgument('registration.user_id', 'must be empty or the user id');
      }
      const stored = await directory.upsertUser({
        id: requireText(input.id, 'user.id'),
        tenantId: requireTenant(realm, { tenantId: input.tenantId }, ctx),
        email: input.email,
        username: input.username,
        verified: input.verified,
        active: input.active,
        firstName: input.firstName,
        lastName: input.lastName,
        fullName: input.fullName,
        data: jsonObjectField(input.dataJson, 'user.data_json'),
        lastLoginInstant: toMs(input.lastLoginInstant),
        ...(input.insertInstant > 0n ? { insertInstant: toMs(input.insertInstant) } : {}),
        ...(request.identityLink === undefined
          ? {}
          : { identityLink: identityLinkFromProto(request.identityLink, 'identity_link') }),
      });
      if (registration === undefined) return { user: userToProto(stored) };
      await directory.upsertRegistration(
        stored.tenantId,
        registrationInput(registration, stored.id),
      );
      const user = await directory.getUser(stored.tenantId, { kind: 'id', id: stored.id });
      return { user: userToProto(user ?? stored) };
    },

    async getUser(request, ctx) {
      const tenantId = requireTenant(deps.realm(), { tenantId: request.tenantId }, ctx);
      let selector: UserSelector;
      switch (request.selector?.$case) {
        case 'id':
          selector = { kind: 'id', id: request.selector.value };
          break;
        case 'email':
          selector = { kind: 'email', email: request.selector.value };
          break;
        case 'username':
          selector = { kind: 'username', username: request.selector.value };
          break;
        case 'identityLink':
          selector = {
            kind: 'identity',
            link: identityLinkFromProto(request.selector.value, 'identity_link'),
          };
          break;
        case undefined:
          throw invalidArgument(
            'selector',
            'name the user by id, email, username or identity_link',
          );
      }
      const user = await directory.getUser(tenantId, selector);
      if (user === undefined)
        throw new TesseraError('USER_NOT_FOUND', 'no such user', { field: 'selector' });
      return { user: userToProto(user) };
    },

    async upsertRegistration(request, ctx) {
      const tenantId = requireTenant(deps.realm(), { tenantId: request.tenantId }, ctx);
      const input = request.registration;
      if (input === undefined) throw invalidArgument('registration', 'registration is required');
      const userId = requireText(input.userId, 'registration.user_id');
      const registration = await directory.upsertRegistration(
        tenantId,
        registrationInput(input, userId),
      );
      // The caller needs the user as it now is (Reconcile signs with its registrations): read
      // it here, next to the store, instead of the caller making another call for it.
      const user = await directory.getUser(tenantId, { kind: 'id', id: userId });
      return {
        registration: registrationToProto(registration),
        user: user === undefined ? undefined : userToProto(user),
      };
    },
  };
}

/** A registration from the wire, for the user `userId`. */
function registrationInput(
  input: sessionV1.Registration,
  userId: string,
): Parameters<Directory['upsertRegistration']>[1] {
  return {
    ...(input.id ? { id: input.id } : {}),
    userId,
    applicationId: requireText(input.applicationId, 'registration.application_id'),
    roles: input.roles,
    username: input.username,
    data: jsonObjectField(input.dataJson, 'registration.data_json'),
    lastLoginInstant: toMs(input.lastLoginInstant),
  };
}
