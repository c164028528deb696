import { TesseraError } from '@tessera/errors';
import { z } from 'zod';
import type { ExpirationBounds } from '../../domain/expiration.js';
import type { SessionStart } from '../../domain/session-start.js';
import type {
  CreateInput,
  Presenter,
  RefreshTokenRecord,
  SessionClaims,
} from '../session-store.js';

/**
 * The family hash (`rt:{familyId}`) and its translation to records. Fields the scripts read
 * are kept one per hash field, short-named; what only Node reads is one JSON field (`rec`).
 *
 *   tid uid aid      tenant, user, application
 *   rec              JSON: start, device description/name/type, scopes, data, policy, claims
 *   ins exp          insert (current token minted) and expiration instants, epoch ms
 *   slide cap        expiration bounds: sliding step (0 = Fixed), latest expiry (0 = none)
 *   use grace rvk    'o' one-time use | 'r' reusable; grace period ms; revoke on reuse '1'/'0'
 *   cur par          HMAC of the current token, of its immediate parent ('' before a rotation)
 *   rot preq gen     last rotation instant; request id that minted `cur`; ancestor counter
 *   pip pua          last presenter (IP, user agent), for theft events
 *   laa lai          device last accessed address and instant
 *   rev              '1' once revoked
 *   ixp              instant until which the user and application indexes are known to live
 *   src              the root session this family is a fork of ('' or absent for a root)
 */

const policySchema = z.object({
  expiration: z.enum(['Fixed', 'SlidingWindow', 'SlidingWindowWithMaximumLifetime']),
  usage: z.enum(['Reusable', 'OneTimeUse']),
  timeToLiveMinutes: z.number(),
  maximumTimeToLiveMinutes: z.number(),
  gracePeriodSeconds: z.number(),
  revokeFamilyOnReuse: z.boolean(),
});

/**
 * Session claims as stored in `rec`: the access-token claim names, as families were always
 * written, so families stored before the claims were typed read the same.
 */
const storedClaimsSchema = z
  .object({
    auth_time: z.number().optional(),
    authenticationType: z.string().optional(),
    roles: z.array(z.string()).optional(),
    email: z.string().optional(),
    email_verified: z.boolean().optional(),
    preferred_username: z.string().optional(),
  })
  .transform(
    (stored): SessionClaims => ({
      authTime: stored.auth_time ?? 0,
      authenticationType: stored.authenticationType ?? '',
      roles: stored.roles ?? [],
      email: stored.email ?? '',
      emailVerified: stored.email_verified ?? false,
      preferredUsername: stored.preferred_username ?? '',
    }),
  );

function storedClaims(claims: SessionClaims): z.input<typeof storedClaimsSchema> {
  return {
    auth_time: claims.authTime,
    authenticationType: claims.authenticationType,
    roles: [...claims.roles],
    email: claims.email,
    email_verified: claims.emailVerified,
    preferred_username: claims.preferredUsername,
  };
}

const staticSchema = z.object({
  st: z.number(),
  dev: z.object({ description: z.string(), name: z.string(), type: z.string() }),
  sc: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
  pol: policySchema,
  scl: storedClaimsSchema,
});

/**
 * The hash fields as decodeFamily reads them. The hash is written only by this module and the
 * scripts beside it, so it is checked by a plain shape check rather than a schema parser (one
 * ran on every rotation): each text field must be a string, each instant or length a string of
 * decimal digits; anything else is a corrupt family (INTERNAL), never a guess.
 */
interface HashFields {
  readonly tid: string;
  readonly uid: string;
  readonly aid: string;
  readonly rec: string;
  readonly ins: number;
  readonly exp: number;
  readonly slide: number;
  readonly cap: number;
  readonly grace: number;
  readonly cur: string;
  readonly par: string;
  readonly rot: number;
  readonly pip: string;
  readonly pua: string;
  readonly laa: string;
  readonly lai: number;
  readonly rev: string;
  readonly ixp: number;
  readonly src: string;
}

const TEXT_FIELDS = ['tid', 'uid', 'aid', 'rec', 'cur', 'par', 'pip', 'pua', 'laa', 'rev'] as const;
const INTEGER_FIELDS = ['ins', 'exp', 'slide', 'cap', 'grace', 'rot', 'lai', 'ixp'] as const;
const INTEGER_TEXT = /^-?\d+$/;

/** The hash's fields, or the name of the first one that is missing or of the wrong shape. */
function readHashFields(
  hash: Readonly<Record<string, unknown>>,
):
  | { readonly ok: true; readonly fields: HashFields }
  | { readonly ok: false; readonly field: string } {
  const fields: Record<string, string | number> = {};
  for (const name of TEXT_FIELDS) {
    const value = hash[name];
    if (typeof value !== 'string') return { ok: false, field: name };
    fields[name] = value;
  }
  for (const name of INTEGER_FIELDS) {
    const value = hash[name];
    if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return { ok: false, field: name };
    fields[name] = Number(value);
  }
  // Families stored before forks were linked have no `src`: they are roots.
  const src = hash.src ?? '';
  if (typeof src !== 'string') return { ok: false, field: 'src' };
  fields.src = src;
  return { ok: true, fields: fields as unknown as HashFields };
}

/** A decoded family hash: the record plus what the store itself needs. */
export interface StoredFamily {
  readonly record: RefreshTokenRecord;
  readonly revoked: boolean;
  readonly currentHash: string;
  readonly parentHash: string;
  readonly rotatedAt: number;
  readonly lastPresenter: Presenter;
  readonly bounds: ExpirationBounds;
  readonly indexHorizon: number;
}

/** The instant until which a new family's indexes must live. */
export function initialIndexHorizon(start: SessionStart): number {
  // Fixed and capped sliding sessions can never outlive their cap; an uncapped sliding one
  // gets a window ahead, so its indexes are extended at most once per window.
  return start.bounds.capInstant ?? start.expirationInstant + start.bounds.slidingMs;
}

/** The field/value pairs of a new family, flat, as HSET takes them. */
export function newFamilyFields(
  input: CreateInput,
  start: SessionStart,
  tokenHash: string,
  now: number,
  sourceId: string,
): string[] {
  const { policy } = input;
  const rec = {
    st: start.startInstant,
    dev: {
      description: start.device.description,
      name: start.device.name,
      type: start.device.type,
    },
    sc: [...input.scopes],
    data: input.data,
    pol: {
      expiration: policy.expiration,
      usage: policy.usage,
      timeToLiveMinutes: policy.timeToLiveMinutes,
      maximumTimeToLiveMinutes: policy.maximumTimeToLiveMinutes,
      gracePeriodSeconds: policy.gracePeriodSeconds,
      revokeFamilyOnReuse: policy.revokeFamilyOnReuse,
    },
    scl: storedClaims(input.sessionClaims),
  } satisfies z.input<typeof staticSchema>;
  const fields: Record<string, string> = {
    tid: input.tenantId,
    uid: input.userId,
    aid: input.applicationId,
    rec: JSON.stringify(rec),
    ins: String(now),
    exp: String(start.expirationInstant),
    slide: String(start.bounds.slidingMs),
    cap: String(start.bounds.capInstant ?? 0),
    use: policy.usage === 'OneTimeUse' ? 'o' : 'r',
    grace: String(policy.gracePeriodSeconds * 1000),
    rvk: policy.revokeFamilyOnReuse ? '1' : '0',
    cur: tokenHash,
    par: '',
    rot: '0',
    preq: '',
    gen: '0',
    pip: input.presenter.ipAddress,
    pua: input.presenter.userAgent,
    laa: start.device.lastAccessedAddress,
    lai: String(start.device.lastAccessedInstant),
    rev: '0',
    ixp: String(initialIndexHorizon(start)),
    src: sourceId,
  };
  return Object.entries(fields).flat();
}

/** Turns a flat [field, value, …] reply into an object. */
export function pairsToObject(pairs: readonly unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) object[String(pairs[i])] = pairs[i + 1];
  return object;
}

function corrupt(familyId: string, cause: unknown): TesseraError {
  return new TesseraError('INTERNAL', 'a stored refresh-token family is unreadable', {
    metadata: { familyId },
    cause,
  });
}

/** Decodes a family hash (HGETALL); undefined when the hash does not exist. */
export function decodeFamily(
  familyId: string,
  hash: Readonly<Record<string, unknown>>,
): StoredFamily | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const fields = readHashFields(hash);
  if (!fields.ok)
    throw corrupt(familyId, new Error(`field ${fields.field} is missing or malformed`));
  const f = fields.fields;
  let json: unknown;
  try {
    json = JSON.parse(f.rec);
  } catch (error) {
    throw corrupt(familyId, error);
  }
  const stat = staticSchema.safeParse(json);
  if (!stat.success) throw corrupt(familyId, stat.error);
  const s = stat.data;
  return {
    record: {
      id: familyId,
      tenantId: f.tid,
      applicationId: f.aid,
      userId: f.uid,
      insertInstant: f.ins,
      startInstant: s.st,
      expirationInstant: f.exp,
      device: { ...s.dev, lastAccessedAddress: f.laa, lastAccessedInstant: f.lai },
      scopes: s.sc,
      data: s.data,
      policy: s.pol,
      sessionClaims: s.scl,
      sourceId: f.src,
    },
    revoked: f.rev === '1',
    currentHash: f.cur,
    parentHash: f.par,
    rotatedAt: f.rot,
    lastPresenter: { ipAddress: f.pip, userAgent: f.pua },
    bounds: { slidingMs: f.slide, capInstant: f.cap === 0 ? undefined : f.cap },
    indexHorizon: f.ixp,
  };
}
