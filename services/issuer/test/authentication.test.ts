import { Metadata, status } from '@grpc/grpc-js';
import type { issuerV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startIssuer();
});
afterAll(() => h.close());

const vendRequest = (tenantId: string): issuerV1.VendRequest => ({
  tenantId,
  claimsJson: '',
  keyId: '',
  timeToLiveSeconds: 0,
});

describe('caller authentication', () => {
  it('refuses calls without credentials or with an unknown key', async () => {
    expect(await h.fail('vend', vendRequest(h.realm.tenantA))).toMatchObject({
      code: status.UNAUTHENTICATED,
      reason: 'UNAUTHENTICATED',
    });
    expect(
      await h.fail('vend', vendRequest(h.realm.tenantA), 'not-a-key-of-this-realm'),
    ).toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('accepts the key raw, as Basic credentials, or in x-api-key', async () => {
    const basic = new Metadata();
    basic.set(
      'authorization',
      `Basic ${Buffer.from(`apikey:${h.realm.keys.admin}`).toString('base64')}`,
    );
    const header = new Metadata();
    header.set('x-api-key', h.realm.keys.admin);
    for (const credentials of [h.realm.keys.admin, basic, header]) {
      const { token } = await h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
        'vend',
        vendRequest(h.realm.tenantA),
        credentials,
      );
      expect(token.split('.')).toHaveLength(3);
    }
  });

  it('enforces endpoint permissions', async () => {
    await expect(
      h.call('vend', vendRequest(h.realm.tenantA), h.realm.keys.vendOnly),
    ).resolves.toBeDefined();
    const error = await h.fail(
      'validate',
      { tenantId: h.realm.tenantA, token: 'x.y.z', audience: '' },
      h.realm.keys.vendOnly,
    );
    expect(error).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'PERMISSION_DENIED' });
  });

  it('keeps a tenant-locked key inside its tenant and implies that tenant', async () => {
    const error = await h.fail('vend', vendRequest(h.realm.tenantA), h.realm.keys.lockedToB);
    expect(error).toMatchObject({ code: status.PERMISSION_DENIED, field: 'tenant_id' });
    const { token } = await h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
      'vend',
      vendRequest(''),
      h.realm.keys.lockedToB,
    );
    expect(decodeJwt(token).header.kid).toBe('b-es256');
  });

  it('asks for a tenant when several exist and none is implied', async () => {
    const error = await h.fail('vend', vendRequest(''), h.realm.keys.plain);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'TENANT_ID_REQUIRED',
      field: 'tenant_id',
    });
  });

  it('leaves the public-key RPCs open', async () => {
    const keys = await h.call<issuerV1.GetPublicKeysRequest, issuerV1.GetPublicKeysResponse>(
      'getPublicKeys',
      {
        selector: undefined,
      },
    );
    expect(Object.keys(keys.publicKeys).length).toBeGreaterThan(0);
  });

  it('answers UNIMPLEMENTED for the session flows rather than pretending', async () => {
    const error = await h.fail(
      'refresh',
      { tenantId: '', refreshToken: 'x', timeToLiveSeconds: 0, requestId: '' },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ code: status.UNIMPLEMENTED, reason: 'UNIMPLEMENTED' });
  });
});
