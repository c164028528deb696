import type { Metadata } from '@grpc/grpc-js';
import type { Clock } from '@tessera/clock';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import {
  TokenVerifier,
  type VerificationEngine,
  type VerificationProfile,
  type VerifyResult,
} from '@tessera/jwt-core';
import { followRevocations, type RevocationFollower, RevocationSet } from '@tessera/revocation-set';
import type { Logger } from 'pino';
import { DecodedPartsCache, decodeParts } from './decoded-parts.js';
import { followKeys, type KeyFollower } from './follow-keys.js';
import { TokenCache, tokenCacheKey } from './token-cache.js';

/** Options of {@link createLocalValidator}. */
export interface LocalValidatorOptions {
  readonly issuer: issuerV1.IssuerServiceClient;
  /** Without a session client nothing is revoked locally. */
  readonly session?: sessionV1.SessionServiceClient;
  /** Credentials for the session service's revocation stream. */
  readonly metadata: () => Metadata;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxTokenLength?: number;
  /** Verified tokens kept for repeat validations; 0 disables the cache. Default 10,000. */
  readonly cacheSize?: number;
  /**
   * Where signatures are checked (@tessera/jwt-core's VerificationEngine). Default
   * `node-crypto`, on the event loop; `node-crypto-pool` checks them on libuv's thread pool,
   * for a process whose loop is its bottleneck under many first-seen tokens at once.
   */
  readonly engine?: VerificationEngine;
}

/** Per-call options of a local validation. */
export interface ValidateOptions {
  /** The tenant to validate for; without it, the tenant whose profile holds the token's key. */
  readonly tenantId?: string;
  /** An audience required on top of the profile's (such answers are never cached). */
  readonly audience?: string;
}

/** A local validation's answer: the verifier's, with the tenant of a valid token. */
export type LocalResult = VerifyResult & { tenantId?: string };

/** What a validator holds, for readiness and metrics. */
export interface LocalValidatorState {
  /** Revision of the key set in force; undefined before the first one. */
  readonly keyRevision: bigint | undefined;
  /**
   * When (clock epoch milliseconds) revocations were last known current; undefined before the
   * first snapshot, and always without a session service (nothing is followed).
   */
  readonly revocationsCurrentAt: number | undefined;
  /** Cache lookups answered from the cache, and those that had to verify, since start. */
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheSize: number;
}

/** A token validated where it is presented, exactly as the issuer's Validate would. */
export interface LocalValidator {
  /** Resolves once keys (and revocations, when followed) have arrived. */
  readonly ready: Promise<void>;
  /** Whether `ready` has resolved: report not ready (readiness probes) until it has. */
  isReady(): boolean;
  /**
   * Validates a token for `tenantId`, or, without one, for the tenant whose profile holds the
   * token's `kid` and `iss` (unverified hints used only to pick the profile; the profile
   * then checks both). UNAVAILABLE before `ready`: without the first revocation snapshot a
   * revoked token would pass.
   */
  validate(token: string, options?: ValidateOptions): Promise<LocalResult>;
  /**
   * `validate`'s answer when the cache alone gives it, synchronously: a repeat token, re-checked
   * for expiry and revocation as on every hit. Undefined when the token must be verified (call
   * `validate`). For hot paths that would otherwise wait a turn for an answer already known.
   * Throws UNAVAILABLE before `ready`, as `validate` does.
   */
  validateCached(token: string, options?: ValidateOptions): LocalResult | undefined;
  /** Key revision, revocation freshness and cache counters. */
  state(): LocalValidatorState;
  /** `state().revocationsCurrentAt` alone, for callers that ask on every request. */
  revocationsCurrentAt(): number | undefined;
  stop(): void;
}

/** Tokens whose decoded claims are kept for repeat hits (see DecodedPartsCache). */
const RECENT_PARTS_CAPACITY = 256;

const NO_TENANT: VerificationProfile = Object.freeze({
  tenantId: '',
  issuer: '',
  keyIds: [],
  clockToleranceSeconds: 0,
  audiences: [],
});

/** The unverified `kid` of a compact JWS's header, if it has one. */
function unverifiedKid(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString());
    const kid = typeof header === 'object' && header !== null && 'kid' in header ? header.kid : '';
    return typeof kid === 'string' && kid !== '' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** The unverified `iss` of a compact JWS's payload, if it has one. */
function unverifiedIssuer(token: string): string | undefined {
  const iss = decodeParts(token)?.payload.iss;
  return typeof iss === 'string' && iss !== '' ? iss : undefined;
}

/**
 * The gateway's and the sidecar's validator: the issuer's one verification profile
 * (@tessera/jwt-core) over keys and profiles pushed by WatchKeys and revocations pushed by
 * WatchRevocations. No network hop per token. A verified token is cached by its whole value;
 * every hit re-checks expiry and revocation, so the cache never extends a token's life.
 */
export function createLocalValidator(options: LocalValidatorOptions): LocalValidator {
  const { clock, logger } = options;
  const revocations = new RevocationSet();
  const cache = new TokenCache(options.cacheSize ?? 10_000);
  const recentParts = new DecodedPartsCache(
    Math.min(options.cacheSize ?? 10_000, RECENT_PARTS_CAPACITY),
  );
  // Bumped with every key set: a verification that started under an older set must not be
  // cached after the set changed (it may rest on a withdrawn key).
  let keyGeneration = 0;
  // Both streams wait for their channel to connect instead of failing at once while a backend
  // is down: the channel's own reconnect attempts (its backoff is the caller's channel option)
  // then start the stream as soon as the backend is back, rather than the follower's next
  // retry seconds later. Readiness after an outage is bounded by the channel's backoff cap.
  const metadata = () => {
    const value = options.metadata();
    value.setOptions({ waitForReady: true });
    return value;
  };
  const keys: KeyFollower = followKeys({
    client: options.issuer,
    metadata,
    logger,
    onApplied: () => {
      keyGeneration += 1;
      cache.clear();
      // Nothing in it can be stale (parts follow from the token's bytes), nor needed now.
      recentParts.clear();
    },
  });
  const revocationFollower: RevocationFollower | undefined = options.session
    ? followRevocations({
        client: options.session,
        set: revocations,
        metadata,
        logger,
        clock,
      })
    : undefined;
  const verifierOptions = {
    keys: () => keys.current()?.keys ?? { get: () => undefined },
    clock,
    ...(options.maxTokenLength ? { maxTokenLength: options.maxTokenLength } : {}),
    isRevoked: (claims: Readonly<Record<string, unknown>>, profile: VerificationProfile) =>
      revocations.isRevoked(claims, profile.tenantId, clock.now()),
  };
  const verifier = new TokenVerifier({
    ...verifierOptions,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  // On the calling thread: nothing can change between its key lookup and its answer.
  const inlineVerifier =
    options.engine === undefined || options.engine === 'node-crypto'
      ? verifier
      : new TokenVerifier({ ...verifierOptions, engine: 'node-crypto' });

  // The tenant of a token asked about without one: the profile accepting its key. Only when
  // several tenants accept that key is the payload decoded, for the `iss` that tells them
  // apart (the verifier decodes it again, verified, either way).
  const profileFor = (
    token: string,
    tenantId: string | undefined,
  ): VerificationProfile | undefined => {
    const profiles = keys.current()?.profiles ?? [];
    if (tenantId) return profiles.find((profile) => profile.tenantId === tenantId);
    const kid = unverifiedKid(token);
    if (kid === undefined) return undefined;
    const candidates = profiles.filter((profile) => profile.keyIds.includes(kid));
    if (candidates.length <= 1) return candidates[0];
    const iss = unverifiedIssuer(token);
    return candidates.find((profile) => profile.issuer === iss) ?? candidates[0];
  };

  let loaded = false;
  let cacheHits = 0;
  let cacheMisses = 0;
  const ready = Promise.all([keys.ready, revocationFollower?.ready]).then(() => {
    loaded = true;
  });

  // The cache is consulted first, by the tenant asked for (or none) and the token's digest,
  // so a repeat token costs a hash and a map lookup, not a signature. Answers that require an
  // extra audience are neither looked up nor kept. Before `ready` nothing is answered: without
  // the first revocation snapshot a revoked token would pass.
  const cacheKeyOf = (token: string, validateOptions: ValidateOptions): string | undefined => {
    if (!loaded) {
      throw new TesseraError(
        'UNAVAILABLE',
        'the validator has not loaded its keys and revocations yet; retry shortly',
      );
    }
    return validateOptions.audience ? undefined : tokenCacheKey(token, validateOptions.tenantId);
  };

  // An entry keeps only exp, kid and the profile it was verified under; the claims come from
  // the presented token, which is the verified one (same digest): decoded again, or, for the
  // few hundred most recent tokens, kept decoded (frozen: every hit shares them). Every
  // key-set change empties the cache. Undefined: not cached, the token must be verified.
  // Hits are counted here, misses by `validate`.
  const fromCache = (cacheKey: string, token: string): LocalResult | undefined => {
    const cached = cache.get(cacheKey);
    const parts = cached === undefined ? undefined : recentParts.decode(cacheKey, token);
    if (cached === undefined || parts === undefined) return undefined;
    cacheHits += 1;
    const { exp, kid, profile } = cached;
    if (exp + profile.clockToleranceSeconds <= clock.now() / 1000) {
      cache.delete(cacheKey);
      return { valid: false, reason: 'EXPIRED', kid };
    }
    if (revocations.isRevoked(parts.payload, profile.tenantId, clock.now())) {
      return { valid: false, reason: 'REVOKED', kid };
    }
    return {
      valid: true,
      claims: parts.payload,
      kid,
      header: parts.header,
      tenantId: profile.tenantId,
    };
  };

  const revocationsCurrentAt = () => revocationFollower?.currentAt();

  // Verifications in flight, by cache key: at most one per token, gone once it settles.
  const verifying = new Map<string, Promise<LocalResult>>();

  // A token the cache does not answer, verified; cached under `cacheKey` when valid.
  const verify = async (
    token: string,
    validateOptions: ValidateOptions,
    cacheKey: string | undefined,
  ): Promise<LocalResult> => {
    const verifyOptions = validateOptions.audience ? { audience: validateOptions.audience } : {};
    const generation = keyGeneration;
    let profile = profileFor(token, validateOptions.tenantId);
    // No tenant accepting this token's key: verifying against a profile that accepts no key
    // still runs the structural checks, so garbage is MALFORMED and `alg: none` refused.
    let result = await verifier.verify(token, profile ?? NO_TENANT, verifyOptions);
    if (generation !== keyGeneration) {
      // The keys and profiles changed while the signature was checked off this thread (the
      // pool engine): a key withdrawn meanwhile must not pass. Answered again under those in
      // force now, on this thread, where they cannot change before the answer.
      profile = profileFor(token, validateOptions.tenantId);
      result = await inlineVerifier.verify(token, profile ?? NO_TENANT, verifyOptions);
    }
    if (profile === undefined) return result;
    if (result.valid && cacheKey !== undefined && generation === keyGeneration) {
      // A valid token always has a numeric exp (the profile requires it); one without is
      // simply not cached.
      const exp = result.claims.exp;
      if (typeof exp === 'number') cache.set(cacheKey, { exp, kid: result.kid, profile });
    }
    return result.valid ? { ...result, tenantId: profile.tenantId } : result;
  };

  return {
    ready,
    isReady: () => loaded,
    validate(token, validateOptions = {}) {
      // Not an async function: a verification in flight is handed back as it is, with no
      // promise of its own around it (this is the path of every first-seen token).
      let cacheKey: string | undefined;
      let cached: LocalResult | undefined;
      try {
        cacheKey = cacheKeyOf(token, validateOptions);
        cached = cacheKey === undefined ? undefined : fromCache(cacheKey, token);
      } catch (error) {
        return Promise.reject(error);
      }
      if (cached !== undefined) return Promise.resolve(cached);
      if (cacheKey === undefined) return verify(token, validateOptions, undefined);
      // Counted here, not in validateCached: a caller that tried the cache first and then
      // verifies missed once.
      cacheMisses += 1;
      // Requests that bring the same new token at once (a page's parallel calls, or a forged
      // token sent many times over) share one verification instead of one each.
      const pending = verifying.get(cacheKey);
      if (pending !== undefined) return pending;
      const key = cacheKey;
      const verification = verify(token, validateOptions, key);
      verifying.set(key, verification);
      const settled = () => verifying.delete(key);
      verification.then(settled, settled);
      return verification;
    },
    validateCached(token, validateOptions = {}) {
      const cacheKey = cacheKeyOf(token, validateOptions);
      return cacheKey === undefined ? undefined : fromCache(cacheKey, token);
    },
    revocationsCurrentAt,
    state: () => ({
      keyRevision: keys.current()?.revision,
      revocationsCurrentAt: revocationsCurrentAt(),
      cacheHits,
      cacheMisses,
      cacheSize: cache.size,
    }),
    stop() {
      keys.stop();
      revocationFollower?.stop();
    },
  };
}
