import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s?.close());

describe('review: a token no user authenticated for is still accepted as an end user’s JWT', () => {
  it('review: a vend-only key cannot revoke another user’s refresh token with a vended JWT naming them', async () => {
    const victim = await s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
      s.issuerClient,
      'startSession',
      {
        tenantId: s.realm.tenantA,
        applicationId: s.realm.applicationA,
        userId: 'victim',
        authenticationType: 'PASSWORD',
        presenter: undefined,
        device: undefined,
        requestId: '',
        scopes: [],
        dataJson: '',
      },
    );
    // The vend-only key may not revoke anything itself...
    const direct = await fetch(`${s.baseUrl}/api/jwt/refresh/${victim.refreshTokenId}`, {
      method: 'DELETE',
      headers: { authorization: s.realm.keys.vendOnly, 'x-fusionauth-tenantid': s.realm.tenantA },
    });
    expect(direct.status).toBe(401);
    // ...but it can vend a JWT whose sub is the victim (amr ["none"]: no user authenticated)...
    const vend = await fetch(`${s.baseUrl}/api/jwt/vend`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: s.realm.keys.vendOnly,
        'x-fusionauth-tenantid': s.realm.tenantA,
      },
      body: JSON.stringify({ claims: { sub: 'victim' } }),
    });
    expect(vend.status).toBe(200);
    const { token: vended } = (await vend.json()) as { token: string };
    // ...which must not count as the victim's own credential.
    const response = await fetch(`${s.baseUrl}/api/jwt/refresh/${victim.refreshTokenId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${vended}` },
    });
    expect(response.status).toBe(401);
    const still = await s.call<sessionV1.GetRequest, sessionV1.GetResponse>(
      s.sessionClient,
      'get',
      {
        id: victim.refreshTokenId,
        tenantId: s.realm.tenantA,
        token: '',
      },
    );
    expect(still.record?.id).toBe(victim.refreshTokenId);
  });
});
