import type { issuerV1 } from '@tessera/contracts';
import { Keyring } from '@tessera/jwt-core';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startIssuer();
});
afterAll(() => h.close());

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const claim = (type: string, value: string, valueType = '') => ({ type, value, valueType });

const generate = (
  request: Partial<issuerV1.GenerateRequest>,
  credentials: string = h.realm.keys.admin,
) =>
  h.call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
    'generate',
    { tenantId: h.realm.tenantA, claimSets: [], validityDuration: '', ...request },
    credentials,
  );

/** A token signed with tenant A's current key, as the tenant's session flows sign them. */
async function userToken(claims: Record<string, unknown>): Promise<string> {
  const keyring = await Keyring.fromEntries(h.realm.keyEntries);
  const iat = Math.floor(h.clock.now() / 1000);
  return keyring.sign('a-es256', {
    iss: h.realm.issuerA,
    sub: 'user-1',
    iat,
    exp: iat + 600,
    ...claims,
  });
}

describe('Generate', () => {
  it('returns one token per claim set, in order, with typed values and arrays', async () => {
    const { tokens } = await generate({
      claimSets: [
        { claims: [claim('sub', 'user123'), claim('email', 'user@example.com')] },
        {
          claims: [
            claim('sub', 'second'),
            claim('role', 'a'),
            claim('role', 'b'),
            claim('age', '42', `${XSD}integer`),
            claim('admin', 'True', `${XSD}boolean`),
            claim('big', '99999999999', `${XSD}integer`),
            claim('obj', '{"x":1}', 'JSON'),
          ],
        },
      ],
      validityDuration: '1.00:00:00',
    });
    expect(tokens).toHaveLength(2);
    const first = decodeJwt(tokens[0] ?? '').payload;
    const second = decodeJwt(tokens[1] ?? '').payload;
    expect(first).toMatchObject({
      sub: 'user123',
      email: 'user@example.com',
      iss: h.realm.issuerA,
    });
    expect(second).toMatchObject({
      sub: 'second',
      role: ['a', 'b'],
      age: 42,
      admin: true,
      big: '99999999999',
      obj: { x: 1 },
    });
    expect(Number(first.exp) - Number(first.iat)).toBe(86_400);
    expect(first.nbf).toBe(first.iat);
  });

  it('defaults the validity to 10 years capped by the tenant maximum', async () => {
    const { tokens } = await generate({ claimSets: [{ claims: [claim('sub', 'x')] }] });
    const { payload } = decodeJwt(tokens[0] ?? '');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(86_400);
  });

  it('ignores exp, iat, nbf and iss from the claim set', async () => {
    const { tokens } = await generate({
      claimSets: [{ claims: [claim('exp', '1'), claim('iss', 'evil')] }],
      validityDuration: '01:00:00',
    });
    const { payload } = decodeJwt(tokens[0] ?? '');
    expect(payload.iss).toBe(h.realm.issuerA);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
  });

  it.each([
    ['unparsable', 'soon'],
    ['zero', '00:00:00'],
    ['negative', '-1.00:00:00'],
    ['over the tenant maximum', '2.00:00:00'],
  ])('refuses a validityDuration that is %s', async (_name, validityDuration) => {
    const error = await h.fail(
      'generate',
      { tenantId: h.realm.tenantA, claimSets: [{ claims: [claim('sub', 'x')] }], validityDuration },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'validityDuration' });
  });

  it('caps the batch size and names the bad claim', async () => {
    const tooMany = await h.fail(
      'generate',
      {
        tenantId: h.realm.tenantA,
        claimSets: Array.from({ length: 101 }, () => ({ claims: [] })),
        validityDuration: '',
      },
      h.realm.keys.admin,
    );
    expect(tooMany).toMatchObject({ reason: 'LIMIT_EXCEEDED', field: 'claim_sets' });
    const emptyType = await h.fail(
      'generate',
      {
        tenantId: h.realm.tenantA,
        claimSets: [{ claims: [] }, { claims: [claim('a', '1'), claim('', 'v')] }],
        validityDuration: '',
      },
      h.realm.keys.admin,
    );
    expect(emptyType).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'claim_sets[1].claims[1].type',
    });
  });

  it('finding 4: refuses a 1 MiB number literal in a claim by the value limit, before parsing it', async () => {
    const literal = `1${'0'.repeat(1024 * 1024 - 2)}1`;
    for (const valueType of ['JSON', 'JSON_ARRAY', `${XSD}double`, `${XSD}integer`, '']) {
      const error = await h.fail(
        'generate',
        {
          tenantId: h.realm.tenantA,
          claimSets: [{ claims: [claim('sub', 'x'), claim('n', `[${literal}]`, valueType)] }],
          validityDuration: '',
        },
        h.realm.keys.admin,
      );
      expect(error, valueType).toMatchObject({
        code: 3, // INVALID_ARGUMENT
        reason: 'LIMIT_EXCEEDED',
        field: 'claim_sets[0].claims[1].value',
      });
    }
  });

  it('finding 4: refuses a claim set larger than maxClaimsBytes, and still signs one within it', async () => {
    // Each value is within the 16 KiB value limit; together they pass the 64 KiB set limit.
    const big = Array.from({ length: 5 }, (_, i) => claim(`c${i}`, 'v'.repeat(16_000)));
    const error = await h.fail(
      'generate',
      { tenantId: h.realm.tenantA, claimSets: [{ claims: big }], validityDuration: '' },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason: 'LIMIT_EXCEEDED', field: 'claim_sets[0]' });
    const { tokens } = await generate({ claimSets: [{ claims: big.slice(0, 4) }] });
    expect(Object.keys(decodeJwt(tokens[0] ?? '').payload)).toContain('c3');
  });

  it('needs the AuthenticationToken.Write scope, from the key or a bearer token', async () => {
    const denied = await h.fail(
      'generate',
      { tenantId: h.realm.tenantA, claimSets: [], validityDuration: '' },
      h.realm.keys.plain,
    );
    expect(denied).toMatchObject({ reason: 'PERMISSION_DENIED' });

    // A token of the tenant's own login flows (no `amr: ["none"]`) that holds the scope.
    const bearerWith = await userToken({ scope: 'openid AuthenticationToken.Write' });
    const { tokens } = await generate(
      { claimSets: [{ claims: [claim('sub', 'b')] }] },
      `Bearer ${bearerWith}`,
    );
    expect(tokens).toHaveLength(1);

    const bearerWithout = await userToken({ scope: 'openid' });
    expect(
      await h.fail(
        'generate',
        { tenantId: h.realm.tenantA, claimSets: [], validityDuration: '' },
        `Bearer ${bearerWithout}`,
      ),
    ).toMatchObject({ reason: 'PERMISSION_DENIED' });

    const forged = await new SignJWT({ scope: 'AuthenticationToken.Write' })
      .setProtectedHeader({ alg: 'HS256', kid: 'a-es256' })
      .setIssuer(h.realm.issuerA)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(
      await h.fail(
        'generate',
        { tenantId: h.realm.tenantA, claimSets: [], validityDuration: '' },
        `Bearer ${forged}`,
      ),
    ).toMatchObject({ reason: 'UNAUTHENTICATED', metadata: { reason: 'ALG_NOT_ALLOWED' } });
  });
});

describe('IssueApplicationToken (webMethods)', () => {
  it('makes the key’s application the subject and audience, and protects registered claims', async () => {
    const { token } = await h.call<
      issuerV1.IssueApplicationTokenRequest,
      issuerV1.IssueApplicationTokenResponse
    >(
      'issueApplicationToken',
      {
        claimsJson: JSON.stringify({
          name: 'username',
          company: 'organization',
          sub: 'evil',
          exp: 1,
        }),
      },
      h.realm.keys.admin,
    );
    const { payload } = decodeJwt(token);
    const now = Math.floor(h.clock.now() / 1000);
    expect(payload).toMatchObject({
      name: 'username',
      company: 'organization',
      sub: h.realm.applicationA,
      aud: [h.realm.applicationA, 'partner-api'],
      iss: h.realm.issuerA,
      iat: now,
      nbf: now,
      exp: now + 15 * 60,
    });
  });

  it('refuses a key that identifies no application', async () => {
    const error = await h.fail('issueApplicationToken', { claimsJson: '{}' }, h.realm.keys.plain);
    expect(error).toMatchObject({ reason: 'PERMISSION_DENIED' });
  });
});
