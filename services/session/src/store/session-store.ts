/**
 * The session store port: everything the session service keeps, behind one contract that the
 * Redis store (production) and the in-memory store (only when `npm start` finds no Redis)
 * both honour. The conformance suite in test/store runs against both.
 *
 * Contract, each clause proven by a test against real Redis:
 * 1. N concurrent rotations of one OneTimeUse token mint exactly one successor.
 * 2. Once `revoke` has resolved, no `rotate` that starts later succeeds for a covered token.
 * 3. A token is rejected at exactly its policy-computed expiration instant (by the injected
 *    clock), and its records carry a TTL so dead sessions leave memory on their own.
 * 4. Every multi-key script touches one hash slot (keys hash-tagged by family, user,
 *    application or revocation log), so the same code runs on Redis Cluster.
 * 5. Redis down: every call fails with TesseraError UNAVAILABLE within its deadline, never a
 *    wrong success; the store recovers by itself when Redis returns.
 * 6. Token values are never stored: only HMAC-SHA-256 hashes with a server pepper.
 * 7. A fork (a family created with `fork`) is linked to its source's root session: it is
 *    registered with the root only while the root is live and below its fork cap, every
 *    revocation and every reuse-triggered revocation of the root revokes its forks before
 *    resolving, and a fork whose root is revoked is never rotated.
 * 8. Request ids (idempotency keys) are honoured only within the idempotency window, never
 *    revive a revoked or expired family, never hand out a token that was already used, and
 *    keep at most one short-lived entry per Create (and one field per family for Rotate).
 */

/** FusionAuth refresh-token expiration policies. */
export type ExpirationPolicy = 'Fixed' | 'SlidingWindow' | 'SlidingWindowWithMaximumLifetime';
/** FusionAuth refresh-token usage policies. */
export type UsagePolicy = 'Reusable' | 'OneTimeUse';

/** The policy in force for one session, fixed when it starts. */
export interface RefreshPolicy {
  readonly expiration: ExpirationPolicy;
  readonly usage: UsagePolicy;
  readonly timeToLiveMinutes: number;
  /** Only for SlidingWindowWithMaximumLifetime. */
  readonly maximumTimeToLiveMinutes: number;
  /** OneTimeUse: a reuse of the immediate parent within this window returns the same successor. */
  readonly gracePeriodSeconds: number;
  /** OneTimeUse: a reuse outside the grace period revokes the whole family. */
  readonly revokeFamilyOnReuse: boolean;
}

/** Where a token was presented from. */
export interface Presenter {
  readonly ipAddress: string;
  readonly userAgent: string;
}

/** FusionAuth's refresh-token device metadata. */
export interface DeviceInfo {
  readonly description: string;
  readonly lastAccessedAddress: string;
  /** Epoch ms. */
  readonly lastAccessedInstant: number;
  readonly name: string;
  readonly type: string;
}

/**
 * The claims a session fixes when it starts and its access tokens carry across refreshes
 * (in the token: auth_time, authenticationType, roles, email, email_verified,
 * preferred_username).
 */
export interface SessionClaims {
  /** Epoch seconds: when the user authenticated. */
  readonly authTime: number;
  readonly authenticationType: string;
  readonly roles: readonly string[];
  readonly email: string;
  readonly emailVerified: boolean;
  readonly preferredUsername: string;
}

/** A refresh-token family as callers see it (never the token value). */
export interface RefreshTokenRecord {
  /** Stable across rotations: the access tokens' `sid`. A UUID. */
  readonly id: string;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly userId: string;
  /** Epoch ms: when the current token of the family was minted. */
  readonly insertInstant: number;
  /** Epoch ms: when the session started; never changes. */
  readonly startInstant: number;
  /** Epoch ms: the instant the current token stops being accepted. */
  readonly expirationInstant: number;
  readonly device: DeviceInfo;
  readonly scopes: readonly string[];
  /** FusionAuth refreshToken.data. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly policy: RefreshPolicy;
  /** Claims the session's access tokens carry across refreshes. */
  readonly sessionClaims: SessionClaims;
  /** The root session this family is a fork of; '' for a session of its own. */
  readonly sourceId: string;
}

/** Forking a session: the new family lives and dies with the source's root session. */
export interface ForkInput {
  /** The live family to fork (a fork of a fork is linked to the same root). */
  readonly sourceId: string;
  /** How many live forks the root may have; creation beyond is SESSION_FORK_LIMIT. */
  readonly maximumForks: number;
}

/** What starting a session takes. */
export interface CreateInput {
  readonly tenantId: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly policy: RefreshPolicy;
  readonly device: DeviceInfo;
  readonly scopes: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  readonly sessionClaims: SessionClaims;
  /** Epoch ms; defaults to now. FusionAuth issue keeps the original session's start. */
  readonly startInstant?: number;
  readonly presenter: Presenter;
  /**
   * Fork this session (same tenant and user). A source that is unknown, of another user,
   * revoked or expired is REFRESH_TOKEN_INVALID; a root at its cap is SESSION_FORK_LIMIT.
   */
  readonly fork?: ForkInput;
  /**
   * Idempotency key ('' or absent for none; ignored for forks). A resend with the same id
   * and the same tenant, application and user, within the idempotency window, while the first
   * token is unused and the family live, returns that family and token; anything else starts a
   * new family as if no id were given.
   */
  readonly requestId?: string;
}

/** What using a refresh token takes. */
export interface RotateInput {
  readonly token: string;
  readonly presenter: Presenter;
  /**
   * Idempotency key: a resend of the rotation that consumed a token, with the same id and
   * within the idempotency window, returns the same successor (while the family is live and
   * the successor not rotated further) instead of counting as a reuse.
   */
  readonly requestId: string;
  /** When set, a token of another tenant is treated as unknown. */
  readonly tenantId?: string;
}

/** A reuse outside the grace period: who presented the token before, and who now. */
export interface TheftEvent {
  readonly familyId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly applicationId: string;
  readonly previousPresenter: Presenter;
  readonly presenter: Presenter;
  /** Epoch ms. */
  readonly detectedAt: number;
  /** Whether the family was revoked as a consequence. */
  readonly familyRevoked: boolean;
  /** Every family revoked as a consequence: the family, then its forks (empty when none). */
  readonly revokedIds: readonly string[];
}

/** Why a rotation was refused. */
export type RotateFailureCause = 'unknown' | 'expired' | 'revoked' | 'reused';

/** The outcome of a rotation. */
export type RotateOutcome =
  | {
      readonly ok: true;
      /** The token to use next: the successor (OneTimeUse) or the same token (Reusable). */
      readonly token: string;
      readonly record: RefreshTokenRecord;
      /** False when nothing was consumed: Reusable, or a grace-period / request-id replay. */
      readonly rotated: boolean;
    }
  | { readonly ok: false; readonly cause: RotateFailureCause; readonly theft?: TheftEvent };

/** Which refresh tokens a revocation covers. */
export type RevokeSelector =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'application'; readonly applicationId: string }
  | { readonly kind: 'user-application'; readonly userId: string; readonly applicationId: string };

/** The refresh-token half of the store. */
export interface RefreshTokenStore {
  /** Starts a family; returns the token value once (it is never stored). */
  create(input: CreateInput): Promise<{ token: string; record: RefreshTokenRecord }>;
  rotate(input: RotateInput): Promise<RotateOutcome>;
  /** The live family with this id (undefined when unknown, revoked or expired). */
  get(id: string, tenantId?: string): Promise<RefreshTokenRecord | undefined>;
  /** The live families of a user (expired ones omitted), optionally of one application. */
  listByUser(
    tenantId: string,
    userId: string,
    applicationId?: string,
  ): Promise<RefreshTokenRecord[]>;
  /**
   * Revokes every live family the selector covers (within `tenantId`) and the forks of
   * each, and resolves only once none of them can be rotated any more. Returns the revoked
   * records, forks included (a fork may belong to an application the selector does not name).
   */
  revoke(tenantId: string, selector: RevokeSelector): Promise<RefreshTokenRecord[]>;
  /**
   * Ids of the families a revocation by id or token names that have expired (not been
   * revoked) but are still retained: their last access tokens may still be live, so a revoke
   * publishes for them although no refresh token was left to revoke. [] for other selectors,
   * and for anything unknown or of another tenant.
   */
  endedSessions(tenantId: string, selector: RevokeSelector): Promise<string[]>;
  /** The record a token belongs to, when the token is live (used for ownership checks). */
  lookup(token: string, tenantId?: string): Promise<RefreshTokenRecord | undefined>;
}

/** Closes connections; the store is unusable afterwards. */
export interface Closable {
  close(): Promise<void>;
}
