import { commonV1, type issuerV1, type sessionV1 } from '@tessera/contracts';
import { type RedisServer, redisCommand, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { redisStores, startSessionFor } from '../support/stack.js';

// The stack's heartbeat is 200 ms; this bound is that plus slack for a loaded machine.
const REFUSED_WITHIN_MS = 3000;

let redis: RedisServer;
let s: GatewayStack;
beforeAll(async () => {
  redis = await startRedisServer();
  s = await startGatewayStack({ stores: (clock) => redisStores(clock, redis.url) });
});
afterAll(async () => {
  await s?.close();
  await redis?.stop();
});

const startSession = (userId: string) => startSessionFor(s, userId);

const revokeSession = (id: string) =>
  s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
    tenantId: s.realm.tenantA,
    selector: { $case: 'id', value: id },
    ownerUserId: '',
  });

/** Whether the issuer's Validate and the gateway's /api/jwt/validate refuse `token` as revoked. */
async function refused(token: string) {
  const issuer = await s.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(
    s.issuerClient,
    'validate',
    { tenantId: s.realm.tenantA, token, audience: '' },
  );
  const gateway = await fetch(`${s.baseUrl}/api/jwt/validate`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    issuer: issuer.reason === commonV1.ValidationReason.VALIDATION_REASON_REVOKED,
    gateway: gateway.status === 401,
  };
}

async function refusedWithin(token: string): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started <= REFUSED_WITHIN_MS) {
    const now = await refused(token);
    if (now.issuer && now.gateway) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('review: a validator that resyncs after Redis lost its data forgets earlier revocations', () => {
  it('review: a session revoked before FLUSHALL stays refused after the validators resync', async () => {
    const stolen = await startSession('user-revoked-before-loss');
    await revokeSession(stolen.refreshTokenId);
    expect(await refusedWithin(stolen.token)).toBe(true);

    expect(await redisCommand(redis.port, ['FLUSHALL'])).toBe('OK');

    // A revocation after the loss reaching both validators shows they have resynced.
    const later = await startSession('user-revoked-after-loss');
    await revokeSession(later.refreshTokenId);
    expect(await refusedWithin(later.token)).toBe(true);

    // The token revoked before the loss has not expired: it must still be refused.
    expect(await refused(stolen.token)).toEqual({ issuer: true, gateway: true });
  });
});
