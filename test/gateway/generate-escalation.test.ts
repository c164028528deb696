import type { issuerV1 } from '@tessera/contracts';
import { Keyring } from '@tessera/jwt-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { claimsOf } from '../support/stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s?.close());

const GENERATE_SCOPE = 'AuthenticationToken.Write';

function getJsonWebToken(claimsSet: Record<string, unknown>) {
  return fetch(`${s.baseUrl}/gateway/security/getJsonWebToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-Gateway-APIKey': s.realm.keys.admin },
    body: JSON.stringify({ claimsSet }),
  });
}

function generateWithBearer(bearer: string) {
  return fetch(`${s.baseUrl}/api/${s.realm.tenantA}/tokens/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify([
      [
        { type: 'sub', value: 'anyone' },
        { type: 'roles', value: 'admin' },
      ],
    ]),
  });
}

/** A token signed with tenant A's current key: what any of the tenant's flows could mint. */
async function signedByTenantA(claims: Record<string, unknown>): Promise<string> {
  const keyring = await Keyring.fromEntries(s.realm.keyEntries);
  const iat = Math.floor(s.clock.now() / 1000);
  return keyring.sign('a-es256', { iss: s.realm.issuerA, iat, exp: iat + 600, ...claims });
}

describe('security finding 1 — application tokens do not escalate to Generate (REST)', () => {
  it('finding 1: the app-bound key cannot mint an app token with scope and roles (webMethods 400)', async () => {
    const response = await getJsonWebToken({ scope: GENERATE_SCOPE, roles: ['admin'] });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { Exception: string };
    expect(body.Exception).toMatch(/scope/);
  });

  it('finding 1: an app token carrying the scope is refused as the Bearer of tokens/generate (403)', async () => {
    const minted = await getJsonWebToken({ name: 'partner' });
    expect(minted.status).toBe(200);
    const { jwt } = (await minted.json()) as { jwt: string };
    // What getJsonWebToken answered to the attack before: the app token plus the scope.
    const escalated = await signedByTenantA({
      ...claimsOf(jwt),
      scope: GENERATE_SCOPE,
      roles: ['admin'],
    });
    const response = await generateWithBearer(escalated);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('finding 1: vend refuses the scope (FusionAuth 400), and a vended token is no bearer', async () => {
    const vend = await fetch(`${s.baseUrl}/api/jwt/vend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: s.realm.keys.admin },
      body: JSON.stringify({ claims: { sub: 'svc', scope: GENERATE_SCOPE } }),
    });
    expect(vend.status).toBe(400);
    const vended = await signedByTenantA({ sub: 'svc', scope: GENERATE_SCOPE, amr: ['none'] });
    expect((await generateWithBearer(vended)).status).toBe(403);
  });

  it('finding 1: a session access token with the scope is still a bearer of tokens/generate', async () => {
    const started = await s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
      s.issuerClient,
      'startSession',
      {
        tenantId: s.realm.tenantA,
        applicationId: s.realm.applicationA,
        userId: 'operator-1',
        authenticationType: 'PASSWORD',
        presenter: undefined,
        device: undefined,
        requestId: '',
        scopes: [GENERATE_SCOPE],
        dataJson: '',
      },
    );
    const response = await generateWithBearer(started.token);
    expect(response.status).toBe(200);
    const [token] = (await response.json()) as string[];
    expect(claimsOf(token as string)).toMatchObject({ sub: 'anyone', roles: 'admin' });
  });
});
