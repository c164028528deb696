import { Metadata } from '@grpc/grpc-js';
import { hashApiKey, parseRealm } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { findPresentedApiKey, keyAllows } from '../src/index.js';

const realm = parseRealm(
  `keys: { file: k.json }
tenants: [{ id: 6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01, issuer: x }]
apiKeys:
  - { id: all, keyHash: ${hashApiKey('key-with-everything')} }
  - id: some
    keyHash: ${hashApiKey('key-with-some-rights')}
    permissions: { /api/jwt/vend: [POST], tessera.session.v1.SessionService/Get: [CALL] }
`,
  'realm.yaml',
);

const metadataWith = (key: string) => {
  const metadata = new Metadata();
  metadata.set('authorization', key);
  return metadata;
};

describe('API keys', () => {
  it('finds a presented key by its hash, and refuses unknown ones', () => {
    expect(findPresentedApiKey(realm, metadataWith('key-with-everything'))?.id).toBe('all');
    expect(findPresentedApiKey(realm, new Metadata())).toBeUndefined();
    try {
      findPresentedApiKey(realm, metadataWith('nope'));
      expect.unreachable();
    } catch (error) {
      expect(isTesseraError(error, 'UNAUTHENTICATED')).toBe(true);
    }
  });

  it('checks endpoint permissions by gRPC method or HTTP equivalent', () => {
    const all = findPresentedApiKey(realm, metadataWith('key-with-everything'))!;
    const some = findPresentedApiKey(realm, metadataWith('key-with-some-rights'))!;
    expect(keyAllows(all, 'anything/At-all')).toBe(true);
    expect(keyAllows(some, 'tessera.session.v1.SessionService/Get')).toBe(true);
    expect(keyAllows(some, 'tessera.session.v1.SessionService/Revoke')).toBe(false);
    expect(
      keyAllows(some, 'tessera.issuer.v1.IssuerService/Vend', {
        path: '/api/jwt/vend',
        method: 'POST',
      }),
    ).toBe(true);
    expect(
      keyAllows(some, 'tessera.issuer.v1.IssuerService/Vend', {
        path: '/api/jwt/vend',
        method: 'GET',
      }),
    ).toBe(false);
  });
});
