import { Keyring } from '@tessera/jwt-core';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { claimsOf } from '../support/stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s.close());

interface Claim {
  type?: unknown;
  value?: unknown;
  valueType?: unknown;
  [extra: string]: unknown;
}

const path = (tenantId = s.realm.tenantA, query = '') => `/api/${tenantId}/tokens/generate${query}`;

function generate(
  body: unknown,
  options: {
    headers?: Record<string, string>;
    tenantId?: string;
    query?: string;
    raw?: boolean;
  } = {},
) {
  return fetch(`${s.baseUrl}${path(options.tenantId, options.query)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': s.realm.keys.admin,
      ...options.headers,
    },
    body: options.raw ? (body as string) : JSON.stringify(body),
  });
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: 'about:blank', status: response.status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

async function validationErrorsOf(response: Response) {
  expect(response.status).toBe(400);
  const body = await problemOf(response);
  return body.errors as Record<string, string[]>;
}

const claims = (...pairs: [string, string][]): Claim[] =>
  pairs.map(([type, value]) => ({ type, value }));

/**
 * A user's token of the tenant holding `scope`, signed with the tenant's key as its session
 * flows sign them (tokens minted from caller claims can never be bearers of Generate).
 */
async function scopedBearer(scope: string, tenantId = s.realm.tenantA) {
  const keyring = await Keyring.fromEntries(s.realm.keyEntries);
  const ofA = tenantId === s.realm.tenantA;
  const iat = Math.floor(s.clock.now() / 1000);
  return keyring.sign(ofA ? 'a-es256' : 'b-es256', {
    iss: ofA ? s.realm.issuerA : s.realm.issuerB,
    sub: 'svc',
    scope,
    iat,
    exp: iat + 600,
  });
}

describe('POST /api/{tenantId}/tokens/generate', () => {
  it('answers one token per claim set, in order, signed with the tenant key', async () => {
    const response = await generate([
      claims(['sub', 'user123'], ['email', 'user@example.com']),
      claims(['sub', 'user456']),
    ]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const tokens = (await response.json()) as string[];
    expect(tokens).toHaveLength(2);
    const jwks = (await (
      await fetch(`${s.baseUrl}/.well-known/jwks.json`)
    ).json()) as JSONWebKeySet;
    const first = await jwtVerify(tokens[0] as string, createLocalJWKSet(jwks), {
      currentDate: new Date(s.clock.now()),
    });
    expect(first.payload).toMatchObject({
      sub: 'user123',
      email: 'user@example.com',
      iss: s.realm.issuerA,
    });
    expect(claimsOf(tokens[1] as string).sub).toBe('user456');
  });

  it('caps the 10-year default at the tenant maximum and honours validityDuration', async () => {
    const [byDefault] = (await (await generate([claims(['sub', 'a'])])).json()) as string[];
    const defaulted = claimsOf(byDefault as string);
    expect(Number(defaulted.exp) - Number(defaulted.iat)).toBe(86_400);
    const response = await generate([claims(['sub', 'a'])], {
      query: '?validityDuration=01:30:00',
    });
    const [token] = (await response.json()) as string[];
    const payload = claimsOf(token as string);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(5400);
  });

  it('converts values by valueType and accepts a null valueType', async () => {
    const response = await generate([
      [
        { type: 'n', value: '42', valueType: 'http://www.w3.org/2001/XMLSchema#integer' },
        { type: 's', value: 'x', valueType: null },
        { type: 'role', value: 'a' },
        { type: 'role', value: 'b' },
      ],
    ]);
    expect(response.status).toBe(200);
    const [token] = (await response.json()) as string[];
    expect(claimsOf(token as string)).toMatchObject({ n: 42, s: 'x', role: ['a', 'b'] });
  });

  it('negotiates application/json, text/json and text/plain from Accept', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'application/json'],
      ['text/plain', 'text/plain'],
      ['text/json', 'text/json'],
      ['text/*', 'text/json'],
      ['*/*', 'application/json'],
      ['application/xml', 'application/json'],
      ['text/plain;q=0.5, text/json', 'text/json'],
      ['text/plain, application/json', 'text/plain'],
      ['text/plain;q=0, */*;q=0.1', 'application/json'],
    ];
    for (const [accept, expected] of cases) {
      const response = await generate([claims(['sub', 'a'])], {
        headers: accept === undefined ? {} : { accept },
      });
      expect(response.status, accept).toBe(200);
      expect(response.headers.get('content-type'), accept).toBe(`${expected}; charset=utf-8`);
      expect(response.headers.get('vary')).toMatch(/accept/i);
      const tokens = JSON.parse(await response.text()) as unknown;
      expect(Array.isArray(tokens) && typeof tokens[0] === 'string', accept).toBe(true);
    }
  });

  it('reads JSON bodies as application/json, text/json and application/*+json', async () => {
    for (const type of [
      'text/json',
      'application/vnd.neostore+json',
      'Application/JSON; charset=utf-8',
    ]) {
      const response = await generate([claims(['sub', 'a'])], {
        headers: { 'content-type': type },
      });
      expect(response.status, type).toBe(200);
    }
  });

  it('refuses other media types with a 415 problem', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await generate([claims(['sub', 'a'])], {
        headers: { 'content-type': type },
      });
      expect(response.status, type).toBe(415);
      expect((await problemOf(response)).title).toBe('Unsupported Media Type');
    }
    const untyped = await fetch(`${s.baseUrl}${path()}`, {
      method: 'POST',
      headers: { 'x-api-key': s.realm.keys.admin },
      body: new Uint8Array([0x5b, 0x5d]),
    });
    expect(untyped.status).toBe(415);
    await problemOf(untyped);
  });

  describe('authentication', () => {
    it('answers 401 problem details without credentials, before reading the body', async () => {
      const response = await fetch(`${s.baseUrl}${path()}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'not even json',
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect((await problemOf(response)).title).toBe('Unauthorized');
    });

    it('answers 401 for an unknown key, a garbage bearer and non-bearer schemes', async () => {
      const attempts: Record<string, string>[] = [
        { 'x-api-key': 'not-a-key-of-this-realm' },
        { 'x-api-key': '', authorization: 'Bearer not.a.jwt' },
        {
          'x-api-key': '',
          authorization: `Basic ${Buffer.from(`apikey:${s.realm.keys.admin}`).toString('base64')}`,
        },
        { 'x-api-key': '', authorization: s.realm.keys.admin },
        { 'x-api-key': 'k\u00e9y' },
      ];
      for (const headers of attempts) {
        const response = await generate([claims(['sub', 'a'])], { headers });
        expect(response.status, JSON.stringify(headers)).toBe(401);
        await problemOf(response);
      }
    });

    it('answers 403 problem details for keys without the AuthenticationToken.Write scope', async () => {
      for (const key of [s.realm.keys.plain, s.realm.keys.vendOnly, s.realm.keys.lockedToB]) {
        const response = await generate([claims(['sub', 'a'])], { headers: { 'x-api-key': key } });
        expect(response.status).toBe(403);
        expect((await problemOf(response)).title).toBe('Forbidden');
      }
    });

    it('accepts a bearer token of the tenant with the scope, and forwards it as presented', async () => {
      const bearer = await scopedBearer('openid AuthenticationToken.Write');
      const response = await generate([claims(['sub', 'via-bearer'])], {
        headers: { 'x-api-key': '', authorization: `bearer ${bearer}` },
      });
      expect(response.status).toBe(200);
      const [token] = (await response.json()) as string[];
      expect(claimsOf(token as string).sub).toBe('via-bearer');
    });

    it('answers 403 for a bearer without the scope and 401 for a bearer of another tenant', async () => {
      const unscoped = await scopedBearer('openid');
      const forbidden = await generate([claims(['sub', 'a'])], {
        headers: { 'x-api-key': '', authorization: `Bearer ${unscoped}` },
      });
      expect(forbidden.status).toBe(403);
      await problemOf(forbidden);
      const ofB = await scopedBearer('AuthenticationToken.Write', s.realm.tenantB);
      const wrongTenant = await generate([claims(['sub', 'a'])], {
        headers: { 'x-api-key': '', authorization: `Bearer ${ofB}` },
      });
      expect(wrongTenant.status).toBe(401);
      expect(wrongTenant.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('uses the API key when both credentials are sent', async () => {
      const unscoped = await scopedBearer('openid');
      const response = await generate([claims(['sub', 'a'])], {
        headers: { authorization: `Bearer ${unscoped}` },
      });
      expect(response.status).toBe(200);
    });

    it('refuses a bearer longer than the realm token length limit without calling anyone', async () => {
      const response = await generate([claims(['sub', 'a'])], {
        headers: { 'x-api-key': '', authorization: `Bearer ${'a'.repeat(9000)}` },
      });
      expect(response.status).toBe(401);
    });
  });

  describe('validation', () => {
    it('names body fields as the request does', async () => {
      const cases: [unknown, string][] = [
        [{ not: 'an array' }, '$'],
        ['"text"', '$'],
        [[claims(['sub', 'a']), [{ type: 'a', value: 'b', extra: 1 }]], '[1][0].extra'],
        [[[{ type: 'a', value: { nested: true } }]], '[0][0].value'],
        [[[{ type: 'a', value: 'b', valueType: 7 }], 'x'], '[0][0].valueType'],
        [[claims(['sub', 'a']), 'x'], '[1]'],
        [[{ type: 'sub', value: 'a' }], '[0]'],
        [[[{ type: 'n', value: 42 }]], '[0][0].value'],
        [[[{ type: ['sub'], value: 'a' }]], '[0][0].type'],
        [[['claim']], '[0][0]'],
        [[[{ type: 'a', value: 'b', 'odd key': 1 }]], '[0][0]["odd key"]'],
      ];
      for (const [body, field] of cases) {
        const raw = typeof body === 'string';
        const errors = await validationErrorsOf(await generate(body, { raw }));
        expect(Object.keys(errors), JSON.stringify(body)).toEqual([field]);
        expect(errors[field]?.[0]).toMatch(/\S/);
      }
    });

    it('maps the issuer field paths of claim sets to [set][claim].member', async () => {
      const errors = await validationErrorsOf(
        await generate([claims(['sub', 'a']), [{ type: 'b', value: 'c' }, { value: 'no type' }]]),
      );
      expect(errors).toEqual({ '[1][1].type': [expect.stringMatching(/type/)] });
      expect(errors['[1][1].type']?.[0]).not.toMatch(/claim_sets/);
    });

    it('reports validityDuration that is malformed, not positive or over the tenant maximum', async () => {
      for (const value of ['tomorrow', '-1.00:00:00', '00:00:00', '2.00:00:00', '25:00:00']) {
        const errors = await validationErrorsOf(
          await generate([claims(['sub', 'a'])], {
            query: `?validityDuration=${encodeURIComponent(value)}`,
          }),
        );
        expect(Object.keys(errors), value).toEqual(['validityDuration']);
      }
      const twice = await generate([claims(['sub', 'a'])], {
        query: '?validityDuration=01:00:00&validityDuration=02:00:00',
      });
      expect(Object.keys(await validationErrorsOf(twice))).toEqual(['validityDuration']);
    });

    it('answers 400 when a batch or a claim set exceeds the realm limits', async () => {
      const batch = Array.from({ length: 101 }, () => claims(['sub', 'a']));
      expect(Object.keys(await validationErrorsOf(await generate(batch)))).toEqual(['$']);
      const crowded = Array.from({ length: 201 }, (_, i): [string, string] => [`c${i}`, 'v']);
      const errors = await validationErrorsOf(
        await generate([claims(['sub', 'a']), claims(...crowded)]),
      );
      expect(Object.keys(errors)).toEqual(['[1]']);
    });

    it('finding 4: answers 400 problem details for a claim value or a claim set over the byte limits', async () => {
      const literal = `1${'0'.repeat(100_000)}1`;
      const errors = await validationErrorsOf(
        await generate([
          [...claims(['sub', 'a']), { type: 'n', value: literal, valueType: 'JSON' }],
        ]),
      );
      expect(Object.keys(errors)).toEqual(['[0][1].value']);
      const wide = Array.from({ length: 5 }, (_, i): [string, string] => [
        `c${i}`,
        'v'.repeat(16_000),
      ]);
      expect(Object.keys(await validationErrorsOf(await generate([claims(...wide)])))).toEqual([
        '[0]',
      ]);
    });

    it('answers malformed JSON, an empty body and a body over the limit in problem details', async () => {
      const malformed = await generate('[[{"type": "sub"', { raw: true });
      expect(malformed.status).toBe(400);
      await problemOf(malformed);
      const empty = await generate('', { raw: true });
      expect(empty.status).toBe(400);
      await problemOf(empty);
      const huge = await generate(`[[{"type":"a","value":"${'x'.repeat(1.1 * 1024 * 1024)}"}]]`, {
        raw: true,
      });
      expect(huge.status).toBe(413);
      expect((await problemOf(huge)).title).toBe('Payload Too Large');
    });
  });

  it('answers 404 problem details for an unknown tenant', async () => {
    const response = await generate([claims(['sub', 'a'])], {
      tenantId: '00000000-0000-4000-8000-000000000000',
    });
    expect(response.status).toBe(404);
    const body = await problemOf(response);
    expect(body.instance).toBe('/api/00000000-0000-4000-8000-000000000000/tokens/generate');
  });
});
