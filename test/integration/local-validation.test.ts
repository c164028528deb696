import type { sessionV1 } from '@tessera/contracts';
import { credentialsMetadata } from '@tessera/grpc-runtime';
import { Keyring } from '@tessera/jwt-core';
import { createLocalValidator, type LocalValidator } from '@tessera/local-validation';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startSessionFor, startStack } from '../support/stack.js';

let s: Stack;
let validator: LocalValidator;

beforeAll(async () => {
  // Tenant B also accepts a-rs256, one of A's keys: a kid that names two tenants.
  s = await startStack({ realm: { tenantBKeyIds: ['b-es256', 'a-rs256'] } });
  validator = createLocalValidator({
    issuer: s.issuerClient,
    session: s.sessionClient,
    metadata: () => credentialsMetadata(s.realm.keys.plain),
    clock: s.clock,
    logger: pino({ level: 'silent' }),
  });
  await validator.ready;
});
afterAll(async () => {
  validator.stop();
  await s.close();
});

const startSession = (userId: string) => startSessionFor(s, userId);

/** Validates until `predicate` holds (revocations arrive by stream), bounded. */
async function eventually(token: string, predicate: (reason: string | undefined) => boolean) {
  for (let i = 0; i < 300; i++) {
    const result = await validator.validate(token);
    const reason = result.valid ? undefined : result.reason;
    if (predicate(reason)) return reason;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the validator never reached the expected answer');
}

describe('local validation (gateway, sidecar)', () => {
  it('validates like the issuer, picks the tenant from the token, and caches without extending a life', async () => {
    const { token, refreshTokenId } = await startSession('local-user');
    const first = await validator.validate(token);
    expect(first).toMatchObject({ valid: true, tenantId: s.realm.tenantA, kid: 'a-es256' });
    // A cache hit still answers with the claims and tenant, decoded again from the token.
    const hitsBefore = validator.state().cacheHits;
    const hit = await validator.validate(token);
    expect(validator.state().cacheHits).toBe(hitsBefore + 1);
    expect(hit).toEqual(first);
    // The cache is keyed by the whole token's digest: the same header and claims under another
    // signature are verified, not served from the entry of the genuine token.
    const [header, payload, signature = ''] = token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await validator.validate(forged)).toMatchObject({
      valid: false,
      reason: 'BAD_SIGNATURE',
    });

    // Revoking the session reaches the cached token.
    await s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
      tenantId: s.realm.tenantA,
      selector: { $case: 'id', value: refreshTokenId },
      ownerUserId: '',
    });
    expect(await eventually(token, (reason) => reason === 'REVOKED')).toBe('REVOKED');
  });

  it('answers a repeat token from the cache synchronously, and only a repeat token', async () => {
    const { token, refreshTokenId } = await startSession('local-cached');
    const before = validator.state();
    // Never seen: the cache has no answer, and asking does not count as a miss.
    expect(validator.validateCached(token)).toBeUndefined();
    expect(validator.state().cacheMisses).toBe(before.cacheMisses);
    const verified = await validator.validate(token);
    expect(validator.state().cacheMisses).toBe(before.cacheMisses + 1);
    // Seen: the same answer as validate, in the same turn, counted as a hit.
    expect(validator.validateCached(token)).toEqual(verified);
    expect(validator.state().cacheHits).toBe(before.cacheHits + 1);
    // An extra audience is never answered from the cache, nor is a tenant it was not cached for.
    expect(validator.validateCached(token, { audience: 'api' })).toBeUndefined();
    expect(validator.validateCached(token, { tenantId: s.realm.tenantB })).toBeUndefined();
    // A forged signature over the same header and claims is another digest: not a hit.
    const [header, payload, signature = ''] = token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(validator.validateCached(forged)).toBeUndefined();
    // Expiry and revocation are re-checked on every synchronous hit too.
    const start = s.clock.now();
    s.clock.advance((3600 + 30) * 1000);
    try {
      expect(validator.validateCached(token)).toMatchObject({ valid: false, reason: 'EXPIRED' });
    } finally {
      s.clock.set(start);
    }
    await validator.validate(token);
    await s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
      tenantId: s.realm.tenantA,
      selector: { $case: 'id', value: refreshTokenId },
      ownerUserId: '',
    });
    expect(await eventually(token, (reason) => reason === 'REVOKED')).toBe('REVOKED');
    expect(validator.validateCached(token)).toMatchObject({ valid: false, reason: 'REVOKED' });
  });

  it('expires a cached token at its exp plus tolerance', async () => {
    const { token } = await startSession('local-expiry');
    expect(await validator.validate(token)).toMatchObject({ valid: true });
    const start = s.clock.now();
    try {
      s.clock.advance((3600 + 30) * 1000);
      expect(await validator.validate(token)).toMatchObject({ valid: false, reason: 'EXPIRED' });
    } finally {
      s.clock.set(start);
    }
  });

  it('never lets a token of one tenant validate as another, and refuses garbage structurally', async () => {
    const { token } = await startSession('local-tenant');
    expect(await validator.validate(token, { tenantId: s.realm.tenantB })).toMatchObject({
      valid: false,
      reason: 'UNKNOWN_KID',
    });
    expect(await validator.validate('not-a-token')).toMatchObject({
      valid: false,
      reason: 'MALFORMED',
    });
    // A real header (its kid picks the tenant) over a payload that is not JSON: refused, the
    // signature failing before the payload is ever read.
    const [header, , signature = ''] = token.split('.');
    const garbage = Buffer.from('{not json').toString('base64url');
    expect(await validator.validate(`${header}.${garbage}.${signature}`)).toMatchObject({
      valid: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  it("tells apart tenants that accept the same key by the token's iss", async () => {
    // a-rs256 is accepted by tenants A and B (see beforeAll): its kid names two profiles.
    const keyring = await Keyring.fromEntries(s.realm.keyEntries);
    const iat = Math.floor(s.clock.now() / 1000);
    const tokenOf = (issuer: string, tenantId: string) =>
      keyring.sign('a-rs256', { iss: issuer, sub: 'user-1', tid: tenantId, iat, exp: iat + 300 });
    const ofB = await validator.validate(await tokenOf(s.realm.issuerB, s.realm.tenantB));
    expect(ofB.valid ? ofB.tenantId : ofB.reason).toBe(s.realm.tenantB);
    expect(await validator.validate(await tokenOf(s.realm.issuerA, s.realm.tenantA))).toMatchObject(
      {
        valid: true,
        tenantId: s.realm.tenantA,
      },
    );
    // B's issuer on a token naming tenant A: B's profile is chosen, and refuses it.
    expect(await validator.validate(await tokenOf(s.realm.issuerB, s.realm.tenantA))).toMatchObject(
      {
        valid: false,
        reason: 'ISSUER_MISMATCH',
      },
    );
  });
});
