import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import {
  type ExpirationBounds,
  extendExpiration,
  isExpired,
  withinGracePeriod,
} from '../../domain/expiration.js';
import {
  createRequestScope,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  MAX_REQUEST_ID_LENGTH,
} from '../../domain/idempotency.js';
import { forkLimitReached, sourceNotLive } from '../../domain/session-fork.js';
import { planSessionStart } from '../../domain/session-start.js';
import { createTokenCodec, isUuid, type TokenCodec } from '../../domain/token-codec.js';
import type {
  Closable,
  CreateInput,
  DeviceInfo,
  Presenter,
  RefreshTokenRecord,
  RefreshTokenStore,
  RevokeSelector,
  RotateInput,
  RotateOutcome,
  SessionClaims,
} from '../session-store.js';

/**
 * The refresh-token store in process memory, for `npm start` without Redis only: state dies
 * with the process and is not shared between instances. Same contract, codec and policy
 * math as the Redis store (the conformance suite runs against both); every operation runs
 * to completion without yielding, which is what makes it atomic.
 */

/** Older tokens remembered per family, as in the Redis store. */
const ANCESTOR_LIMIT = 32;
/** Expired families are kept this long (reported as expired), then swept, like Redis keys. */
const DEFAULT_SWEEP_AFTER_MS = 60_000;
/** A sweep runs once per this many creations, keeping creation O(1) amortised. */
const SWEEP_EVERY = 256;

/** Options of `createMemoryRefreshTokenStore`. */
export interface MemoryRefreshTokenStoreOptions {
  /** The HMAC key for token hashes and successors (≥ 32 bytes). */
  readonly pepper: Uint8Array;
  readonly clock: Clock;
  /** How long expired families are kept (reported as expired, ended for revocation). */
  readonly expiredRetentionMs?: number;
  /** How long a request id is honoured; default `DEFAULT_IDEMPOTENCY_WINDOW_MS`. */
  readonly idempotencyWindowMs?: number;
}

interface Family {
  readonly id: string;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly startInstant: number;
  readonly policy: RefreshTokenRecord['policy'];
  readonly bounds: ExpirationBounds;
  readonly scopes: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  readonly sessionClaims: SessionClaims;
  insertInstant: number;
  expirationInstant: number;
  device: DeviceInfo;
  current: string;
  parent: string;
  rotatedAt: number;
  parentRequestId: string;
  /** Hashes of older tokens, oldest first (a Set keeps insertion order). */
  readonly ancestors: Set<string>;
  lastPresenter: Presenter;
  revoked: boolean;
  /** The root session this family is a fork of; '' for a root. */
  readonly sourceId: string;
  /** A root's forks, by id (dead ones are dropped when the cap is checked). */
  readonly forks: Set<string>;
}

function snapshot(family: Family): RefreshTokenRecord {
  return {
    id: family.id,
    tenantId: family.tenantId,
    applicationId: family.applicationId,
    userId: family.userId,
    insertInstant: family.insertInstant,
    startInstant: family.startInstant,
    expirationInstant: family.expirationInstant,
    device: { ...family.device },
    scopes: [...family.scopes],
    data: structuredClone(family.data),
    policy: { ...family.policy },
    sessionClaims: { ...family.sessionClaims, roles: [...family.sessionClaims.roles] },
    sourceId: family.sourceId,
  };
}

function byStart(a: RefreshTokenRecord, b: RefreshTokenRecord): number {
  return a.startInstant - b.startInstant || a.id.localeCompare(b.id);
}

/** The in-memory store. */
export class MemoryRefreshTokenStore implements RefreshTokenStore, Closable {
  readonly #codec: TokenCodec;
  readonly #clock: Clock;
  readonly #retentionMs: number;
  readonly #families = new Map<string, Family>();
  readonly #idempotencyWindowMs: number;
  /** Create request keys → the family they created and until when the key is honoured. */
  readonly #createRequests = new Map<string, { readonly id: string; readonly until: number }>();
  #creations = 0;

  /** See `createMemoryRefreshTokenStore`. */
  constructor(options: MemoryRefreshTokenStoreOptions) {
    this.#codec = createTokenCodec(options.pepper);
    this.#clock = options.clock;
    this.#retentionMs = options.expiredRetentionMs ?? DEFAULT_SWEEP_AFTER_MS;
    this.#idempotencyWindowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  }

  async create(input: CreateInput): Promise<{ token: string; record: RefreshTokenRecord }> {
    const now = this.#clock.now();
    const start = planSessionStart(input, now);
    if (++this.#creations % SWEEP_EVERY === 0) this.#sweep(now);
    const id = randomUUID();
    const requestId = input.fork ? '' : (input.requestId ?? '').slice(0, MAX_REQUEST_ID_LENGTH);
    if (requestId !== '') {
      const key = this.#codec.requestKey(createRequestScope({ ...input, requestId }));
      const earlier = this.#createRequests.get(key);
      const replayed =
        earlier !== undefined && now < earlier.until
          ? this.#replayCreate(earlier.id, input, requestId, now)
          : undefined;
      if (replayed !== undefined) return replayed;
      // From now on the id names the family made below, for a whole window.
      this.#createRequests.set(key, { id, until: now + this.#idempotencyWindowMs });
    }
    const sourceId = input.fork ? this.#registerFork(input, id) : '';
    const token = requestId === '' ? this.#codec.mint(id) : this.#codec.firstToken(id, requestId);
    const family: Family = {
      id,
      tenantId: input.tenantId,
      applicationId: input.applicationId,
      userId: input.userId,
      startInstant: start.startInstant,
      policy: { ...input.policy },
      bounds: start.bounds,
      scopes: [...input.scopes],
      data: structuredClone(input.data),
      sessionClaims: { ...input.sessionClaims, roles: [...input.sessionClaims.roles] },
      insertInstant: now,
      expirationInstant: start.expirationInstant,
      device: start.device,
      current: this.#codec.hash(token),
      parent: '',
      rotatedAt: 0,
      parentRequestId: '',
      ancestors: new Set(),
      lastPresenter: { ...input.presenter },
      revoked: false,
      sourceId,
      forks: new Set(),
    };
    this.#families.set(id, family);
    return { token, record: snapshot(family) };
  }

  /** The family a resent Create made, when it is live, the same caller's, and never used. */
  #replayCreate(
    id: string,
    input: CreateInput,
    requestId: string,
    now: number,
  ): { token: string; record: RefreshTokenRecord } | undefined {
    const family = this.#families.get(id);
    if (
      family === undefined ||
      family.revoked ||
      isExpired(family.expirationInstant, now) ||
      family.tenantId !== input.tenantId ||
      family.applicationId !== input.applicationId ||
      family.userId !== input.userId
    ) {
      return undefined;
    }
    const token = this.#codec.firstToken(id, requestId);
    if (family.parent !== '' || family.current !== this.#codec.hash(token)) return undefined;
    return { token, record: snapshot(family) };
  }

  async rotate(input: RotateInput): Promise<RotateOutcome> {
    const parsed = this.#codec.parse(input.token);
    const family = parsed && this.#families.get(parsed.familyId);
    if (
      family === undefined ||
      (input.tenantId !== undefined && family.tenantId !== input.tenantId)
    ) {
      return { ok: false, cause: 'unknown' };
    }
    const presented = this.#codec.hash(input.token);
    const role =
      presented === family.current
        ? 'current'
        : family.parent !== '' && presented === family.parent
          ? 'parent'
          : family.ancestors.has(presented)
            ? 'ancestor'
            : undefined;
    // As in the Redis script: a token the family never issued changes nothing.
    if (role === undefined) return { ok: false, cause: 'unknown' };
    // A fork dies with its root, even if a cascade was interrupted.
    if (family.sourceId !== '' && this.#families.get(family.sourceId)?.revoked === true) {
      family.revoked = true;
    }
    if (family.revoked) return { ok: false, cause: 'revoked' };
    const now = this.#clock.now();
    if (isExpired(family.expirationInstant, now)) return { ok: false, cause: 'expired' };

    const use = (): void => {
      family.expirationInstant = extendExpiration(family.bounds, family.expirationInstant, now);
      family.lastPresenter = { ...input.presenter };
      family.device = {
        ...family.device,
        lastAccessedAddress: input.presenter.ipAddress,
        lastAccessedInstant: now,
      };
    };

    if (role === 'current') {
      if (family.policy.usage === 'Reusable') {
        use();
        return { ok: true, token: input.token, record: snapshot(family), rotated: false };
      }
      if (family.parent !== '') {
        family.ancestors.add(family.parent);
        for (const oldest of family.ancestors) {
          if (family.ancestors.size <= ANCESTOR_LIMIT) break;
          family.ancestors.delete(oldest);
        }
      }
      const successor = this.#codec.successor(input.token);
      family.parent = family.current;
      family.current = this.#codec.hash(successor);
      family.rotatedAt = now;
      family.parentRequestId = input.requestId.slice(0, MAX_REQUEST_ID_LENGTH);
      family.insertInstant = now;
      use();
      return { ok: true, token: successor, record: snapshot(family), rotated: true };
    }

    if (role === 'parent') {
      const resent =
        input.requestId !== '' &&
        input.requestId.slice(0, MAX_REQUEST_ID_LENGTH) === family.parentRequestId &&
        now - family.rotatedAt < this.#idempotencyWindowMs;
      if (resent || withinGracePeriod(family.rotatedAt, family.policy.gracePeriodSeconds, now)) {
        use();
        const successor = this.#codec.successor(input.token);
        return { ok: true, token: successor, record: snapshot(family), rotated: false };
      }
    }

    const revokedIds: string[] = [];
    if (family.policy.revokeFamilyOnReuse) {
      family.revoked = true;
      revokedIds.push(family.id, ...this.#revokeForks(family).map((fork) => fork.id));
    }
    return {
      ok: false,
      cause: 'reused',
      theft: {
        familyId: family.id,
        tenantId: family.tenantId,
        userId: family.userId,
        applicationId: family.applicationId,
        previousPresenter: { ...family.lastPresenter },
        presenter: { ...input.presenter },
        detectedAt: now,
        familyRevoked: family.revoked,
        revokedIds,
      },
    };
  }

  async get(id: string, tenantId?: string): Promise<RefreshTokenRecord | undefined> {
    const family = isUuid(id) ? this.#families.get(id.toLowerCase()) : undefined;
    return family && this.#isLive(family, tenantId) ? snapshot(family) : undefined;
  }

  async listByUser(
    tenantId: string,
    userId: string,
    applicationId?: string,
  ): Promise<RefreshTokenRecord[]> {
    return this.#select(
      tenantId,
      (f) =>
        f.userId === userId && (applicationId === undefined || f.applicationId === applicationId),
    )
      .map(snapshot)
      .sort(byStart);
  }

  async revoke(tenantId: string, selector: RevokeSelector): Promise<RefreshTokenRecord[]> {
    let covered: Family[];
    switch (selector.kind) {
      case 'id': {
        const family = isUuid(selector.id)
          ? this.#families.get(selector.id.toLowerCase())
          : undefined;
        covered = family ? [family] : [];
        break;
      }
      case 'token': {
        const parsed = this.#codec.parse(selector.token);
        const family = parsed && this.#families.get(parsed.familyId);
        const hash = this.#codec.hash(selector.token);
        const issued =
          family !== undefined &&
          (hash === family.current || hash === family.parent || family.ancestors.has(hash));
        covered = issued ? [family] : [];
        break;
      }
      case 'user':
        covered = this.#select(tenantId, (f) => f.userId === selector.userId);
        break;
      case 'application':
        covered = this.#select(tenantId, (f) => f.applicationId === selector.applicationId);
        break;
      case 'user-application':
        covered = this.#select(
          tenantId,
          (f) => f.userId === selector.userId && f.applicationId === selector.applicationId,
        );
        break;
    }
    const revoked: RefreshTokenRecord[] = [];
    for (const family of covered) {
      if (family.tenantId !== tenantId) continue;
      if (this.#isLive(family, tenantId)) revoked.push(snapshot(family));
      family.revoked = true;
    }
    const seen = new Set(revoked.map((record) => record.id));
    for (const family of covered) {
      if (family.tenantId !== tenantId) continue;
      for (const fork of this.#revokeForks(family)) {
        if (!seen.has(fork.id)) revoked.push(fork);
        seen.add(fork.id);
      }
    }
    return revoked.sort(byStart);
  }

  async endedSessions(tenantId: string, selector: RevokeSelector): Promise<string[]> {
    let family: Family | undefined;
    if (selector.kind === 'id' && isUuid(selector.id)) {
      family = this.#families.get(selector.id.toLowerCase());
    }
    if (selector.kind === 'token') {
      const parsed = this.#codec.parse(selector.token);
      const candidate = parsed && this.#families.get(parsed.familyId);
      const hash = this.#codec.hash(selector.token);
      // By token: only a token the family issued last (older ones were superseded long ago).
      if (candidate && (hash === candidate.current || hash === candidate.parent)) {
        family = candidate;
      }
    }
    if (
      family === undefined ||
      family.revoked ||
      family.tenantId !== tenantId ||
      !isExpired(family.expirationInstant, this.#clock.now())
    ) {
      return [];
    }
    return [family.id];
  }

  async lookup(token: string, tenantId?: string): Promise<RefreshTokenRecord | undefined> {
    const parsed = this.#codec.parse(token);
    const family = parsed && this.#families.get(parsed.familyId);
    if (family === undefined || !this.#isLive(family, tenantId)) return undefined;
    const hash = this.#codec.hash(token);
    if (hash === family.current) return snapshot(family);
    const parentLive =
      family.parent !== '' &&
      hash === family.parent &&
      withinGracePeriod(family.rotatedAt, family.policy.gracePeriodSeconds, this.#clock.now());
    return parentLive ? snapshot(family) : undefined;
  }

  async close(): Promise<void> {
    this.#families.clear();
  }

  #isLive(family: Family, tenantId: string | undefined): boolean {
    return (
      !family.revoked &&
      (tenantId === undefined || family.tenantId === tenantId) &&
      !isExpired(family.expirationInstant, this.#clock.now())
    );
  }

  /**
   * Checks the fork's source and registers the new family with the source's root; returns
   * the root's id. Runs without yielding, so no revocation of the root can interleave.
   */
  #registerFork(input: CreateInput, id: string): string {
    const fork = input.fork;
    if (fork === undefined) return '';
    const source = isUuid(fork.sourceId)
      ? this.#families.get(fork.sourceId.toLowerCase())
      : undefined;
    if (
      source === undefined ||
      source.tenantId !== input.tenantId ||
      source.userId !== input.userId
    ) {
      throw sourceNotLive('unknown');
    }
    const root = source.sourceId === '' ? source : this.#families.get(source.sourceId);
    for (const family of [source, root]) {
      if (family === undefined) throw sourceNotLive('unknown');
      if (family.revoked) throw sourceNotLive('revoked');
      if (isExpired(family.expirationInstant, this.#clock.now())) throw sourceNotLive('expired');
    }
    if (root === undefined) throw sourceNotLive('unknown');
    for (const forkId of root.forks) {
      const member = this.#families.get(forkId);
      if (member === undefined || !this.#isLive(member, undefined)) root.forks.delete(forkId);
    }
    if (root.forks.size >= fork.maximumForks) throw forkLimitReached(fork.maximumForks);
    root.forks.add(id);
    return root.id;
  }

  /** Revokes a revoked root's live forks; returns them. */
  #revokeForks(root: Family): RefreshTokenRecord[] {
    const revoked: RefreshTokenRecord[] = [];
    for (const forkId of root.forks) {
      const fork = this.#families.get(forkId);
      if (fork === undefined) continue;
      if (this.#isLive(fork, undefined)) revoked.push(snapshot(fork));
      fork.revoked = true;
    }
    return revoked;
  }

  #select(tenantId: string, matches: (family: Family) => boolean): Family[] {
    const found: Family[] = [];
    for (const family of this.#families.values()) {
      if (this.#isLive(family, tenantId) && matches(family)) found.push(family);
    }
    return found;
  }

  /** Forgets families long expired, so memory does not grow with dead sessions. */
  #sweep(now: number): void {
    for (const [id, family] of this.#families) {
      if (now >= family.expirationInstant + this.#retentionMs) this.#families.delete(id);
    }
    for (const [key, request] of this.#createRequests) {
      if (now >= request.until) this.#createRequests.delete(key);
    }
  }
}

/** The in-memory refresh-token store (for `npm start` without Redis only). */
export function createMemoryRefreshTokenStore(
  options: MemoryRefreshTokenStoreOptions,
): MemoryRefreshTokenStore {
  return new MemoryRefreshTokenStore(options);
}
