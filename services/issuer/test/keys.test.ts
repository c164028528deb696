import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { ConfigError } from '@tessera/config';
import type { issuerV1 } from '@tessera/contracts';
import { generateKeyEntry, type KeyFileEntry, PRIVATE_JWK_MEMBERS } from '@tessera/jwt-core';
import { writeTempRealm } from '@tessera/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerApp } from '../src/app.js';
import { decodeJwt, type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startIssuer({ watchIntervalMs: 20 });
});
afterAll(() => h.close());

const publicKeys = (selector: issuerV1.GetPublicKeysRequest['selector']) =>
  h.call<issuerV1.GetPublicKeysRequest, issuerV1.GetPublicKeysResponse>('getPublicKeys', {
    selector,
  });

describe('public keys', () => {
  it('publishes PEM keys of every state but never HMAC keys', async () => {
    const { publicKeys: all } = await publicKeys(undefined);
    expect(Object.keys(all).sort()).toEqual(['a-eddsa', 'a-es256', 'a-rs256', 'b-es256']);
    for (const pem of Object.values(all)) expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('answers by kid and by application, and NOT_FOUND otherwise', async () => {
    expect(
      Object.keys((await publicKeys({ $case: 'keyId', value: 'a-rs256' })).publicKeys),
    ).toEqual(['a-rs256']);
    expect(
      Object.keys(
        (await publicKeys({ $case: 'applicationId', value: h.realm.applicationA })).publicKeys,
      ),
    ).toEqual(['a-es256']);
    expect(
      await h.fail('getPublicKeys', { selector: { $case: 'keyId', value: 'h-hs256' } }),
    ).toMatchObject({
      reason: 'KEY_NOT_FOUND',
    });
    expect(
      await h.fail('getPublicKeys', {
        selector: { $case: 'applicationId', value: '00000000-0000-4000-8000-000000000000' },
      }),
    ).toMatchObject({ reason: 'APPLICATION_NOT_FOUND' });
  });

  it('serves a JWKS without private members, filtered by tenant', async () => {
    const all = JSON.parse(
      (await h.call<issuerV1.GetJwksRequest, issuerV1.GetJwksResponse>('getJwks', { tenantId: '' }))
        .jwksJson,
    );
    expect(all.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([
      'a-eddsa',
      'a-es256',
      'a-rs256',
      'b-es256',
    ]);
    for (const jwk of all.keys)
      for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
    const b = JSON.parse(
      (
        await h.call<issuerV1.GetJwksRequest, issuerV1.GetJwksResponse>('getJwks', {
          tenantId: h.realm.tenantB,
        })
      ).jwksJson,
    );
    expect(b.keys.map((k: { kid: string }) => k.kid)).toEqual(['b-es256']);
  });
});

describe('key rotation without restart', () => {
  it('streams the key set, then the new set when the key file changes', async () => {
    const call = h.client.watchKeys({});
    const messages: issuerV1.WatchKeysResponse[] = [];
    const second = new Promise<void>((resolve, reject) => {
      call.on('data', (message: issuerV1.WatchKeysResponse) => {
        messages.push(message);
        if (messages.length === 2) resolve();
      });
      call.on('error', (error: Error & { code?: number }) => {
        if (error.code !== 1) reject(error);
      });
    });
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    const [first] = messages;
    expect(first?.keys.map((k) => k.keyId).sort()).toEqual([
      'a-eddsa',
      'a-es256',
      'a-rs256',
      'b-es256',
    ]);
    expect(first?.profiles.find((p) => p.tenantId === h.realm.tenantA)).toMatchObject({
      issuer: h.realm.issuerA,
      keyIds: ['a-es256', 'a-rs256', 'a-eddsa'],
      clockToleranceSeconds: 30,
    });

    // Rotate tenant A: the RS256 key becomes current, the ES256 key retires.
    const rotated: KeyFileEntry[] = h.realm.keyEntries.map((entry) =>
      entry.kid === 'a-rs256'
        ? { ...entry, state: 'current' }
        : entry.kid === 'a-es256'
          ? { ...entry, state: 'retired' }
          : entry,
    );
    h.realm.writeKeys(rotated);
    await second;
    call.cancel();
    const latest = messages[1];
    expect(latest?.revision).toBeGreaterThan(first?.revision ?? 0n);
    expect(latest?.keys.find((k) => k.keyId === 'a-rs256')?.state).toBe('KEY_STATE_CURRENT');

    const { token } = await h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
      'vend',
      { tenantId: h.realm.tenantA, claimsJson: '', keyId: '', timeToLiveSeconds: 0 },
      h.realm.keys.admin,
    );
    expect(decodeJwt(token).header.kid).toBe('a-rs256');
  });

  it('keeps the previous keys when a changed key file does not validate', async () => {
    const before = h.app.state.current.revision;
    h.realm.writeKeys([]);
    expect(await h.app.state.reload()).toBe(false);
    expect(h.app.state.current.revision).toBe(before);
    h.realm.writeKeys(h.realm.keyEntries);
    expect(await h.app.state.reload()).toBe(true);
  });
});

describe('start-up checks', () => {
  const realmYaml = (kid: string) => `keys: { file: keys.jwks.json }
tenants:
  - { id: 6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01, issuer: https://x.example, keyIds: [${kid}] }
`;
  const start = (realmFile: string) =>
    createIssuerApp({ realmFile, logger: pino({ level: 'silent' }), clock: new ManualClock() });

  it('refuses weak keys, naming them', async () => {
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'jwk',
    });
    const shortHmac = { kty: 'oct', k: Buffer.alloc(16, 7).toString('base64url') };
    for (const [kid, alg, jwk] of [
      ['weak-rsa', 'RS256', weakRsa],
      ['short-hmac', 'HS256', shortHmac],
    ] as const) {
      const realm = writeTempRealm(realmYaml(kid), [
        { kid, alg, state: 'current', jwk: { ...jwk, kid, alg } },
      ]);
      try {
        await expect(start(realm.realmFile)).rejects.toThrow(kid);
      } finally {
        realm.cleanup();
      }
    }
  });

  it('refuses a tenant without exactly one current key', async () => {
    const next = await generateKeyEntry('ES256', { kid: 'only-next', state: 'next' });
    const realm = writeTempRealm(realmYaml('only-next'), [next]);
    try {
      const error = await start(realm.realmFile).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toContain('exactly one of its keys must be in state "current"');
    } finally {
      realm.cleanup();
    }
  });
});
