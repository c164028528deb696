import { parseRealm } from '@tessera/config';
import type { issuerV1 } from '@tessera/contracts';
import { isTesseraError } from '@tessera/errors';
import { Keyring } from '@tessera/jwt-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeGenerateBearer } from '../src/domain/generate-bearer.js';
import { PRIVILEGED_CLAIMS } from '../src/domain/reserved-claims.js';
import { decodeJwt, type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
let keyring: Keyring;
beforeAll(async () => {
  h = await startIssuer();
  keyring = await Keyring.fromEntries(h.realm.keyEntries);
});
afterAll(() => h.close());

const GENERATE_SCOPE = 'AuthenticationToken.Write';

/** A token signed with tenant A's current key: what any of the tenant's flows could mint. */
function signedByTenantA(claims: Record<string, unknown>): Promise<string> {
  const iat = Math.floor(h.clock.now() / 1000);
  return keyring.sign('a-es256', { iss: h.realm.issuerA, iat, exp: iat + 600, ...claims });
}

const generateAs = (credentials: string) =>
  h.fail(
    'generate',
    {
      tenantId: h.realm.tenantA,
      claimSets: [{ claims: [{ type: 'sub', value: 'anyone', valueType: '' }] }],
      validityDuration: '',
    } satisfies issuerV1.GenerateRequest,
    credentials,
  );

describe('security finding 1 — caller claims never grant Generate, a tenant, a session or an application', () => {
  it('finding 1: an application-bound key cannot mint an app token with scope or roles, and an app token is no Generate bearer', async () => {
    // The attack: the admin key is bound to application A; its app token asks for the
    // Generate scope and admin roles.
    const attack = await h.fail(
      'issueApplicationToken',
      { claimsJson: JSON.stringify({ scope: GENERATE_SCOPE, roles: ['admin'] }) },
      h.realm.keys.admin,
    );
    expect(attack).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'claims_json',
      metadata: { claim: 'scope' },
    });
    const roles = await h.fail(
      'issueApplicationToken',
      { claimsJson: JSON.stringify({ roles: ['admin'] }) },
      h.realm.keys.admin,
    );
    expect(roles).toMatchObject({ reason: 'INVALID_ARGUMENT', metadata: { claim: 'roles' } });

    // What the issuer minted for that request before: even such a token is refused as bearer.
    const { token } = await h.call<
      issuerV1.IssueApplicationTokenRequest,
      issuerV1.IssueApplicationTokenResponse
    >('issueApplicationToken', { claimsJson: '{"name":"partner"}' }, h.realm.keys.admin);
    const appToken = decodeJwt(token).payload;
    expect(appToken.amr).toEqual(['none']);
    const escalated = await signedByTenantA({
      ...appToken,
      scope: GENERATE_SCOPE,
      roles: ['admin'],
    });
    expect(await generateAs(`Bearer ${escalated}`)).toMatchObject({
      reason: 'PERMISSION_DENIED',
    });
  });

  it('finding 1: Vend, Generate and IssueApplicationToken refuse every privileged claim, naming it', async () => {
    for (const name of PRIVILEGED_CLAIMS) {
      const claimsJson = JSON.stringify({ [name]: 'x' });
      expect(
        await h.fail(
          'vend',
          { tenantId: h.realm.tenantA, claimsJson, keyId: '', timeToLiveSeconds: 0 },
          h.realm.keys.admin,
        ),
      ).toMatchObject({
        reason: 'INVALID_ARGUMENT',
        field: 'claims_json',
        metadata: { claim: name },
      });
      expect(
        await h.fail('issueApplicationToken', { claimsJson }, h.realm.keys.admin),
      ).toMatchObject({ reason: 'INVALID_ARGUMENT', metadata: { claim: name } });
      expect(
        await h.fail(
          'generate',
          {
            tenantId: h.realm.tenantA,
            claimSets: [
              { claims: [{ type: 'sub', value: 'a', valueType: '' }] },
              { claims: [{ type: name, value: 'x', valueType: '' }] },
            ],
            validityDuration: '',
          },
          h.realm.keys.admin,
        ),
      ).toMatchObject({
        reason: 'INVALID_ARGUMENT',
        field: 'claim_sets[1]',
        metadata: { claim: name },
      });
    }
  });

  it('finding 1: a vended token with the scope is refused as a Generate bearer (amr none)', async () => {
    // Vend refuses `scope` now; a token vended before (amr ["none"], caller's scope) is no
    // credential either.
    const vended = await signedByTenantA({ sub: 'svc', scope: GENERATE_SCOPE, amr: ['none'] });
    expect(await generateAs(`Bearer ${vended}`)).toMatchObject({ reason: 'PERMISSION_DENIED' });
  });

  it('finding 1: a user token with the scope is still accepted as a Generate bearer', async () => {
    const bearer = await signedByTenantA({ sub: 'user-1', scope: `openid ${GENERATE_SCOPE}` });
    const { tokens } = await h.call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
      'generate',
      {
        tenantId: h.realm.tenantA,
        claimSets: [{ claims: [{ type: 'sub', value: 'minted', valueType: '' }] }],
        validityDuration: '',
      },
      `Bearer ${bearer}`,
    );
    expect(tokens).toHaveLength(1);
  });

  it('finding 1: with neostore.bearerAudience set, the bearer must be meant for Generate', () => {
    const realm = parseRealm(
      `keys: { file: k.json }
tenants:
  - id: 6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01
    issuer: https://a.example
    neostore: { bearerAudience: neostore-generate }
`,
      'realm.yaml',
    );
    const [tenant] = realm.tenants.values();
    if (tenant === undefined) throw new Error('no tenant');
    const refused = (claims: Record<string, unknown>) => {
      try {
        authorizeGenerateBearer(claims, tenant);
        return undefined;
      } catch (error) {
        return isTesseraError(error) ? error.code : error;
      }
    };
    expect(refused({ scope: GENERATE_SCOPE })).toBe('PERMISSION_DENIED');
    expect(refused({ scope: GENERATE_SCOPE, aud: 'other' })).toBe('PERMISSION_DENIED');
    expect(refused({ scope: GENERATE_SCOPE, aud: ['other', 'neostore-generate'] })).toBeUndefined();
    expect(refused({ scope: GENERATE_SCOPE, aud: 'neostore-generate', amr: ['none'] })).toBe(
      'PERMISSION_DENIED',
    );
  });

  it('finding 1: registered claims stay the issuer’s, as each API documents', async () => {
    const { token } = await h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
      'vend',
      {
        tenantId: h.realm.tenantA,
        claimsJson: JSON.stringify({ sub: 'u', roles: ['a'], amr: ['pwd'], jti: 'mine', exp: 1 }),
        keyId: '',
        timeToLiveSeconds: 0,
      },
      h.realm.keys.admin,
    );
    const { payload } = decodeJwt(token);
    expect(payload).toMatchObject({ sub: 'u', roles: ['a'], amr: ['none'] });
    expect(payload.jti).not.toBe('mine');
    expect(payload.exp).not.toBe(1);
  });
});
