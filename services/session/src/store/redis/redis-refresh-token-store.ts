import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import { z } from 'zod';
import { isExpired, withinGracePeriod } from '../../domain/expiration.js';
import {
  createRequestScope,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  MAX_REQUEST_ID_LENGTH,
} from '../../domain/idempotency.js';
import { forkLimitReached, sourceNotLive } from '../../domain/session-fork.js';
import { planSessionStart } from '../../domain/session-start.js';
import { createTokenCodec, isUuid, sameHash, type TokenCodec } from '../../domain/token-codec.js';
import type {
  Closable,
  CreateInput,
  RefreshTokenRecord,
  RefreshTokenStore,
  RevokeSelector,
  RotateInput,
  RotateOutcome,
} from '../session-store.js';
import { decodeFamily, newFamilyFields, pairsToObject, type StoredFamily } from './family-hash.js';
import { REFRESH_TOKEN_SCRIPTS, type RefreshTokenScriptName } from './lua-scripts.js';
import {
  bindScript,
  closeRedisClient,
  connectRedisClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type RedisClient,
  type RedisConnectionOptions,
  type ScriptCall,
} from './redis-client.js';
import { deadlineError, toStoreError } from './redis-errors.js';
import {
  ancestorsKey,
  applicationIndexKey,
  createRequestKey,
  familyKey,
  forksKey,
  userIndexKey,
} from './redis-keys.js';

/** Older tokens remembered per family to recognise their reuse; older still are unknown. */
export const ANCESTOR_LIMIT = 32;
/**
 * How long keys outlive their family's expiration by default. Acceptance is decided by the
 * stored expiration against the injected clock, never by a key's presence; the margin only
 * lets a late refusal say "expired" rather than "unknown", and keeps instances whose clocks
 * differ slightly from disagreeing about it.
 */
export const DEFAULT_EXPIRED_RETENTION_MS = 60_000;
/** Revoke-script statuses after which the family is marked revoked (its forks must follow). */
const MARKED_REVOKED: ReadonlySet<string> = new Set(['ok', 'expired', 'revoked']);
/** Index members read (and families touched) per round. */
const INDEX_BATCH = 200;

const scanReply = z.tuple([z.string(), z.array(z.string())]);

/** What the Redis store needs besides a client. */
export interface RedisRefreshTokenStoreSettings {
  /** The HMAC key for token hashes and successors (≥ 32 bytes, from a secret). */
  readonly pepper: Uint8Array;
  readonly clock: Clock;
  /**
   * The client's command timeout; every store call also gets a deadline just above it, so
   * no call outlives it whatever the client does (cluster redirections included).
   */
  readonly commandTimeoutMs?: number;
  /** Whether `close()` closes the client (true when the store created it). */
  readonly ownsClient?: boolean;
  /** How long keys outlive the expiration; default `DEFAULT_EXPIRED_RETENTION_MS`. */
  readonly expiredRetentionMs?: number;
  /** How long a request id is honoured; default `DEFAULT_IDEMPOTENCY_WINDOW_MS`. */
  readonly idempotencyWindowMs?: number;
}

/** Options of `createRedisRefreshTokenStore`. */
export interface RedisRefreshTokenStoreOptions {
  /** Standalone URL, Sentinel or Cluster. */
  readonly redis: RedisConnectionOptions;
  /** The HMAC key for token hashes and successors (≥ 32 bytes, from a secret). */
  readonly pepper: Uint8Array;
  readonly clock: Clock;
  /** Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long creation waits for the first connection. Default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** Connection errors while the client reconnects by itself (for logs). */
  readonly onConnectionError?: (error: Error) => void;
  /** How long keys outlive the expiration; default `DEFAULT_EXPIRED_RETENTION_MS`. */
  readonly expiredRetentionMs?: number;
  /** How long a request id is honoured; default `DEFAULT_IDEMPOTENCY_WINDOW_MS`. */
  readonly idempotencyWindowMs?: number;
}

/**
 * The production refresh-token store: one family per Redis hash (hash-tagged by family id),
 * rotation and revocation as single-slot Lua scripts, user and application indexes as sets.
 * Acceptance is decided by the stored expiration against the injected clock; key TTLs only
 * collect what is dead.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore, Closable {
  /** The client, for start-up checks (`checkRedisPolicy`) and for sharing. */
  readonly client: RedisClient;
  readonly #codec: TokenCodec;
  readonly #clock: Clock;
  readonly #deadlineMs: number;
  readonly #ownsClient: boolean;
  readonly #retentionMs: number;
  readonly #idempotencyWindowMs: number;
  readonly #scripts: Readonly<Record<RefreshTokenScriptName, ScriptCall>>;

  /**
   * Wraps a client created with `REFRESH_TOKEN_SCRIPTS` among its `scripts` (see
   * `createRedisClient`); use `createRedisRefreshTokenStore` unless the client is shared.
   */
  constructor(client: RedisClient, settings: RedisRefreshTokenStoreSettings) {
    this.client = client;
    this.#codec = createTokenCodec(settings.pepper);
    this.#clock = settings.clock;
    const timeout = settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#deadlineMs = timeout + Math.min(timeout, 250);
    this.#ownsClient = settings.ownsClient ?? false;
    this.#retentionMs = settings.expiredRetentionMs ?? DEFAULT_EXPIRED_RETENTION_MS;
    this.#idempotencyWindowMs = settings.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
    this.#scripts = {
      refreshTokenCreate: bindScript(client, 'refreshTokenCreate'),
      refreshTokenRotate: bindScript(client, 'refreshTokenRotate'),
      refreshTokenRevoke: bindScript(client, 'refreshTokenRevoke'),
      refreshTokenForkRegister: bindScript(client, 'refreshTokenForkRegister'),
      refreshTokenIndexAdd: bindScript(client, 'refreshTokenIndexAdd'),
      refreshTokenIndexHorizon: bindScript(client, 'refreshTokenIndexHorizon'),
    };
  }

  async create(input: CreateInput): Promise<{ token: string; record: RefreshTokenRecord }> {
    const now = this.#clock.now();
    const start = planSessionStart(input, now);
    const id = randomUUID();
    const requestId = input.fork ? '' : (input.requestId ?? '').slice(0, MAX_REQUEST_ID_LENGTH);
    if (requestId !== '') {
      const replayed = await this.#claimCreateRequest(input, requestId, id, now);
      if (replayed !== undefined) return replayed;
    }
    // A fork is listed with its root before its family exists, so a revocation of the root
    // that runs from now on finds it (the revocation of a family not yet stored is retried
    // by the confirmation below).
    const rootId = input.fork ? await this.#registerFork(input, id, now) : '';
    const token = requestId === '' ? this.#codec.mint(id) : this.#codec.firstToken(id, requestId);
    const fields = newFamilyFields(input, start, this.#codec.hash(token), now, rootId);
    const created = await this.#run(() =>
      this.#scripts.refreshTokenCreate(
        familyKey(id),
        start.expirationInstant - now + this.#retentionMs,
        ...fields,
      ),
    );
    if (created !== 1) {
      throw new TesseraError('INTERNAL', 'a new refresh-token family collided with a stored one');
    }
    const family = decodeFamily(id, pairsToObject(fields));
    if (family === undefined) throw new TesseraError('INTERNAL', 'a new family did not decode');
    // The family is written first: an index never names a family that was not stored, and
    // the token is handed out only once both indexes cover it (so revoke-by-user finds it).
    await this.#index(family.record, family.indexHorizon, now);
    if (rootId !== '') await this.#confirmFork(input, rootId, id, now);
    return { token, record: family.record };
  }

  /**
   * Records that this Create's request id makes family `id`, unless an earlier call with the
   * same id did so within the window: then that family and its first token when it can be
   * replayed, else undefined (a new family is made). The key holds `id:until`; acceptance is
   * decided by `until` against the injected clock, the key's TTL only collects it.
   */
  async #claimCreateRequest(
    input: CreateInput,
    requestId: string,
    id: string,
    now: number,
  ): Promise<{ token: string; record: RefreshTokenRecord } | undefined> {
    const key = createRequestKey(
      this.#codec.requestKey(createRequestScope({ ...input, requestId })),
    );
    const value = `${id}:${now + this.#idempotencyWindowMs}`;
    const window = this.#idempotencyWindowMs;
    const claimed = await this.#run(() => this.client.set(key, value, 'PX', window, 'NX'));
    if (claimed === 'OK') return undefined;
    const earlier = (await this.#run(() => this.client.get(key))) ?? '';
    const [earlierId = '', until = '0'] = earlier.split(':');
    const replayed =
      isUuid(earlierId) && now < Number(until)
        ? await this.#replayCreate(earlierId, input, requestId, now)
        : undefined;
    if (replayed !== undefined) return replayed;
    // From now on the id names the family this call makes, for a whole window.
    await this.#run(() => this.client.set(key, value, 'PX', window));
    return undefined;
  }

  /** The family a resent Create made, when it is live, the same caller's, and never used. */
  async #replayCreate(
    earlierId: string,
    input: CreateInput,
    requestId: string,
    now: number,
  ): Promise<{ token: string; record: RefreshTokenRecord } | undefined> {
    // The earlier call may still be writing its family, or have failed: then this one makes a
    // new family (the earlier token, if any, was never delivered).
    const family = await this.#read(earlierId);
    if (
      family === undefined ||
      !this.#isLive(family, input.tenantId) ||
      family.record.applicationId !== input.applicationId ||
      family.record.userId !== input.userId ||
      family.parentHash !== ''
    ) {
      return undefined;
    }
    const token = this.#codec.firstToken(earlierId, requestId);
    if (!sameHash(family.currentHash, this.#codec.hash(token))) return undefined;
    // The earlier call may have stopped before indexing: a revocation by user must find it.
    await this.#index(family.record, family.indexHorizon, now);
    return { token, record: family.record };
  }

  async rotate(input: RotateInput): Promise<RotateOutcome> {
    const parsed = this.#codec.parse(input.token);
    if (parsed === undefined) return { ok: false, cause: 'unknown' };
    const id = parsed.familyId;
    const now = this.#clock.now();
    // The successor is derived, not random: every concurrent or repeated rotation of this
    // token computes the same one, and the script mints it at most once.
    const successor = this.#codec.successor(input.token);
    const raw = await this.#run(() =>
      this.#scripts.refreshTokenRotate(
        familyKey(id),
        ancestorsKey(id),
        forksKey(id),
        this.#codec.hash(input.token),
        this.#codec.hash(successor),
        now,
        input.requestId.slice(0, MAX_REQUEST_ID_LENGTH),
        input.presenter.ipAddress,
        input.presenter.userAgent,
        input.tenantId ?? '',
        ANCESTOR_LIMIT,
        this.#retentionMs,
        this.#idempotencyWindowMs,
      ),
    );
    const { status, pairs } = parseReply(raw, id);
    switch (status) {
      case 'unknown':
      case 'expired':
      case 'revoked':
        return { ok: false, cause: status };
      case 'reused': {
        const family = requireFamily(id, pairs);
        const { record } = family;
        const revokedIds = family.revoked
          ? [id, ...(await this.#revokeForks(id, record.tenantId)).map((fork) => fork.id)]
          : [];
        return {
          ok: false,
          cause: 'reused',
          theft: {
            familyId: id,
            tenantId: record.tenantId,
            userId: record.userId,
            applicationId: record.applicationId,
            previousPresenter: family.lastPresenter,
            presenter: { ...input.presenter },
            detectedAt: now,
            familyRevoked: family.revoked,
            revokedIds,
          },
        };
      }
      case 'rotated':
      case 'replayed':
      case 'used': {
        const family = requireFamily(id, pairs);
        if (await this.#rootRevoked(family.record)) {
          // The root's revocation did not reach this fork (it was interrupted): finish it.
          await this.#revokeFamily(id, family.record.tenantId, {});
          return { ok: false, cause: 'revoked' };
        }
        await this.#keepIndexed(family, now);
        return {
          ok: true,
          token: status === 'used' ? input.token : successor,
          record: family.record,
          rotated: status === 'rotated',
        };
      }
      default:
        throw new TesseraError('INTERNAL', 'the rotation script answered an unknown status', {
          metadata: { status: String(status) },
        });
    }
  }

  async get(id: string, tenantId?: string): Promise<RefreshTokenRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const family = await this.#read(id.toLowerCase());
    return family && this.#isLive(family, tenantId) ? family.record : undefined;
  }

  async listByUser(
    tenantId: string,
    userId: string,
    applicationId?: string,
  ): Promise<RefreshTokenRecord[]> {
    const index = userIndexKey(tenantId, userId);
    const found: RefreshTokenRecord[] = [];
    await this.#eachIndexBatch(index, async (ids) => {
      const families = await Promise.all(
        ids.map(async (id) => [id, await this.#read(id)] as const),
      );
      const dead: string[] = [];
      for (const [id, family] of families) {
        if (family === undefined || family.revoked) dead.push(id);
        else if (
          this.#isLive(family, tenantId) &&
          family.record.userId === userId &&
          (applicationId === undefined || family.record.applicationId === applicationId)
        ) {
          found.push(family.record);
        }
      }
      await this.#prune(index, dead);
    });
    return found.sort(byStart);
  }

  async revoke(tenantId: string, selector: RevokeSelector): Promise<RefreshTokenRecord[]> {
    switch (selector.kind) {
      case 'id': {
        if (!isUuid(selector.id)) return [];
        const id = selector.id.toLowerCase();
        return this.#withForks(id, tenantId, await this.#revokeFamily(id, tenantId, {}));
      }
      case 'token': {
        const parsed = this.#codec.parse(selector.token);
        if (parsed === undefined) return [];
        const outcome = await this.#revokeFamily(parsed.familyId, tenantId, {
          tokenHash: this.#codec.hash(selector.token),
        });
        return this.#withForks(parsed.familyId, tenantId, outcome);
      }
      case 'user':
        return this.#revokeIndexed(userIndexKey(tenantId, selector.userId), tenantId, {
          userId: selector.userId,
        });
      case 'application':
        return this.#revokeIndexed(
          applicationIndexKey(tenantId, selector.applicationId),
          tenantId,
          { applicationId: selector.applicationId },
        );
      case 'user-application':
        return this.#revokeIndexed(userIndexKey(tenantId, selector.userId), tenantId, {
          userId: selector.userId,
          applicationId: selector.applicationId,
        });
    }
  }

  async endedSessions(tenantId: string, selector: RevokeSelector): Promise<string[]> {
    let id: string | undefined;
    let tokenHash: string | undefined;
    if (selector.kind === 'id' && isUuid(selector.id)) id = selector.id.toLowerCase();
    if (selector.kind === 'token') {
      id = this.#codec.parse(selector.token)?.familyId;
      tokenHash = this.#codec.hash(selector.token);
    }
    if (id === undefined) return [];
    const family = await this.#read(id);
    if (
      family === undefined ||
      family.revoked ||
      family.record.tenantId !== tenantId ||
      !isExpired(family.record.expirationInstant, this.#clock.now())
    ) {
      return [];
    }
    // By token: only a token the family issued last (older ones were superseded long ago).
    if (
      tokenHash !== undefined &&
      !sameHash(tokenHash, family.currentHash) &&
      !(family.parentHash !== '' && sameHash(tokenHash, family.parentHash))
    ) {
      return [];
    }
    return [id];
  }

  async lookup(token: string, tenantId?: string): Promise<RefreshTokenRecord | undefined> {
    const parsed = this.#codec.parse(token);
    if (parsed === undefined) return undefined;
    const family = await this.#read(parsed.familyId);
    if (family === undefined || !this.#isLive(family, tenantId)) return undefined;
    const hash = this.#codec.hash(token);
    // Live means "rotate would accept it now": the current token, or the parent inside its
    // grace period.
    if (sameHash(hash, family.currentHash)) return family.record;
    const parentLive =
      family.parentHash !== '' &&
      sameHash(hash, family.parentHash) &&
      withinGracePeriod(
        family.rotatedAt,
        family.record.policy.gracePeriodSeconds,
        this.#clock.now(),
      );
    return parentLive ? family.record : undefined;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await closeRedisClient(this.client);
  }

  /** Runs Redis work under the store's deadline, normalising every failure. */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(deadlineError(this.#deadlineMs)), this.#deadlineMs);
    });
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      throw toStoreError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  #isLive(family: StoredFamily, tenantId: string | undefined): boolean {
    return (
      !family.revoked &&
      (tenantId === undefined || family.record.tenantId === tenantId) &&
      !isExpired(family.record.expirationInstant, this.#clock.now())
    );
  }

  async #read(id: string): Promise<StoredFamily | undefined> {
    const hash = await this.#run(() => this.client.hgetall(familyKey(id)));
    return decodeFamily(id, hash);
  }

  /** Adds the family to its user and application indexes, alive until `horizon`. */
  async #index(record: RefreshTokenRecord, horizon: number, now: number): Promise<void> {
    const ttl = horizon - now + this.#retentionMs;
    await this.#run(() =>
      Promise.all([
        this.#scripts.refreshTokenIndexAdd(
          userIndexKey(record.tenantId, record.userId),
          record.id,
          ttl,
        ),
        this.#scripts.refreshTokenIndexAdd(
          applicationIndexKey(record.tenantId, record.applicationId),
          record.id,
          ttl,
        ),
      ]),
    );
  }

  /**
   * A sliding session may outgrow its indexes' TTL; extend them (a window ahead) before the
   * use is reported, and only then record the new horizon, so a failure here is retried by
   * the next use or resend.
   */
  async #keepIndexed(family: StoredFamily, now: number): Promise<void> {
    const { record } = family;
    if (record.expirationInstant <= family.indexHorizon) return;
    const horizon = record.expirationInstant + family.bounds.slidingMs;
    await this.#index(record, horizon, now);
    await this.#run(() => this.#scripts.refreshTokenIndexHorizon(familyKey(record.id), horizon));
  }

  async #revokeFamily(
    id: string,
    tenantId: string,
    filter: { userId?: string; applicationId?: string; tokenHash?: string },
  ): Promise<{ status: string; record?: RefreshTokenRecord }> {
    const raw = await this.#run(() =>
      this.#scripts.refreshTokenRevoke(
        familyKey(id),
        ancestorsKey(id),
        tenantId,
        this.#clock.now(),
        filter.userId ?? '',
        filter.applicationId ?? '',
        filter.tokenHash ?? '',
      ),
    );
    const { status, pairs } = parseReply(raw, id);
    if (status !== 'ok') return { status };
    return { status, record: requireFamily(id, pairs).record };
  }

  /**
   * Revokes every family an index names that matches the filter. Resolves only after every
   * one of them is marked revoked, which is what makes a later rotation fail.
   */
  async #revokeIndexed(
    index: string,
    tenantId: string,
    filter: { userId?: string; applicationId?: string },
  ): Promise<RefreshTokenRecord[]> {
    const revoked: RefreshTokenRecord[] = [];
    await this.#eachIndexBatch(index, async (ids) => {
      const outcomes = await Promise.all(
        ids.map(async (id) => [id, await this.#revokeFamily(id, tenantId, filter)] as const),
      );
      const dead: string[] = [];
      const withForks = await Promise.all(
        outcomes.map(([id, outcome]) => this.#withForks(id, tenantId, outcome)),
      );
      for (const records of withForks) revoked.push(...records);
      for (const [id, outcome] of outcomes) {
        if (outcome.status !== 'other') dead.push(id);
      }
      await this.#prune(index, dead);
    });
    return revoked.sort(byStart);
  }

  /**
   * The family's own record when this revocation revoked it, then its forks revoked with it.
   * Forks are revoked whenever the family is marked revoked, also when it already was, so a
   * repeated revocation finishes a cascade an earlier one could not.
   */
  async #withForks(
    id: string,
    tenantId: string,
    outcome: { status: string; record?: RefreshTokenRecord },
  ): Promise<RefreshTokenRecord[]> {
    const own = outcome.record ? [outcome.record] : [];
    if (!MARKED_REVOKED.has(outcome.status)) return own;
    return [...own, ...(await this.#revokeForks(id, tenantId))];
  }

  /** Revokes every fork a revoked root lists; returns those this call revoked. */
  async #revokeForks(rootId: string, tenantId: string): Promise<RefreshTokenRecord[]> {
    const members = await this.#run(() => this.client.smembers(forksKey(rootId)));
    const outcomes = await Promise.all(
      members.filter(isUuid).map((forkId) => this.#revokeFamily(forkId, tenantId, {})),
    );
    return outcomes.flatMap((outcome) => (outcome.record ? [outcome.record] : []));
  }

  /** Whether the family is a fork whose root has been revoked. */
  async #rootRevoked(record: RefreshTokenRecord): Promise<boolean> {
    if (record.sourceId === '') return false;
    const flag = await this.#run(() => this.client.hget(familyKey(record.sourceId), 'rev'));
    return flag === '1';
  }

  /**
   * Checks the source and lists the new fork with the source's root (live, of the same
   * tenant and user, below its cap); returns the root's id. Forks that died are dropped
   * from the list only when the cap is reached.
   */
  async #registerFork(input: CreateInput, forkId: string, now: number): Promise<string> {
    const fork = input.fork;
    if (fork === undefined || !isUuid(fork.sourceId)) throw sourceNotLive('unknown');
    const source = await this.#read(fork.sourceId.toLowerCase());
    if (
      source === undefined ||
      source.record.tenantId !== input.tenantId ||
      source.record.userId !== input.userId
    ) {
      throw sourceNotLive('unknown');
    }
    if (source.revoked) throw sourceNotLive('revoked');
    if (isExpired(source.record.expirationInstant, now)) throw sourceNotLive('expired');
    const rootId = source.record.sourceId || source.record.id;
    const register = () => this.#forkScript(input, rootId, forkId, now, false);
    let status = await register();
    if (status === 'full') {
      await this.#pruneForks(rootId);
      status = await register();
    }
    switch (status) {
      case 'ok':
        return rootId;
      case 'full':
        throw forkLimitReached(fork.maximumForks);
      case 'revoked':
      case 'expired':
        throw sourceNotLive(status);
      default:
        throw sourceNotLive('unknown');
    }
  }

  /**
   * Once the fork's family is stored: lists it again with its root, atomically with a
   * liveness check of the root. A root revoked meanwhile may have missed the fork (not yet
   * stored when the cascade reached it), so the fork is revoked here and refused.
   */
  async #confirmFork(input: CreateInput, rootId: string, forkId: string, now: number) {
    const status = await this.#forkScript(input, rootId, forkId, now, true);
    if (status === 'ok' || status === 'expired') return;
    await this.#revokeFamily(forkId, input.tenantId, {});
    throw sourceNotLive(status === 'revoked' ? 'revoked' : 'unknown');
  }

  async #forkScript(
    input: CreateInput,
    rootId: string,
    forkId: string,
    now: number,
    confirm: boolean,
  ): Promise<string> {
    const reply = await this.#run(() =>
      this.#scripts.refreshTokenForkRegister(
        familyKey(rootId),
        forksKey(rootId),
        input.tenantId,
        input.userId,
        now,
        forkId,
        input.fork?.maximumForks ?? 0,
        confirm ? '1' : '0',
      ),
    );
    return String(reply);
  }

  /** Drops the forks that can never be live again from a root's list. */
  async #pruneForks(rootId: string): Promise<void> {
    const members = await this.#run(() => this.client.smembers(forksKey(rootId)));
    const families = await Promise.all(
      members.map(async (id) => [id, isUuid(id) ? await this.#read(id) : undefined] as const),
    );
    const now = this.#clock.now();
    // A fork not stored yet (listed, its family being written) is kept: the confirmation
    // after its creation would list it again anyway.
    const dead = families
      .filter(
        ([, family]) =>
          family !== undefined &&
          (family.revoked || isExpired(family.record.expirationInstant, now)),
      )
      .map(([id]) => id);
    if (dead.length > 0) await this.#run(() => this.client.srem(forksKey(rootId), ...dead));
  }

  /** Calls `visit` with the index's members, a batch at a time, each member once. */
  async #eachIndexBatch(index: string, visit: (ids: string[]) => Promise<void>): Promise<void> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const reply = await this.#run(() => this.client.sscan(index, cursor, 'COUNT', INDEX_BATCH));
      const parsed = scanReply.safeParse(reply);
      if (!parsed.success) throw new TesseraError('INTERNAL', 'unexpected SSCAN reply');
      const [next, members] = parsed.data;
      cursor = next;
      // SSCAN may repeat members, and an index only ever holds family ids (UUIDs).
      const fresh = members.filter((id) => isUuid(id) && !seen.has(id));
      for (const id of fresh) seen.add(id);
      if (fresh.length > 0) await visit(fresh);
    } while (cursor !== '0');
  }

  /** Drops index members whose family is gone or revoked: they can never be live again. */
  async #prune(index: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#run(() => this.client.srem(index, ...ids));
  }
}

/**
 * A script reply: a status, then the family's fields when the script returns them. The scripts
 * are ours, so a plain shape check (an array of strings, at least the status) replaces a schema
 * parser on this path, which every rotation takes; any other shape is INTERNAL, never a guess.
 */
function parseReply(raw: unknown, familyId: string): { status: string; pairs: string[] } {
  const [status, ...pairs] = isStringArray(raw) ? raw : [];
  if (status === undefined) {
    throw new TesseraError('INTERNAL', 'unexpected script reply', {
      metadata: { familyId, shape: Array.isArray(raw) ? 'array' : typeof raw },
    });
  }
  return { status, pairs };
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function requireFamily(id: string, pairs: readonly string[]): StoredFamily {
  const family = decodeFamily(id, pairsToObject(pairs));
  if (family === undefined) throw new TesseraError('INTERNAL', 'a script returned no family');
  return family;
}

function byStart(a: RefreshTokenRecord, b: RefreshTokenRecord): number {
  return a.startInstant - b.startInstant || a.id.localeCompare(b.id);
}

/**
 * Connects to Redis (standalone URL, Sentinel or Cluster) with the fail-fast client
 * settings, registers the scripts and waits for the first connection (UNAVAILABLE if it
 * does not come within `readyTimeoutMs`). Run `checkRedisPolicy(store.client, …)` next.
 */
export async function createRedisRefreshTokenStore(
  options: RedisRefreshTokenStoreOptions,
): Promise<RedisRefreshTokenStore> {
  const client = await connectRedisClient(options, REFRESH_TOKEN_SCRIPTS);
  return new RedisRefreshTokenStore(client, {
    pepper: options.pepper,
    clock: options.clock,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    ownsClient: true,
    ...(options.expiredRetentionMs === undefined
      ? {}
      : { expiredRetentionMs: options.expiredRetentionMs }),
  });
}
