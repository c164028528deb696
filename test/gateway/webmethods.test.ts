import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { claimsOf } from '../support/stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s.close());

const PREFIX = 'API Gateway encountered an error. Error Message: ';

function getJsonWebToken(body: unknown, headers: Record<string, string> = {}, raw = false) {
  return fetch(`${s.baseUrl}/gateway/security/getJsonWebToken`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-Gateway-APIKey': s.realm.keys.admin,
      ...headers,
    },
    body: raw ? (body as string) : JSON.stringify(body),
  });
}

async function exceptionOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['Exception']);
  expect(body.Exception).toMatch(new RegExp(`^${PREFIX}`));
  return String(body.Exception).slice(PREFIX.length);
}

describe('POST /gateway/security/getJsonWebToken', () => {
  it("answers {jwt} for the key's application: sub, aud, iss set by the issuer, claims kept", async () => {
    const response = await getJsonWebToken({
      claimsSet: { name: 'username', company: 'organization', sub: 'spoofed', iss: 'spoofed' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { jwt: string };
    expect(Object.keys(body)).toEqual(['jwt']);
    const certs = (await (
      await fetch(`${s.baseUrl}/rest/pub/apigateway/jwt/certs`)
    ).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(body.jwt, createLocalJWKSet(certs), {
      currentDate: new Date(s.clock.now()),
    });
    expect(payload).toMatchObject({
      name: 'username',
      company: 'organization',
      sub: s.realm.applicationA,
      iss: s.realm.issuerA,
      aud: [s.realm.applicationA, 'partner-api'],
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(15 * 60);
    expect(payload.nbf).toBe(payload.iat);
  });

  it('reads the key header case-insensitively', async () => {
    const response = await fetch(`${s.baseUrl}/gateway/security/getJsonWebToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-GATEWAY-APIKEY': s.realm.keys.admin },
      body: JSON.stringify({ claimsSet: {} }),
    });
    expect(response.status).toBe(200);
  });

  it('answers 401 "Unauthorized application request" for a missing, unknown or unbound key', async () => {
    const attempts: Record<string, string>[] = [
      { 'x-Gateway-APIKey': '' },
      { 'x-Gateway-APIKey': 'no-such-key-in-this-realm' },
      { 'x-Gateway-APIKey': s.realm.keys.plain },
      { 'x-Gateway-APIKey': s.realm.keys.vendOnly },
      { 'x-Gateway-APIKey': 'k\u00e9y' },
      { 'x-Gateway-APIKey': '', authorization: s.realm.keys.admin },
    ];
    for (const headers of attempts) {
      const response = await getJsonWebToken({ claimsSet: { a: 1 } }, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(await exceptionOf(response)).toMatch(/^Unauthorized application request\. /);
    }
  });

  it('identifies the application before reading the body', async () => {
    const response = await getJsonWebToken('{not json', { 'x-Gateway-APIKey': '' }, true);
    expect(response.status).toBe(401);
    await exceptionOf(response);
  });

  it('answers 400 in the Exception shape for bodies that are not {"claimsSet": {...}}', async () => {
    const bodies: [unknown, boolean][] = [
      [{}, false],
      [{ claimsSet: 'name=x' }, false],
      [{ claimsSet: [1, 2] }, false],
      [[], false],
      ['{"claimsSet": {', true],
      ['', true],
    ];
    for (const [body, raw] of bodies) {
      const response = await getJsonWebToken(body, {}, raw);
      expect(response.status, JSON.stringify(body)).toBe(400);
      await exceptionOf(response);
    }
  });

  it('answers 400 when the claims exceed the realm limits, named as the caller sent them', async () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`c${i}`, i]));
    const tooMany = await getJsonWebToken({ claimsSet: many });
    expect(tooMany.status).toBe(400);
    const message = await exceptionOf(tooMany);
    expect(message).toMatch(/claimsSet/);
    expect(message).not.toMatch(/claims_json/);

    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const tooDeep = await getJsonWebToken({ claimsSet: deep });
    expect(tooDeep.status).toBe(400);
    await exceptionOf(tooDeep);

    const abyss = `{"claimsSet":${'{"d":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const refused = await getJsonWebToken(abyss, {}, true);
    expect(refused.status).toBe(400);
    await exceptionOf(refused);
  });

  it('answers 413 in the Exception shape for a body over the limit', async () => {
    const response = await getJsonWebToken({ claimsSet: { big: 'x'.repeat(1.1 * 1024 * 1024) } });
    expect(response.status).toBe(413);
    await exceptionOf(response);
  });

  it('reads the key from the header the realm names', async () => {
    const original = readFileSync(s.realm.realmFile, 'utf8');
    try {
      s.realm.writeRealm(`${original}webMethods: { apiKeyHeader: X-App-Key }\n`);
      expect(s.session.realm.reload()).toBe(true);
      const renamed = await getJsonWebToken(
        { claimsSet: {} },
        { 'x-Gateway-APIKey': '', 'x-app-key': s.realm.keys.admin },
      );
      expect(renamed.status).toBe(200);
      const old = await getJsonWebToken({ claimsSet: {} });
      expect(old.status).toBe(401);
      expect(await exceptionOf(old)).toMatch(/X-App-Key/);
    } finally {
      s.realm.writeRealm(original);
      s.session.realm.reload();
    }
  });
});

describe('GET /rest/pub/apigateway/jwt/certs', () => {
  it('serves the published keys as a JWKS, without private parts or HMAC keys', async () => {
    const response = await fetch(`${s.baseUrl}/rest/pub/apigateway/jwt/certs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key.kid).sort()).toEqual(['a-eddsa', 'a-es256', 'a-rs256', 'b-es256']);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });

  it('verifies what getJsonWebToken signs', async () => {
    const { jwt } = (await (await getJsonWebToken({ claimsSet: {} })).json()) as { jwt: string };
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
    };
    const { keys } = (await (await fetch(`${s.baseUrl}/rest/pub/apigateway/jwt/certs`)).json()) as {
      keys: { kid: string }[];
    };
    expect(keys.some((key) => key.kid === header.kid)).toBe(true);
    expect(claimsOf(jwt).sub).toBe(s.realm.applicationA);
  });
});
