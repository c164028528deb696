import type { Clock } from '@tessera/clock';
import type { Realm } from '@tessera/config';
import type { sessionV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import type { AsyncServiceHandlers, CallContext } from '@tessera/grpc-runtime';
import type { RevocationFeed } from '../domain/revocation-feed.js';
import { type RevokeFindings, revocationOf } from '../domain/revocation-of.js';
import type { SessionMetrics } from '../session-metrics.js';
import type { Directory, UserSelector } from '../store/directory.js';
import type { RevocationLog } from '../store/revocation-log.js';
import type { RefreshTokenStore, RevokeSelector } from '../store/session-store.js';
import { CALLER_KEY } from './authentication.js';
import {
  deviceFromProto,
  jsonObjectField,
  policyFromProto,
  presenterFromProto,
  recordToProto,
  registrationToProto,
  revocationToProto,
  scopesFromProto,
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

/**
 * The tenant a request is about, as the issuer resolves it: the request's tenant, else the
 * tenant the caller's key is locked to, else the only tenant. A tenant-locked key never acts
 * on another tenant.
 */
function requireTenant(realm: Realm, tenantId: string, ctx: CallContext): string {
  const lockedTo = ctx.values.get(CALLER_KEY)?.tenantId;
  if (tenantId !== '' && lockedTo !== undefined && tenantId !== lockedTo) {
    throw new TesseraError('PERMISSION_DENIED', 'the API key is locked to another tenant', {
      field: 'tenant_id',
    });
  }
  const resolved =
    tenantId || lockedTo || (realm.tenants.size === 1 ? [...realm.tenants.keys()][0] : undefined);
  if (resolved === undefined) {
    throw new TesseraError(
      'TENANT_ID_REQUIRED',
      'a tenant id is required: several tenants are configured',
      {
        field: 'tenant_id',
      },
    );
  }
  if (!realm.tenants.has(resolved)) {
    throw new TesseraError('TENANT_NOT_FOUND', `no tenant has id ${resolved}`, {
      field: 'tenant_id',
    });
  }
  return resolved;
}

function requireText(value: string, field: string, max = 256): string {
  if (value === '') throw invalidArgument(field, `${field} is required`);
  if (value.length > max) throw invalidArgument(field, `${field} is longer than ${max} characters`);
  return value;
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

/** The session service's RPCs: proto ↔ store, and the revocation events revokes imply. */
export function createSessionHandlers(deps: SessionHandlerDeps): Handlers {
  const { tokens, directory, clock, metrics } = deps;

  /**
   * Publishes what a revoke implies for access tokens; nothing when it covered nothing. Each
   * append is checked against the tenant's live-entry limit (REVOCATION_LIMIT_REACHED).
   */
  const publish = async (tenantId: string, selector: RevokeSelector, found: RevokeFindings) => {
    const realm = deps.realm();
    const revocations = revocationOf(realm, tenantId, selector, found, clock.now());
    if (revocations.length === 0) return revocations;
    const limits = {
      maxLivePerTenant: realm.tenants.get(tenantId)?.revocation.maxLiveEntries ?? 0,
    };
    try {
      for (const revocation of revocations) await deps.revocations.append(revocation, limits);
    } finally {
      deps.feed.notifyAppended();
    }
    return revocations;
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

  return {
    async create(request, ctx) {
      const realm = deps.realm();
      const tenantId = requireTenant(realm, request.tenantId, ctx);
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
      const { token, record } = await tokens.create({
        tenantId,
        applicationId: application.id,
        userId: requireText(request.userId, 'user_id'),
        policy: policyFromProto(request.policy),
        device: deviceFromProto(request.device),
        scopes: scopesFromProto(request.scopes),
        data: jsonObjectField(request.dataJson, 'data_json'),
        sessionClaims: jsonObjectField(request.sessionClaimsJson, 'session_claims_json'),
        ...(request.startInstant > 0n ? { startInstant: toMs(request.startInstant) } : {}),
        presenter: presenterFromProto(request.presenter),
      });
      metrics.sessions.inc({ outcome: 'created' });
      return { refreshToken: token, record: recordToProto(record) };
    },

    async rotate(request, ctx) {
      const outcome = await tokens.rotate({
        token: requireText(request.refreshToken, 'refresh_token', MAX_TOKEN_LENGTH),
        presenter: presenterFromProto(request.presenter),
        requestId: request.requestId.slice(0, 128),
        ...(request.tenantId || ctx.values.get(CALLER_KEY)?.tenantId
          ? { tenantId: requireTenant(deps.realm(), request.tenantId, ctx) }
          : {}),
      });
      if (outcome.ok) {
        metrics.rotations.inc({ outcome: outcome.rotated ? 'rotated' : 'reused-allowed' });
        return {
          refreshToken: outcome.token,
          record: recordToProto(outcome.record),
          rotated: outcome.rotated,
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
        if (theft.familyRevoked) {
          try {
            await publish(
              theft.tenantId,
              { kind: 'id', id: theft.familyId },
              { sessionIds: [theft.familyId], subjectKnown: true },
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
      const lockedTo = ctx.values.get(CALLER_KEY)?.tenantId;
      const tenantId =
        request.tenantId || lockedTo
          ? requireTenant(deps.realm(), request.tenantId, ctx)
          : undefined;
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
      const tenantId = requireTenant(deps.realm(), request.tenantId, ctx);
      const records = await tokens.listByUser(
        tenantId,
        requireText(request.userId, 'user_id'),
        request.applicationId || undefined,
      );
      return { records: records.map(recordToProto) };
    },

    async revoke(request, ctx) {
      const tenantId = requireTenant(deps.realm(), request.tenantId, ctx);
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
      const revocations = await publish(tenantId, selector, {
        sessionIds: [...revoked.map((record) => record.id), ...ended],
        subjectKnown: revoked.length > 0 || (await subjectKnown(tenantId, selector)),
      });
      const [first] = revocations;
      return {
        revokedCount: revoked.length,
        revocation: first ? revocationToProto(first) : undefined,
      };
    },

    async *watchRevocations(request, ctx) {
      // The stream carries every tenant's revocations (user, session and application ids);
      // a key locked to one tenant may not read the others'.
      if (ctx.values.get(CALLER_KEY)?.tenantId !== undefined) {
        throw new TesseraError(
          'PERMISSION_DENIED',
          'a tenant-locked API key may not watch every tenant’s revocations',
        );
      }
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
      const user = await directory.upsertUser({
        id: requireText(input.id, 'user.id'),
        tenantId: requireTenant(realm, input.tenantId, ctx),
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
      });
      return { user: userToProto(user) };
    },

    async getUser(request, ctx) {
      const tenantId = requireTenant(deps.realm(), request.tenantId, ctx);
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
        case undefined:
          throw invalidArgument('selector', 'name the user by id, email or username');
      }
      const user = await directory.getUser(tenantId, selector);
      if (user === undefined)
        throw new TesseraError('USER_NOT_FOUND', 'no such user', { field: 'selector' });
      return { user: userToProto(user) };
    },

    async upsertRegistration(request, ctx) {
      const tenantId = requireTenant(deps.realm(), request.tenantId, ctx);
      const input = request.registration;
      if (input === undefined) throw invalidArgument('registration', 'registration is required');
      const registration = await directory.upsertRegistration(tenantId, {
        ...(input.id ? { id: input.id } : {}),
        userId: requireText(input.userId, 'registration.user_id'),
        applicationId: requireText(input.applicationId, 'registration.application_id'),
        roles: input.roles,
        username: input.username,
        data: jsonObjectField(input.dataJson, 'registration.data_json'),
        lastLoginInstant: toMs(input.lastLoginInstant),
      });
      return { registration: registrationToProto(registration) };
    },
  };
}
