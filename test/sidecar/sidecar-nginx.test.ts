import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { sessionV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../services/sidecar/src/decision/policy.js';
import { type Stack, startSessionFor, startStack } from '../support/stack.js';
import { type RunningNginx, startNginx } from './nginx.js';
import { type RunningSidecar, startSidecar, until } from './support.js';

let s: Stack;
let sidecar: RunningSidecar;
let nginx: RunningNginx;
let upstream: Server;
const seen: IncomingHttpHeaders[] = [];

function targetOf(client: { getChannel(): { getTarget(): string } }): string {
  return `127.0.0.1:${client.getChannel().getTarget().split(':').at(-1)}`;
}

beforeAll(async () => {
  s = await startStack();
  sidecar = await startSidecar(s, {
    issuerAddress: targetOf(s.issuerClient),
    sessionAddress: targetOf(s.sessionClient),
    policy: () =>
      parsePolicy({ rules: [{ pathPrefix: '/admin', roles: ['admin'] }] }, 'nginx test policy'),
  });
  await sidecar.app.validator.ready;
  upstream = createServer((request, response) => {
    seen.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ path: request.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  nginx = await startNginx({
    sidecarHttp: new URL(sidecar.httpUrl).host,
    upstream: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await nginx?.stop();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await sidecar?.stop();
  await s?.close();
});

const startSession = (userId: string) => startSessionFor(s, userId);

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${nginx.url}${path}`, { headers });

describe('sidecar behind a real nginx (auth_request)', () => {
  it('lets a valid token through with its identity headers, and not the client’s own', async () => {
    const { token } = await startSession('nginx-user');
    seen.length = 0;
    const response = await get('/orders/1?x=2', {
      authorization: `Bearer ${token}`,
      'x-tessera-roles': 'admin',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/orders/1?x=2' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      'x-tessera-subject': 'nginx-user',
      'x-tessera-tenant': s.realm.tenantA,
      'x-tessera-application': s.realm.applicationA,
    });
    expect(seen[0]?.['x-tessera-roles']).toBeUndefined();
  });

  it('refuses missing, malformed, expired and revoked tokens with 401, and the policy with 403', async () => {
    seen.length = 0;
    const missing = await get('/orders');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const malformed = await get('/orders', { authorization: 'Bearer a.b.c' });
    expect(malformed.status).toBe(401);
    expect(malformed.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);

    const { token, refreshTokenId } = await startSession('nginx-refused');
    expect((await get('/admin/users', { authorization: `Bearer ${token}` })).status).toBe(403);

    const start = s.clock.now();
    try {
      s.clock.advance((3600 + 120) * 1000);
      // Until the next heartbeat the jump looks like stale revocations (fail-closed).
      await until(
        async () => (await get('/orders', { authorization: `Bearer ${token}` })).status === 401,
        'expired token refused with 401',
      );
    } finally {
      s.clock.set(start);
    }

    await s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
      tenantId: s.realm.tenantA,
      selector: { $case: 'id', value: refreshTokenId },
      ownerUserId: '',
    });
    await until(
      async () => (await get('/orders', { authorization: `Bearer ${token}` })).status === 401,
      'revoked token refused with 401',
    );
    expect(seen).toHaveLength(0);
  });
});
